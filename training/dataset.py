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
    """One preprocessed synthetic image (uint8, spec.height x spec.width) and its label."""
    while True:
        image, label = synth.sample(rng)
        model_input = preprocess(image, spec).image
        if model_input is not None:
            break
    if model_input.shape[1] != spec.width:  # a rare very wide string: squeeze it into the training width
        model_input = cv2.resize(model_input, (spec.width, spec.height), interpolation=cv2.INTER_AREA)
    return (model_input * 255 + 0.5).astype(np.uint8), label


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
    """Batches read from a cache made by `build_cache`, reshuffled every epoch."""

    def __init__(self, directory: Path, batch_size: int, seed: int, shuffle: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.images = np.load(directory / "images.npy", mmap_mode="r")
        self.labels = np.load(directory / "labels.npy")
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.labels)) if shuffle else np.arange(len(self.labels))

    def __len__(self) -> int:
        return len(self.labels) // self.batch_size

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return to_model_input(self.images[rows]), self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.order = self.rng.permutation(len(self.labels))
