"""`Recognizer`: load a model once, then read numbers from images through its Lite copy or one compiled call."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recognizer.architectures import ARCHITECTURES
from recognizer.decoding import Prediction, decode_ctc, decode_positions, softmax
from recognizer.images import ImageSource
from recognizer.lite import LiteCall, lite_path
from recognizer.preprocess import Preprocessed, picture, preprocess_picture
from recognizer.sheet import find_sheets

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: Readings whose whole-string probability is below this are flagged as unsure.
UNSURE_BELOW = 0.6
#: The models are trained on numbers of up to this many digits, and the floors are chosen on them. A longer reading's
#: probability is a product over more digits, so a floor holds for it per FLOOR_DIGITS digits (floor ** (n / 8)):
#: a 14-digit number read at 6 % is unsure, not "no digits".
FLOOR_DIGITS = 8
#: Every image is read at these vertical shifts (rows; within the input's padding) and the model's probabilities
#: averaged: a test-time ensemble that lifted every validation set (README, Evaluation). Shifts of 2 rows as well
#: gained a little more but cost the gru over 5 ms per image.
SHIFTS = (0, 1, -1)
#: The CTC models also read every image moved right by these columns (into the input's padding), which moves
#: their frames of 4 columns by half a frame: each offset's reading is a candidate, and `decode_ctc` answers the
#: one most probable at all offsets (README, Evaluation). Averaging frames would blur them: they no longer align.
OFFSETS = (0, 2)
SHIPPED = ("cnn", "gru")
#: `predict_batch` holds the decoded pictures (float32, 4 bytes a pixel) of about this many pixels at once (a group
#: ends with the image that reaches it).
GROUP_PIXELS = 32_000_000


class Recognizer:
    """Reads the digits in an image with one model (`cnn`, `gru`, `seed-cnn` or `seed-gru`).

    A reading less probable than `no_digits_below` (per `FLOOR_DIGITS` digits) is a guess: the answer is "no digits".
    `load` takes that floor from the model's JSON beside its weights, where `python -m training.calibrate --write`
    puts it; a model never calibrated (the seed baselines) has none and keeps every reading. An unsure reading (under
    `UNSURE_BELOW`) of ink that does not look written (`Preprocessed.pen_like`: the shading of a picture) or that
    lies among other shapes (`Preprocessed.plain_ground`: an edge in a photo, or a shape picked out from others above
    or below it) is answered "no digits" too.

    Each image is read at the vertical shifts of `shifts` and the probabilities averaged, and a CTC model reads
    it so at every horizontal offset of `OFFSETS` (`views`). One image's copies go through the model's TensorFlow
    Lite copy, in one call, where one ships beside the weights (fastest, and without importing TensorFlow: the
    CLI reads an image in a third of a second); batches, and models without a copy, go through one compiled
    `tf.function`, made with the Keras model when first needed.
    """

    def __init__(self, name: str, load_model: Callable[[], keras.Model], lite: LiteCall | None = None,
                 no_digits_below: float = 0.0, shifts: tuple[int, ...] = SHIFTS) -> None:
        self.name = name
        self.no_digits_below = no_digits_below
        self.arch = ARCHITECTURES[name]
        self.shifts = shifts
        self.offsets = OFFSETS if self.arch.decoder == "ctc" else (0,)
        #: (rows, columns) by which each copy of an image is moved: every shift at the first offset, then the next
        self.views = [(shift, offset) for offset in self.offsets for shift in shifts]
        #: Whether a picture read as no digits is read again cut to each region that may be a sheet of paper.
        self.read_sheets = True
        self.lite = lite
        self._load_model = load_model
        self._keras: tuple[keras.Model, Callable] | None = None
        self._lock = threading.Lock()

    def _compiled(self) -> tuple[keras.Model, Callable]:
        """The Keras model and its compiled call, made on first use (TensorFlow is imported then)."""
        with self._lock:
            if self._keras is None:
                import tensorflow as tf

                model = self._load_model()
                width = None if not self.arch.spec.fixed_width else self.arch.spec.width
                signature = tf.TensorSpec((None, self.arch.spec.height, width, 1), tf.float32)
                self._keras = model, tf.function(lambda x: model(x, training=False), input_signature=[signature])
            return self._keras

    @property
    def model(self) -> keras.Model:
        """The Keras model (loaded on first use)."""
        return self._compiled()[0]

    @property
    def _call(self) -> Callable:
        return self._compiled()[1]

    @classmethod
    def load(cls, name: str = "cnn", path: str | Path | None = None) -> Recognizer:
        """Load a trained model; `path` defaults to the shipped `recognizer/weights/<name>.keras`.

        With a TensorFlow Lite copy made from that file (`LiteCall.beside`), the Keras model waits until a batch
        needs it; without one, it is loaded now, so that a corrupt file is reported here.
        """
        if name not in ARCHITECTURES:
            raise ValueError(f"unknown model {name!r}: choose one of {', '.join(ARCHITECTURES)}")
        path = Path(path) if path else WEIGHTS_DIR / f"{name}.keras"
        retrain = f"retrain it with: python -m training.train --model {name} --out {path.parent}"
        if not path.is_file():
            raise FileNotFoundError(f"weights file {path} not found; {retrain}")

        def load_model() -> keras.Model:
            import keras

            try:
                return keras.saving.load_model(path, compile=False, safe_mode=True)
            except Exception as exc:  # a corrupt or foreign file: say which and how to rebuild it
                raise ValueError(f"weights file {path} could not be loaded ({exc}); {retrain}") from None

        recognizer = cls(name, load_model, no_digits_below=calibrated_floor(path))
        lite = LiteCall.beside(path)
        if lite is not None and lite.batch != len(recognizer.views):
            log.warning("%s reads %d images a call, not the %d copies of one; ignoring it (re-export: "
                        "python -m training.export)", lite_path(path), lite.batch, len(recognizer.views))
            lite = None
        recognizer.lite = lite
        if lite is None:
            recognizer._compiled()
        log.info("loaded %s from %s%s, no-digits floor %g", name, path,
                 " with its TensorFlow Lite copy" if lite else "", recognizer.no_digits_below)
        return recognizer

    def warm_up(self) -> None:
        """Size the Lite interpreter (or, without one, trace the compiled call), so that first reads are as
        fast as the rest. Batches load the Keras model and trace their call when they first come."""
        self._run([np.zeros((self.arch.spec.height, self.arch.spec.width), np.float32)])

    def _decode(self, output: np.ndarray) -> tuple[str, float, np.ndarray]:
        """One image's output of `_run` (one row per offset) → digits, confidence, per-position probabilities."""
        return decode_ctc(output) if self.arch.decoder == "ctc" else decode_positions(output[0])

    def predict(self, image: ImageSource) -> Prediction:
        """Read one image. Raises ValueError when it is not a usable image."""
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[ImageSource]) -> list[Prediction]:
        """Read many images, one model call per input width. Raises ValueError on the first unusable image.

        Images are never padded beyond their own width (as in training), so each reads exactly as it would alone.
        Where no digits are found in the whole picture and it may hold a sheet of paper that fills only part of it
        (`find_sheets`), each region that may be the sheet is read alone, and the answer is `best_sheet_reading`.
        Each image is decoded once, and its picture held until it is read: images are read in groups of about
        `GROUP_PIXELS`, so that a long list of large photos is read in bounded memory.
        """
        predictions: list[Prediction] = []
        group: list[np.ndarray] = []
        pixels = 0
        for image in images:
            group.append(picture(image))
            pixels += group[-1].size
            if pixels >= GROUP_PIXELS:
                predictions += self._read_pictures(group)
                group, pixels = [], 0
        return predictions + self._read_pictures(group)

    def _read_pictures(self, pictures: list[np.ndarray]) -> list[Prediction]:
        """Readings of `picture`s, each searched for a sheet where the whole picture holds no digits."""
        predictions = self._read([preprocess_picture(gray, self.arch.spec) for gray in pictures])
        for i, prediction in enumerate(predictions):
            if not self.read_sheets or prediction.digits:
                continue
            sheets = self._read([preprocess_picture(sheet, self.arch.spec) for sheet in find_sheets(pictures[i])])
            predictions[i] = best_sheet_reading(sheets) or prediction
        return predictions

    def _read(self, inputs: list[Preprocessed]) -> list[Prediction]:
        """Readings of preprocessed images, one model call per input width."""
        by_width: dict[int, list[int]] = {}
        for i, pre in enumerate(inputs):
            if pre.image is not None:
                by_width.setdefault(pre.image.shape[1], []).append(i)
        outputs: dict[int, np.ndarray] = {}
        for rows in by_width.values():
            outputs.update(zip(rows, self._run([inputs[i].image for i in rows])))
        predictions = []
        for i, pre in enumerate(inputs):
            if pre.image is None:
                predictions.append(Prediction("", 1.0, np.zeros((0, 10)), None))
                continue
            digits, confidence, probabilities = self._decode(outputs[i])
            written = pre.pen_like and pre.plain_ground
            floor = self.no_digits_below if written else max(self.no_digits_below, UNSURE_BELOW)
            if is_guess(digits, confidence, floor):
                digits, confidence, probabilities = "", 1.0 - confidence, np.zeros((0, 10))
            predictions.append(Prediction(digits, confidence, probabilities, pre.image))
        return predictions

    def _run(self, inputs: list[np.ndarray]) -> np.ndarray:
        """One model call on images of one width, each in every view of `self.views`: (N, offsets, ...) the mean
        probabilities over the shifts at each offset (as log-probabilities for the CTC models, whose decoder takes
        logits)."""
        copies = moved_copies(inputs, self.views)
        if self.lite is not None and len(copies) == self.lite.batch:
            outputs = self.lite(copies)
        else:
            outputs = self._call(copies).numpy()
        if not np.isfinite(outputs).all():  # NaN weights (a file damaged or trained into divergence)
            raise ValueError(f"the {self.name} model gave outputs that are not numbers: its weights are broken; "
                             f"retrain it (python -m training.train --model {self.name})")
        ctc = self.arch.decoder == "ctc"
        probabilities = softmax(outputs) if ctc else outputs
        shape = (len(self.offsets), len(self.shifts), len(inputs), *outputs.shape[1:])
        mean = np.moveaxis(probabilities.reshape(shape).mean(axis=1), 1, 0)
        return np.log(np.maximum(mean, 1e-30)) if ctc else mean


def is_guess(digits: str, confidence: float, floor: float) -> bool:
    """Whether a reading is a guess: less probable than `floor` per `FLOOR_DIGITS` digits."""
    return bool(digits) and confidence < floor ** max(1.0, len(digits) / FLOOR_DIGITS)


def best_sheet_reading(readings: Sequence[Prediction]) -> Prediction | None:
    """Of the readings of the regions that may be a sheet, the sure one (`UNSURE_BELOW`) with the most digits expected
    right (its digits times its confidence): a sheet found only in part reads part of its number as surely as the whole
    sheet reads all of it, and a region that takes in a piece of the room beside the sheet reads a digit more, less
    surely. None where no reading is sure."""
    sure = [reading for reading in readings if reading.digits and reading.confidence >= UNSURE_BELOW]
    return max(sure, key=lambda reading: len(reading.digits) * reading.confidence, default=None)


def moved_copies(inputs: Sequence[np.ndarray], views: Sequence[tuple[int, int]]) -> np.ndarray:
    """Model inputs of one width as a batch (N, H, W, 1), all of them moved by the first view's (rows, columns),
    then by the next..."""
    batch = np.stack(inputs).astype(np.float32)[..., None]
    return np.concatenate([np.roll(batch, view, axis=(1, 2)) for view in views])


def calibrated_floor(weights: Path) -> float:
    """The "no digits" floor stored in the JSON beside `weights` (0 when there is none or it is not a probability)."""
    info = weights.with_suffix(".json")
    try:
        floor = float(json.loads(info.read_text()).get("no_digits_below", 0.0)) if info.is_file() else 0.0
        if not 0.0 <= floor <= 1.0:
            raise ValueError(f"{floor} is not a probability")
        return floor
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("no floor read from %s (%s): every reading kept", info, exc)
        return 0.0
