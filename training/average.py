"""Average the weights of trained models of one architecture (a "model soup" of a run and its fine-tuning).

    python -m training.average --model cnn --weights recognizer/weights/cnn.keras runs/s22-ft/cnn.keras \
        --out runs/s22-soup

Every variable, batch-normalisation statistics included, is the mean of the models'; that only makes sense for
models fine-tuned from one another, which stay close in weight space. Writes <out>/<model>.keras and
<model>.json (the first model's JSON, with `averaged_from` naming the files), then the TensorFlow Lite copy.
Calibrate its "no digits" floor afterwards (`python -m training.calibrate ... --write`).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import keras
import numpy as np

from recognizer.architectures import ARCHITECTURES
from recognizer.inference import Recognizer
from training.export import export_weights

log = logging.getLogger(__name__)


def average_weights(name: str, sources: list[Path], out: Path) -> Path:
    """Write the mean of `sources`' weights (models of architecture `name`) to `out`/<name>.keras."""
    if len(sources) < 2:
        raise ValueError("averaging needs two or more weights files")
    models = [Recognizer.load(name, path).model for path in sources]  # its messages for missing or corrupt files
    averaged = keras.models.clone_model(models[0])  # of any --widen
    try:
        averaged.set_weights([np.mean(values, axis=0) for values in zip(*(m.get_weights() for m in models))])
    except ValueError as exc:
        raise ValueError(f"{', '.join(map(str, sources))} are not all {name} models: {exc}") from None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.keras"
    averaged.save(path)
    first = sources[0].with_suffix(".json")
    if first.is_file():
        report = json.loads(first.read_text())
    else:
        log.warning("no %s: %s will hold no training report (data settings, epochs, time, metrics)", first,
                    path.with_suffix(".json"))
        report = {}
    report.pop("no_digits_below", None)  # chosen again for the averaged model
    report["averaged_from"] = [str(source) for source in sources]
    path.with_suffix(".json").write_text(json.dumps(report, indent=2))
    log.info("wrote %s, the mean of %d models", path, len(sources))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(ARCHITECTURES), required=True)
    parser.add_argument("--weights", nargs="+", type=Path, required=True, help="two or more .keras files")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    export_weights(args.model, average_weights(args.model, args.weights, args.out))


if __name__ == "__main__":
    main()
