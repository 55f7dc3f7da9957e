"""Choose the confidence under which a reading is answered "no digits", on validation images only.

    python -m training.calibrate --model cnn gru --mnist ../shared/datasets/mnist.npz --write

Image sets like the evaluation's, built from the MNIST digits held out of training for validation (never
the test split), are read with no floor. For each candidate floor it prints, per set, the share of strings
still read right and the share of no-digit images answered "no digits", and chooses, of the floors that cost
no digit set more than `--max-cost` of its strings, the lowest that answers the most no-digit images. `--write`
stores it as `no_digits_below` in the model's JSON beside its weights, where `Recognizer.load` reads it.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np
from tqdm import tqdm

from recognizer.inference import WEIGHTS_DIR, Recognizer, is_guess
from training.evaluate import EVAL_SETS, build_set
from training.mnist import load_mnist

log = logging.getLogger(__name__)

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
    return {floor: {name: float(np.mean([("" if is_guess(digits, confidence, floor) else digits) == label
                                         for digits, confidence, label in rows]))
                    for name, rows in readings.items()}
            for floor in floors}


def choose_floor(table: dict[float, dict[str, float]], max_cost: float) -> float:
    """Of the floors under which no digit set loses more than `max_cost` of its strings read right, the lowest
    that answers as many no-digit images "no digits" as any of them: a higher floor that refuses no more
    pictures would only cost readings."""
    unfloored = table[min(table)]
    digit_sets = [name for name in unfloored if name != "no-digits"]
    affordable = [floor for floor, rates in table.items()
                  if all(unfloored[name] - rates[name] <= max_cost + 1e-9 for name in digit_sets)]
    best = max(table[floor]["no-digits"] for floor in affordable)
    return min(floor for floor in affordable if table[floor]["no-digits"] == best)


def write_floor(weights: Path, floor: float) -> None:
    """Store `floor` as `no_digits_below` in the JSON beside `weights` (made if missing)."""
    info = weights.with_suffix(".json")
    report = json.loads(info.read_text()) if info.is_file() else {}
    report["no_digits_below"] = floor
    info.write_text(json.dumps(report, indent=2))
    log.info("wrote no_digits_below %g to %s", floor, info)


def to_markdown(name: str, table: dict[float, dict[str, float]]) -> str:
    sets = list(next(iter(table.values())))
    lines = [f"`{name}` | " + " | ".join(sets), "|---" * (len(sets) + 1) + "|"]
    lines += [f"{floor:g} | " + " | ".join(f"{100 * rates[s]:.1f} %" for s in sets) for floor, rates in table.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--weights", nargs="*", help="a .keras file per --model (default: the shipped weights)")
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=0.5, help="fraction of each evaluation set's size")
    parser.add_argument("--max-cost", type=float, default=0.002,
                        help="share of a digit set's right readings the floor may refuse (0.002: 1 in 500)")
    parser.add_argument("--write", action="store_true", help="store the chosen floor beside the weights")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    val = load_mnist(args.mnist)["val"]
    specs = [spec for spec in EVAL_SETS if spec.name in SETS]
    sets = {spec.name: build_set(val, spec, args.seed, args.scale) for spec in tqdm(specs, desc="building sets")}
    for i, name in enumerate(args.model):
        weights = Path(args.weights[i]) if args.weights else WEIGHTS_DIR / f"{name}.keras"
        table = floor_table(Recognizer.load(name, weights), sets)
        floor = choose_floor(table, args.max_cost)
        print(to_markdown(name, table), f"\nchosen floor for {name}: {floor:g}\n", flush=True)
        if args.write:
            write_floor(weights, floor)


if __name__ == "__main__":
    main()
