"""Evaluate models on image sets built with a fixed seed from the MNIST test split.

    python -m training.evaluate --model cnn gru --mnist ../shared/datasets/mnist.npz

Writes <out>/<model>-eval.md, <model>-eval.json and <model>-confusion.png per model. To choose between weights, read
the same sets built from the validation digits instead (never the test split), at one floor for all:

    python -m training.evaluate --split val --seed 7 --scale 0.5 --model gru --weights runs/s34-runs-soup/gru.keras \
        --no-digits-below 0.1 --mnist ../shared/datasets/mnist.npz --out runs/s34-val
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from recognizer.inference import WEIGHTS_DIR, Recognizer
from training.drawn import drawn_number
from training.mnist import load_mnist
from training.synth import NO_DIGIT_KINDS, StringSynth, first_config, no_digit_image

log = logging.getLogger(__name__)

COVERAGES = (1.0, 0.98, 0.95, 0.9, 0.8)
#: What `--split` builds the sets from, as the reports say it.
SPLITS = {"test": "the **MNIST test split**",
          "val": "the **validation digits** held out of MNIST's training split, for choosing between weights"}


@dataclass(frozen=True)
class EvalSet:
    name: str
    # A synth style, "plain" (MNIST digits as they are, scanned), "tight" (cut to the ink), "drawn" (a stroke font on
    # a sketchpad, no MNIST digit) or "no-digits".
    style: str
    count: int
    min_len: int = 1
    max_len: int = 8
    # `SynthConfig` fields that differ from `first_config`'s; for "drawn", arguments of `drawn_number`.
    synthesis: dict = field(default_factory=dict)


EVAL_SETS = (
    EvalSet("mnist-strings", "scan", 10_000),
    EvalSet("four-digit", "scan", 2_000, 4, 4),
    EvalSet("canvas", "canvas", 1_000),
    EvalSet("paper", "paper", 1_000),
    EvalSet("webcam", "webcam", 1_000),
    EvalSet("light-on-dark", "board", 500),
    EvalSet("long-12-16", "scan", 300, 12, 16),
    EvalSet("no-digits", "no-digits", 400),
    EvalSet("plain-strings", "plain", 2_000),  # as the seed stacks them: no rotation, distortion or thickening
    EvalSet("cut-to-the-digits", "tight", 1_000),  # a scan or screenshot cropped exactly to the ink
    EvalSet("canvas-thin-brush", "canvas", 500, synthesis={"thin_rate": 1.0}),
    EvalSet("paper-thin-pen", "paper", 500, synthesis={"thin_rate": 1.0}),
    EvalSet("paper-askew-lines", "paper", 500, synthesis={"ruled_rate": 1.0, "ruling_tilt": 8.0}),
    # A whole sheet in the picture, the number small on it: many more lines, and lines through the digits.
    EvalSet("page-askew-lines", "paper", 300,
            synthesis={"ruled_rate": 1.0, "ruling_tilt": 8.0, "photo_margin": (3.0, 6.0)}),
    # Amounts, dates, times and codes: a dot, comma, dash or colon between digits, read as nothing.
    EvalSet("separators", "paper", 500, 2, 8, synthesis={"separator_rate": 1.0}),
    # Numbers written along a line up to 25 degrees off level, or photographed askew.
    EvalSet("paper-askew-number", "paper", 500, synthesis={"number_tilt": 25.0}),
    EvalSet("canvas-askew-number", "canvas", 500, synthesis={"number_tilt": 25.0}),
    # A pen tap, tick or smudge 1.5-3 of the number's height above or below it.
    EvalSet("paper-stray-mark", "paper", 500, synthesis={"stray_mark_rate": 1.0}),
    EvalSet("canvas-stray-mark", "canvas", 500, synthesis={"stray_mark_rate": 1.0}),
    # A notebook page's margin line left of the number, the page seen in perspective half of the time.
    EvalSet("paper-margin-line", "paper", 500, synthesis={"ruled_rate": 1.0, "ruling_tilt": 8.0, "margin_rate": 1.0,
                                                          "perspective_rate": 0.5, "photo_margin": (1.0, 3.0)}),
    # Digits drawn with smooth pen strokes, not MNIST's: 1s with a flag, 7s crossed, 4s open half of the time.
    EvalSet("drawn-strokes", "drawn", 500),
    # The same, small (30-50 pixels tall) under a brush of 10-14 pixels, as the sketchpad's default brush (14) draws
    # small digits: strokes a quarter to half of the height, the holes of 6, 8 and 9 nearly closed.
    EvalSet("drawn-small-bold", "drawn", 500, synthesis={"height": (30, 50), "brush": (10, 14), "gap": (0.45, 0.75)}),
)


def no_digit_kinds(count: int) -> list[str]:
    """The kind of each image of a no-digits set of `count` images: `NO_DIGIT_KINDS` in turn."""
    return [NO_DIGIT_KINDS[i % len(NO_DIGIT_KINDS)] for i in range(count)]


def build_set(synth_split, spec: EvalSet, seed: int, scale: float = 1.0) -> list[tuple[np.ndarray, str]]:
    """(image, label) pairs of one evaluation set, the same for every run with the same seed."""
    rng = np.random.default_rng([seed, EVAL_SETS.index(spec)])
    count = max(1, int(spec.count * scale))
    if spec.style == "no-digits":
        synth = StringSynth(synth_split, first_config())
        return [(no_digit_image(rng, synth, kind), "") for kind in no_digit_kinds(count)]
    if spec.style == "drawn":
        labels = ("".join(map(str, rng.integers(0, 10, rng.integers(spec.min_len, spec.max_len + 1))))
                  for _ in range(count))
        return [(drawn_number(rng, label, **spec.synthesis), label) for label in labels]
    synth = StringSynth(synth_split, first_config(min_len=spec.min_len, max_len=spec.max_len, negative_rate=0.0,
                                                 printed_rate=0.0, **spec.synthesis))
    items = []
    for _ in range(count):
        if spec.style == "plain":
            ink, label = synth.plain_string(rng)
            items.append((synth.render(rng, ink, "scan"), label))
        elif spec.style == "tight":
            ink, label = synth.ink_string(rng)
            items.append((cut_to_ink(ink, rng.uniform(1.0, 3.0)), label))
        else:
            ink, label = synth.ink_string(rng)
            items.append((synth.render(rng, ink, spec.style), label))
    return items


def cut_to_ink(ink: np.ndarray, scale: float) -> np.ndarray:
    """White-on-black `ink` scaled, then cut to where it is darker than mid-grey, as dark ink on white: a scan or
    screenshot cropped to the number, whose outer digits touch the border."""
    import cv2

    ink = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    rows, columns = np.nonzero(ink > 127)
    return 255 - ink[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def score(labels: list[str], readings: list[str], confidences: np.ndarray) -> dict:
    """Whole-string accuracy, per-digit accuracy (1 - character error rate), accuracy by length and coverage."""
    right = np.array([a == b for a, b in zip(labels, readings)])
    errors = sum(edit_distance(a, b) for a, b in zip(labels, readings))
    chars = sum(len(a) for a in labels)
    by_length = {}
    for length in sorted({len(a) for a in labels}):
        rows = [i for i, a in enumerate(labels) if len(a) == length]
        by_length[length] = float(right[rows].mean())
    order = np.argsort(-confidences, kind="stable")
    coverage = {}
    for share in COVERAGES:
        kept = order[: max(1, int(round(share * len(order))))]
        coverage[f"{share:.2f}"] = {"accuracy": float(right[kept].mean()),
                                    "threshold": float(confidences[kept].min())}
    return {
        "count": len(labels),
        "string_accuracy": float(right.mean()),
        "digit_accuracy": float(1 - errors / chars) if chars else None,
        "cer": float(errors / chars) if chars else None,
        "by_length": by_length,
        "coverage": coverage,
    }


def confusion(labels: list[str], readings: list[str]) -> np.ndarray:
    """10x10 counts (true, read) over positions of readings with the right length."""
    matrix = np.zeros((10, 10), int)
    for a, b in zip(labels, readings):
        if len(a) == len(b):
            for ca, cb in zip(a, b):
                matrix[int(ca), int(cb)] += 1
    return matrix


def plot_confusion(matrix: np.ndarray, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    shown = np.log10(1 + matrix)
    ax.imshow(shown, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=6,
                    color="white" if shown[i, j] > shown.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="read", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency(recognizer: Recognizer, photo: np.ndarray, repeats: int = 200) -> dict:
    """Median milliseconds of one model call on one image (as the Recognizer makes it), and of a whole read
    of a 640x480 photo."""
    model_input = [recognizer.predict(photo).image]
    model_ms, e2e_ms = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        recognizer._run(model_input)
        model_ms.append(1000 * (time.perf_counter() - start))
    for _ in range(repeats // 2):
        start = time.perf_counter()
        recognizer.predict(photo)
        e2e_ms.append(1000 * (time.perf_counter() - start))
    return {"model_call_ms": float(np.median(model_ms)), "model_call_mean_ms": float(np.mean(model_ms)),
            "photo_640x480_ms": float(np.median(e2e_ms)), "photo_640x480_mean_ms": float(np.mean(e2e_ms))}


def evaluate(recognizer: Recognizer, sets: dict[str, list[tuple[np.ndarray, str]]], photo: np.ndarray,
             split: str = "test") -> dict:
    report = {"model": recognizer.name, "split": split, "no_digits_below": recognizer.no_digits_below, "sets": {},
              "latency": latency(recognizer, photo), "right": 0, "digit_images": 0}
    for name, items in sets.items():
        labels, readings, confidences = [], [], []
        for start in tqdm(range(0, len(items), 64), desc=f"{recognizer.name} {name}", leave=False):
            chunk = items[start : start + 64]
            for (_, label), prediction in zip(chunk, recognizer.predict_batch([img for img, _ in chunk])):
                labels.append(label)
                readings.append(prediction.digits)
                confidences.append(prediction.confidence)
        result = score(labels, readings, np.asarray(confidences))
        if name == "no-digits":
            kinds = no_digit_kinds(len(labels))
            answered = collections.Counter(kind for kind, reading in zip(kinds, readings) if not reading)
            by_kind = {kind: {"count": count, "answered": answered[kind]}
                       for kind, count in collections.Counter(kinds).items()}
            result = {"count": len(labels), "no_digits_rate": result["string_accuracy"], "by_kind": by_kind}
        else:
            result["confusion"] = confusion(labels, readings).tolist()
            report["right"] += sum(label == reading for label, reading in zip(labels, readings))
            report["digit_images"] += len(labels)
        report["sets"][name] = result
    return report


def to_markdown(report: dict) -> str:
    source = SPLITS[report["split"]]
    lines = [f"# Evaluation of `{report['model']}`", "",
             f"Image sets synthesised with a fixed seed from {source} (`python -m training.evaluate`); "
             f"\"no digits\" floor {report['no_digits_below']:g}. {report['right']:,} of the "
             f"{report['digit_images']:,} images holding digits read right.", "",
             "| set | images | whole-string | per digit (1 - CER) | no-digits answered |", "|---|---|---|---|---|"]
    for name, r in report["sets"].items():
        if "no_digits_rate" in r:
            lines.append(f"| {name} | {r['count']} | | | {100 * r['no_digits_rate']:.1f} % |")
        else:
            lines.append(f"| {name} | {r['count']} | {100 * r['string_accuracy']:.2f} % | "
                         f"{100 * r['digit_accuracy']:.2f} % | |")
    blank = report["sets"].get("no-digits")
    if blank:
        lines += ["", "Answered \"no digits\", by kind: " + ", ".join(
            f"{kind} {k['answered']} of {k['count']}" for kind, k in blank["by_kind"].items()) + "."]
    main = report["sets"].get("mnist-strings")
    if main:
        lines += ["", "## mnist-strings by length", "", "| length | " + " | ".join(map(str, main["by_length"])) + " |",
                  "|---" * (len(main["by_length"]) + 1) + "|",
                  "| whole-string | " + " | ".join(f"{100 * v:.1f} %" for v in main["by_length"].values()) + " |",
                  "", "## Accuracy vs coverage (mnist-strings; the least confident answers refused)", "",
                  "| answered | accuracy | confidence threshold |", "|---|---|---|"]
        lines += [f"| {100 * float(k):.0f} % | {100 * v['accuracy']:.2f} % | {v['threshold']:.3f} |"
                  for k, v in main["coverage"].items()]
    lat = report["latency"]
    lines += ["", f"Latency on this CPU: model call {lat['model_call_ms']:.2f} ms median "
              f"({lat['model_call_mean_ms']:.2f} ms mean) per image; a whole 640x480 photo read "
              f"{lat['photo_640x480_ms']:.2f} ms median ({lat['photo_640x480_mean_ms']:.2f} ms mean).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--weights", nargs="*", help="a .keras file per --model (default: the shipped weights)")
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each set's size (quick runs)")
    parser.add_argument("--split", choices=sorted(SPLITS), default="test",
                        help="digits the sets are made of: the test split (the report) or the validation digits")
    parser.add_argument("--no-digits-below", type=float,
                        help="the \"no digits\" floor to read with (default: each model's own, from its JSON)")
    parser.add_argument("--out", default=str(WEIGHTS_DIR))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    digits = load_mnist(args.mnist)[args.split]
    sets = {spec.name: build_set(digits, spec, args.seed, args.scale) for spec in tqdm(EVAL_SETS, desc="building sets")}
    photo = photo_640x480(digits, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(args.model):
        recognizer = Recognizer.load(name, args.weights[i] if args.weights else None)
        if args.no_digits_below is not None:
            recognizer.no_digits_below = args.no_digits_below
        report = evaluate(recognizer, sets, photo, args.split)
        (out / f"{name}-eval.json").write_text(json.dumps(report, indent=2))
        (out / f"{name}-eval.md").write_text(to_markdown(report))
        if "mnist-strings" in report["sets"]:
            plot_confusion(np.array(report["sets"]["mnist-strings"]["confusion"]), out / f"{name}-confusion.png",
                           f"{name}: mnist-strings")
        summary = {k: v.get("string_accuracy", v.get("no_digits_rate")) for k, v in report["sets"].items()}
        log.info("%s: %s; %d of %d images holding digits read right", name, summary, report["right"],
                 report["digit_images"])


def photo_640x480(split, seed: int) -> np.ndarray:
    """A webcam-sized photo of a 6-digit number on paper, for timing whole reads."""
    import cv2

    rng = np.random.default_rng(seed)
    synth = StringSynth(split, first_config(min_len=6, max_len=6, negative_rate=0.0, printed_rate=0.0))
    ink, _ = synth.ink_string(rng)
    return cv2.resize(synth.render(rng, ink, "paper"), (640, 480))


if __name__ == "__main__":
    main()
