"""Choose the confidence under which a reading is answered "no digits", on validation images only.

    python -m training.calibrate --model cnn gru --mnist ../shared/datasets/mnist.npz

Image sets like the evaluation's, built from the MNIST digits held out of training for validation (never
the test split), are read with no floor. For each candidate floor it prints, per set, the share of strings
still read right and the share of no-digit images answered "no digits".
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
from tqdm import tqdm

from recognizer.inference import Recognizer
from training.evaluate import EVAL_SETS, build_set
from training.mnist import load_mnist

FLOORS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2)
SETS = ("mnist-strings", "canvas", "paper", "webcam", "no-digits")


def floor_table(recognizer: Recognizer, sets: dict[str, list[tuple[np.ndarray, str]]],
                floors: tuple[float, ...] = FLOORS) -> dict[float, dict[str, float]]:
    """{floor: {set: rate}}: strings read right (digit sets) or "no digits" answered (the no-digits set)."""
    shipped, recognizer.no_digits_below = recognizer.no_digits_below, 0.0
    try:
        readings = {}
        for name, items in sets.items():
            predictions = recognizer.predict_batch([image for image, _ in items])
            readings[name] = [(p.digits, p.confidence, label) for p, (_, label) in zip(predictions, items)]
    finally:
        recognizer.no_digits_below = shipped
    return {floor: {name: float(np.mean([(digits if confidence >= floor else "") == label
                                         for digits, confidence, label in rows]))
                    for name, rows in readings.items()}
            for floor in floors}


def to_markdown(name: str, table: dict[float, dict[str, float]]) -> str:
    sets = list(next(iter(table.values())))
    lines = [f"`{name}` | " + " | ".join(sets), "|---" * (len(sets) + 1) + "|"]
    lines += [f"{floor:g} | " + " | ".join(f"{100 * rates[s]:.1f} %" for s in sets) for floor, rates in table.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=0.5, help="fraction of each evaluation set's size")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    val = load_mnist(args.mnist)["val"]
    specs = [spec for spec in EVAL_SETS if spec.name in SETS]
    sets = {spec.name: build_set(val, spec, args.seed, args.scale) for spec in tqdm(specs, desc="building sets")}
    for name in args.model:
        print(to_markdown(name, floor_table(Recognizer.load(name), sets)), "\n", flush=True)


if __name__ == "__main__":
    main()
