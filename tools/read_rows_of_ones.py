"""How often rows of straight 1s drawn on the app's sketchpad are read whole: rows of 2, 3 and 4 ones
(`training.drawn.straight_ones`: 160 pixels tall, 40-90 pixels apart, leaning up to 20 pixels), 20 rows each with
brushes of 4, 6 and 14 pixels (the sketchpad's default), each model at its own floor. CTC reads two 1s only with a
blank frame between them, and at the model's height such 1s are 2-4 frames apart.

    python tools/read_rows_of_ones.py [--model cnn gru] [--rows 20]
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from recognizer.inference import Recognizer
from training.drawn import straight_ones

BRUSHES = (4, 6, 14)


def readings(recognizer: Recognizer, ones: int, brush: int, rows: int = 20, seed: int = 0) -> list[str]:
    """What `recognizer` reads in `rows` rows of `ones` straight 1s drawn with a `brush`-pixel brush."""
    rng = np.random.default_rng(seed)
    return [recognizer.predict(straight_ones(rng, ones, brush)).digits for _ in range(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--rows", type=int, default=20, help="rows of each length, for each brush")
    args = parser.parse_args()
    for model in args.model:
        recognizer = Recognizer.load(model)
        for ones in (2, 3, 4):
            read = {brush: readings(recognizer, ones, brush, args.rows) for brush in BRUSHES}
            right = ", ".join(str(r.count("1" * ones)) for r in read.values())
            common = collections.Counter(sum(read.values(), [])).most_common(3)
            print(f"{model} {'1' * ones}: {right} of {args.rows} read whole with brushes of "
                  f"{', '.join(map(str, BRUSHES))} pixels; most often {common}")


if __name__ == "__main__":
    main()
