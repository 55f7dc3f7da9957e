"""MNIST from a local `mnist.npz` (Keras' layout) or Keras' own download, with a held-out validation split."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

VALIDATION_SIZE = 6000


@dataclass
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, white on black
    labels: np.ndarray  # (N,) uint8


def load_mnist(path: str | None = None) -> dict[str, Split]:
    """Return the splits "train", "val" (held out of MNIST's training split, fixed) and "test".

    `path` (or the MNIST_NPZ environment variable) names a local npz; without one, Keras downloads MNIST.
    """
    path = path or os.environ.get("MNIST_NPZ")
    if path:
        with np.load(path) as data:
            (x_train, y_train), (x_test, y_test) = (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
        log.info("MNIST read from %s", path)
    else:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    order = np.random.default_rng(0).permutation(len(x_train))
    val, train = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    return {
        "train": Split(x_train[train], y_train[train]),
        "val": Split(x_train[val], y_train[val]),
        "test": Split(x_test, y_test),
    }
