"""python -m bench: every reader on every set, in one run; writes bench/RESULTS.md, results.json, chart.png.

    python -m bench --mnist ../shared/datasets/mnist.npz            # about 10 minutes on 2 cores
    python -m bench --quick --mnist ../shared/datasets/mnist.npz    # under a minute: tiny sets
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bench.readers import DigitReader, ModelReader, TesseractReader
from bench.sets import bench_sets
from bench.speed import compare_backends
from recognizer.inference import Recognizer
from recognizer.preprocess import preprocess
from training.evaluate import edit_distance, photo_640x480
from training.mnist import load_mnist

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SEED_MODELS = ("seed-cnn", "seed-gru")
#: How the seed baselines are trained when their weights are missing (the README's commands).
SEED_TRAINING = {
    "seed-cnn": ["--epochs", "12", "--steps-per-epoch", "150", "--learning-rate", "1e-3"],
    "seed-gru": ["--epochs", "30", "--steps-per-epoch", "150", "--learning-rate", "3e-3", "--patience", "6"],
}


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PeakMemory:
    """Highest resident memory of this process while the block runs, in MB."""

    def __enter__(self) -> "PeakMemory":
        self.peak, self._running = rss_mb(), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        self._running = False
        self._thread.join()


def seed_weights(name: str, folder: Path, mnist: str | None) -> Path:
    """The seed baseline's weights in `folder`, trained there first with the project's command if missing."""
    path = folder / f"{name}.keras"
    if not path.is_file():
        log.info("training %s (its weights are not in %s)", name, folder)
        command = [sys.executable, "-m", "training.train", "--model", name, "--out", str(folder),
                   "--cache", str(folder / "cache"), "--cache-samples", "40000", *SEED_TRAINING[name]]
        subprocess.run(command + (["--mnist", mnist] if mnist else []), check=True)
    return path


def score_reader(reader: DigitReader, sets: dict, photo: np.ndarray, repeats: int) -> dict:
    """Accuracy and CER per set, the no-digit set's false "digits found" rate, latency, throughput."""
    row = {"sets": {}}
    with PeakMemory() as memory:
        for name, items in sets.items():
            if not items:
                continue
            images, labels = [i for i, _ in items], [label for _, label in items]
            readings = [r for start in range(0, len(images), 64) for r in reader.read(images[start : start + 64])]
            if name == "no-digits":
                row["sets"][name] = {"count": len(labels), "false_digits": float(np.mean([r != "" for r in readings]))}
            else:
                errors = sum(edit_distance(a, b) for a, b in zip(labels, readings))
                row["sets"][name] = {"count": len(labels),
                                     "accuracy": float(np.mean([a == b for a, b in zip(labels, readings)])),
                                     "cer": errors / sum(len(a) for a in labels)}
        single = []
        for _ in range(repeats):
            start = time.perf_counter()
            reader.read([photo])
            single.append(1000 * (time.perf_counter() - start))
        batch = [image for image, _ in sets["mnist-strings"]][:256]
        start = time.perf_counter()
        reader.read(batch)
        row["images_per_s"] = len(batch) / (time.perf_counter() - start)
    row["photo_ms_p50"], row["photo_ms_p95"] = float(np.median(single)), float(np.percentile(single, 95))
    # Tesseract runs in processes of its own: their peak is what it costs.
    row["peak_memory_mb"] = reader.peak_mb if isinstance(reader, TesseractReader) else memory.peak
    return row


def to_markdown(report: dict) -> str:
    sets = [s for s in report["set_sizes"] if s != "no-digits"]
    height, width = report["backend_input"]
    lines = ["# Benchmark", "", f"`{report['command']}` on {report['machine']}; {report['date']}.", "",
             "Image sets made with seed " f"{report['seed']} from the MNIST test split (never its training digits), "
             "and, for `printed`, from the system's fonts: " + ", ".join(f"{k} {v}" for k, v in
                                                                      report["set_sizes"].items()) + " images.", "",
             "## Whole-string accuracy (character error rate)", "",
             "| reader | " + " | ".join(sets) + " | no-digits: digits found |", "|---" * (len(sets) + 2) + "|"]
    for name, row in report["readers"].items():
        cells = [f"{100 * row['sets'][s]['accuracy']:.1f} % ({100 * row['sets'][s]['cer']:.1f})" if s in row["sets"]
                 else "" for s in sets]
        false = row["sets"].get("no-digits", {}).get("false_digits")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'' if false is None else f'{100 * false:.0f} %'} |")
    lines += ["", "## Speed and memory", "",
              "| reader | 640x480 photo, p50 | p95 | batched (256 strings) | peak resident memory |",
              "|---|---|---|---|---|"]
    for name, row in report["readers"].items():
        lines.append(f"| {name} | {row['photo_ms_p50']:.1f} ms | {row['photo_ms_p95']:.1f} ms | "
                     f"{row['images_per_s']:.0f} images/s | {row['peak_memory_mb']:.0f} MB |")
    lines += ["", "The seed baselines read exactly 4 digits (`four-digit` is their home ground). Memory: the benchmark "
              "process's peak while that reader ran, so it grows with every model loaded and includes the "
              "TensorFlow runtime; for Tesseract, the peak of its own processes.", "",
              f"## One model call on the copies of the photo's {height}x{width} model input that one read makes "
              "(`Recognizer.views`), by way of running it", "",
              "| model | option | median | p95 | vs model.predict | max abs diff to Keras |",
              "|---|---|---|---|---|---|"]
    for model, rows in report["backends"].items():
        for r in rows:
            if "error" in r:
                lines.append(f"| {model} | {r['option']} | failed: {r['error']} | | | |")
            else:
                lines.append(f"| {model} | {r['option']} | {r['median_ms']:.2f} ms | {r['p95_ms']:.2f} ms | "
                             f"{r.get('speed_up', 1):.0f}x | {r['max_abs_diff']:.1e} |")
    return "\n".join(lines) + "\n"


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = [s for s in report["set_sizes"] if s != "no-digits"]
    readers = list(report["readers"])
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(readers)
    for i, name in enumerate(readers):
        values = [100 * report["readers"][name]["sets"].get(s, {}).get("accuracy", 0) for s in sets]
        ax.bar(np.arange(len(sets)) + i * width, values, width, label=name)
    ax.set(xticks=np.arange(len(sets)) + 0.4 - width / 2, xticklabels=sets, ylabel="whole-string accuracy (%)",
           ylim=(0, 100), title="Reading whole numbers: the project's models, the seed's, and Tesseract")
    ax.legend(ncol=len(readers), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of the evaluation sets' sizes")
    parser.add_argument("--quick", action="store_true", help="tiny sets and few repeats: under a minute")
    parser.add_argument("--seed-weights", default="runs/seed", help="folder of seed-cnn.keras and seed-gru.keras "
                        "(trained there if missing)")
    parser.add_argument("--no-tesseract", dest="tesseract", action="store_false")
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scale, repeats = (0.003, 5) if args.quick else (args.scale, 50)

    test = load_mnist(args.mnist)["test"]
    sets = bench_sets(test, args.seed, scale)
    photo = photo_640x480(test, args.seed)
    readers: list[DigitReader] = [ModelReader(Recognizer.load(name)) for name in ("cnn", "gru")]
    folder = Path(args.seed_weights)
    readers += [ModelReader(Recognizer.load(name, seed_weights(name, folder, args.mnist))) for name in SEED_MODELS]
    if args.tesseract:
        readers.append(TesseractReader())
    report = {"command": "python -m bench" + (" --quick" if args.quick else f" --scale {scale:g}"),
              "machine": f"{__import__('os').cpu_count()} CPU cores", "date": time.strftime("%Y-%m-%d"),
              "seed": args.seed, "set_sizes": {name: len(items) for name, items in sets.items()},
              "readers": {}, "backends": {}}
    for reader in tqdm(readers, desc="readers"):
        report["readers"][reader.name] = score_reader(reader, sets, photo, repeats)
        log.info("%s: %s", reader.name, {k: v.get("accuracy", v.get("false_digits"))
                                         for k, v in report["readers"][reader.name]["sets"].items()})
    model_input = preprocess(photo).image
    report["backend_input"] = list(model_input.shape)
    for reader in readers[:2]:
        report["backends"][reader.name] = compare_backends(reader.recognizer, model_input, repeats=20 if args.quick
                                                           else 300)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    (out / "RESULTS.md").write_text(to_markdown(report))
    plot(report, out / "chart.png")
    log.info("wrote %s", out / "RESULTS.md")
