"""How steady the app's live webcam reading is: each frame's own reading, and the reading held steady
(`recognizer.presentation.SteadyReading`, what the app shows).

A sheet held up to a webcam is filmed as a run of frames that differ a little: each number of validation digits is
rendered once as a webcam frame (the synthesis' own), and every frame of its run moves it by up to 3 pixels, turns
it by up to 2 degrees, adds sensor noise and, in a fifth of the frames, motion blur. Reports the share of frames
that show the right number, how often the number shown changes within a run (flicker), and how many frames pass
before the right number is first shown.

    python tools/live_steadiness.py --mnist ../shared/datasets/mnist.npz --count 100 --frames 12
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import cv2
import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from recognizer.inference import Recognizer
from recognizer.presentation import SteadyReading
from training.mnist import load_mnist
from training.synth import StringSynth, first_config


def frame_of(rng: np.random.Generator, still: np.ndarray) -> np.ndarray:
    """`still` (RGB) as one more frame of a sheet held up: moved, turned, noisy, sometimes blurred by motion."""
    h, w = still.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-2, 2), 1.0)
    turn[:, 2] += rng.uniform(-3, 3, 2)
    frame = cv2.warpAffine(still, turn, (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    if rng.random() < 0.2:
        length = int(rng.integers(5, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1 / length
        kernel = cv2.warpAffine(kernel, cv2.getRotationMatrix2D((length / 2 - 0.5,) * 2, rng.uniform(0, 180), 1.0),
                                (length, length))
        frame = cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))
    frame += rng.normal(0, rng.uniform(2, 6), frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def flicker(shown: list[str]) -> int:
    """How often the number shown changes."""
    return sum(a != b for a, b in zip(shown, shown[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", help="local mnist.npz (default: MNIST_NPZ or Keras' download)")
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--count", type=int, default=100, help="numbers, one run of frames each")
    parser.add_argument("--frames", type=int, default=12, help="frames in each run")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    synth = StringSynth(load_mnist(args.mnist)["val"], first_config(negative_rate=0.0, printed_rate=0.0))
    runs = []
    for _ in tqdm(range(args.count), desc="filming"):
        ink, label = synth.ink_string(rng)
        still = synth.render(rng, ink, "webcam")
        runs.append(([frame_of(rng, still) for _ in range(args.frames)], label))
    for name in args.model:
        recognizer = Recognizer.load(name)
        totals = {"raw": [0, 0, 0], "steady": [0, 0, 0]}  # frames right, changes, frames before the first right
        for frames, label in tqdm(runs, desc=name):
            readings = recognizer.predict_batch(frames)
            steady = SteadyReading()
            raw, held = [p.digits for p in readings], [steady.update(p, name).digits for p in readings]
            for kind, shown in (("raw", raw), ("steady", held)):
                totals[kind][0] += sum(digits == label for digits in shown)
                totals[kind][1] += flicker(shown)
                totals[kind][2] += shown.index(label) if label in shown else len(shown)
        frames = args.count * args.frames
        for kind, (right, changes, wait) in totals.items():
            print(f"{name} {kind:6}: {100 * right / frames:.1f} % of {frames} frames show the right number; "
                  f"{changes / args.count:.2f} changes per run of {args.frames}; "
                  f"{wait / args.count:.2f} frames before the right number first shows")


if __name__ == "__main__":
    main()
