"""Streams of model-ready synthetic strings: generated on the fly, or rendered once into a disk cache.

Every image goes through `recognizer.preprocess.preprocess`, exactly as at serving time.
"""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import cv2
import keras
import numpy as np
from tqdm import tqdm

from recognizer.preprocess import InputSpec, preprocess
from training.synth import StringSynth

log = logging.getLogger(__name__)


def encode_label(label: str, length: int) -> np.ndarray:
    """Digits as ints, padded with -1 to `length`."""
    codes = np.full(length, -1, np.int32)
    codes[: len(label)] = [int(c) for c in label]
    return codes


def render_sample(synth: StringSynth, spec: InputSpec, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One preprocessed synthetic image stored in spec.height x spec.width (uint8, padded on the right) and its
    label."""
    while True:
        image, label = synth.sample(rng)
        model_input = preprocess(image, spec).image
        if model_input is not None:
            break
    if model_input.shape[1] > spec.width:  # a rare very wide string: squeeze it into the training width
        model_input = cv2.resize(model_input, (spec.width, spec.height), interpolation=cv2.INTER_AREA)
    stored = np.zeros((spec.height, spec.width), np.uint8)
    stored[:, : model_input.shape[1]] = (model_input * 255 + 0.5).astype(np.uint8)
    return stored, label


def padded_widths(images: np.ndarray, spec: InputSpec, chunk: int = 4096) -> np.ndarray:
    """The width `preprocess` gives each stored image: its ink plus padding, up to a multiple of the width step."""
    if spec.fixed_width:
        return np.full(len(images), images.shape[2], np.int32)
    widths = np.empty(len(images), np.int32)
    for start in range(0, len(images), chunk):
        columns = images[start : start + chunk].max(axis=1) > 0  # (n, W): columns holding ink
        last = columns.shape[1] - np.argmax(columns[:, ::-1], axis=1)
        widths[start : start + chunk] = np.where(columns.any(axis=1), last, 0) + spec.pad
    return np.minimum(-(-widths // spec.width_step) * spec.width_step, images.shape[2])


class SyntheticStrings(keras.utils.PyDataset):
    """`batches` batches generated on the fly; batch i depends only on (seed, i)."""

    def __init__(self, synth: StringSynth, spec: InputSpec, label_length: int, batch_size: int, batches: int,
                 seed: int, **kwargs):
        super().__init__(**kwargs)
        self.synth, self.spec, self.label_length = synth, spec, label_length
        self.batch_size, self.batches, self.seed = batch_size, batches, seed

    def __len__(self) -> int:
        return self.batches

    def raw_batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """uint8 images (B, H, W) and int labels (B, label_length)."""
        rng = np.random.default_rng([self.seed, index])
        samples = [render_sample(self.synth, self.spec, rng) for _ in range(self.batch_size)]
        images = np.stack([s[0] for s in samples])
        labels = np.stack([encode_label(s[1], self.label_length) for s in samples])
        return images, labels

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self.raw_batch(index)
        return to_model_input(images), labels


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (B, H, W) → float32 (B, H, W, 1) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[..., None]


_worker_stream: SyntheticStrings | None = None


def _render_batch(index: int) -> tuple[int, np.ndarray, np.ndarray]:
    images, labels = _worker_stream.raw_batch(index)
    return index, images, labels


def build_cache(stream: SyntheticStrings, directory: Path, processes: int = 2) -> None:
    """Render every batch of `stream` once into `directory`/{images,labels}.npy (memory-mapped)."""
    global _worker_stream
    directory.mkdir(parents=True, exist_ok=True)
    n = len(stream) * stream.batch_size
    images = np.lib.format.open_memmap(directory / "images.tmp.npy", "w+", np.uint8,
                                       (n, stream.spec.height, stream.spec.width))
    labels = np.full((n, stream.label_length), -1, np.int32)
    _worker_stream = stream
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.imap_unordered(_render_batch, range(len(stream)))
        for index, batch_images, batch_labels in tqdm(results, total=len(stream), desc=f"rendering {directory.name}"):
            rows = slice(index * stream.batch_size, (index + 1) * stream.batch_size)
            images[rows], labels[rows] = batch_images, batch_labels
    images.flush()
    del images
    np.save(directory / "labels.npy", labels)
    (directory / "images.tmp.npy").rename(directory / "images.npy")
    log.info("cached %d samples in %s", n, directory)


class CachedStrings(keras.utils.PyDataset):
    """Batches read from a cache made by `build_cache`, reshuffled every epoch.

    Strings of similar width are batched together and each batch is cut to its widest string, so short
    numbers cost what they need (about half of the full width on average), as at serving time.
    """

    def __init__(self, directory: Path, spec: InputSpec, batch_size: int, seed: int, shuffle: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.images = np.load(directory / "images.npy", mmap_mode="r")
        self.labels = np.load(directory / "labels.npy")
        self.widths = padded_widths(self.images, spec)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rng = np.random.default_rng(seed)
        self.batches = self._batches()

    def _batches(self) -> list[np.ndarray]:
        order = self.rng.permutation(len(self.labels)) if self.shuffle else np.arange(len(self.labels))
        order = order[np.argsort(self.widths[order], kind="stable")]
        batches = [np.sort(order[i : i + self.batch_size])
                   for i in range(0, len(order) - self.batch_size + 1, self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in self.rng.permutation(len(batches))]
        # Keras fixes every dimension that is equal in the first two batches: make their widths differ.
        widths = [self.widths[b].max() for b in batches]
        other = next((i for i, width in enumerate(widths) if width != widths[0]), None)
        if other:
            batches[1], batches[other] = batches[other], batches[1]
        return batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.batches[index]
        return to_model_input(self.images[rows, :, : self.widths[rows].max()]), self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.batches = self._batches()
