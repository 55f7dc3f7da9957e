"""TensorFlow Lite copies of the models: the fastest way found to read one image on a CPU
(see bench/RESULTS.md), used by `Recognizer` for single images; batches keep the compiled `tf.function`.
They run on LiteRT (`ai_edge_litert`), which does not import TensorFlow, or on TensorFlow's own deprecated
interpreter where LiteRT is not installed (it has no wheels for some platforms, such as Linux on ARM).

A `.tflite` file sits beside its `.keras` file with a `.tflite.json` naming the `.keras` file's SHA-256, so
a copy left over from older weights is never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Largest difference from the Keras model's outputs (logits or probabilities) an export may have.
TOLERANCE = 1e-4


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lite_path(keras_path: Path) -> Path:
    return keras_path.with_suffix(".tflite")


class LiteCall:
    """A TensorFlow Lite interpreter for batches of `batch` images (as exported) of any width; safe to share
    between threads."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter

        with warnings.catch_warnings():  # tf.lite.Interpreter announces its move to LiteRT
            warnings.simplefilter("ignore")
            self._interpreter = Interpreter(model_path=str(path), num_threads=1)
        self._interpreter.allocate_tensors()  # sets up the CPU delegate now, at load, not at the first read
        self._input = self._interpreter.get_input_details()[0]["index"]
        self.batch = int(self._interpreter.get_input_details()[0]["shape"][0])
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self.batch:  # a recurrent copy's batch size is built in: resizing it reads garbage
            raise ValueError(f"this copy reads batches of {self.batch} images, not {len(batch)}")
        with self._lock:
            if batch.shape != self._shape:
                self._interpreter.resize_tensor_input(self._input, batch.shape)
                self._interpreter.allocate_tensors()
                self._shape = batch.shape
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()

    @classmethod
    def beside(cls, keras_path: Path) -> "LiteCall | None":
        """The `.tflite` copy of `keras_path`, or None when there is none or it was made from other weights."""
        path = lite_path(keras_path)
        if not path.is_file():
            return None
        try:
            made_from = json.loads(Path(f"{path}.json").read_text())["keras_sha256"]
        except (OSError, ValueError, KeyError):
            made_from = None
        if made_from != _sha256(keras_path):
            log.warning("%s was not made from %s; ignoring it (re-export: python -m training.export)", path,
                        keras_path)
            return None
        return cls(path)


def export(model, keras_path: Path, height: int, width: int | None, batch: int) -> Path:
    """Convert `model` (loaded from `keras_path`) for batches of `batch` images; check it agrees, then write it."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, input_signature=[tf.TensorSpec((batch, height, width, 1), tf.float32)], verbose=False)
        flatbuffer = tf.lite.TFLiteConverter.from_saved_model(folder).convert()
    path = lite_path(keras_path)
    path.write_bytes(flatbuffer)
    call = LiteCall(path)
    rng = np.random.default_rng(0)
    difference = 0.0
    for w in [width] if width else [256, 320, 1024]:
        x = rng.random((batch, height, w, 1), np.float32)
        difference = max(difference, float(np.max(np.abs(call(x) - model(x, training=False).numpy()))))
        if difference > TOLERANCE:
            path.unlink()
            raise ValueError(f"TensorFlow Lite copy differs from the Keras model by {difference:.1e}; not written")
    Path(f"{path}.json").write_text(json.dumps({"keras_sha256": _sha256(keras_path), "max_abs_diff": difference}))
    log.info("wrote %s (%d kB; agrees with Keras to %.1e)", path, len(flatbuffer) // 1024, difference)
    return path
