"""Write the TensorFlow Lite copy of trained weights (the training command does this itself at the end).

    python -m training.export --model cnn gru                 # recognizer/weights/<model>.tflite
    python -m training.export --model cnn --weights runs/v2/cnn.keras
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from recognizer.inference import WEIGHTS_DIR, Recognizer
from recognizer.lite import export


def export_weights(name: str, keras_path: Path) -> Path:
    """Export the model in `keras_path` for one image's copies at a time (`Recognizer.views`): one call reads them
    all, which halves the GRU's time against a call each; refuses (ValueError) when the copy does not agree with
    Keras."""
    recognizer = Recognizer.load(name, keras_path)
    spec = recognizer.arch.spec
    width = spec.width if spec.fixed_width else None
    return export(recognizer.model, keras_path, spec.height, width, len(recognizer.views))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--weights", nargs="*", help="a .keras file per --model (default: the shipped weights)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for i, name in enumerate(args.model):
        export_weights(name, Path(args.weights[i]) if args.weights else WEIGHTS_DIR / f"{name}.keras")


if __name__ == "__main__":
    main()
