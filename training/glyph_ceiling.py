"""How well can one digit be read at all? A single-glyph classifier's ceiling on the evaluation's glyphs.

    KERAS_BACKEND=jax python -m training.glyph_ceiling --mnist PATH --epochs 40 --width 32 --out runs/glyph
    python -m training.glyph_ceiling --mnist PATH --epochs 0 --compare recognizer/weights/cnn.keras

Glyphs are MNIST digits augmented as the strings' glyphs are (`training.synth`), each put alone through
`recognizer.preprocess` (a one-digit image: 28 rows of ink in 32) and kept to its first 48 columns. A plain
CNN classifier (VGG-like, `--width` channels in its first block) learns from fresh glyphs of the training split
every epoch. It, and the string models given with `--compare` (each glyph read as a one-digit number), are
scored on glyphs of the MNIST test split: augmented as the evaluation's strings are, without the ±45° share,
without elastic distortion either, and undistorted (the test images as they are). Nothing is chosen on them.
Writes <out>/glyph-ceiling.json. Sized for a GPU: width 16 is about 30 MFLOPs per glyph, width 32 about 116.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from recognizer.preprocess import InputSpec, preprocess
from training.mnist import Split, load_mnist
from training.synth import StringSynth, SynthConfig

log = logging.getLogger(__name__)

HEIGHT, WIDTH = 32, 48
SPEC = InputSpec(HEIGHT, 256)
TEST_SETS = {  # name: augmentation of the test glyphs (None: the test images as they are)
    "augmented": SynthConfig(),
    "no-wide-rotation": SynthConfig(wide_rotation_rate=0.0),
    "no-elastic-no-wide": SynthConfig(wide_rotation_rate=0.0, elastic_rate=0.0),
    "undistorted": None,
}

_splits: dict[str, Split] = {}


def glyph_input(glyph: np.ndarray, shift: int = 0) -> np.ndarray:
    """A white-on-black glyph as the models see a one-digit image: uint8 HEIGHT x WIDTH, moved `shift` columns
    right."""
    image = preprocess(255 - glyph, SPEC).image
    out = np.zeros((HEIGHT, WIDTH), np.uint8)
    if image is not None:
        columns = min(WIDTH - shift, image.shape[1])
        out[:, shift : shift + columns] = (image[:, :columns] * 255 + 0.5).astype(np.uint8)
    return out


def _make(job: tuple[str, SynthConfig | None, object, int]) -> tuple[np.ndarray, np.ndarray]:
    split_name, config, seed, count = job
    rng = np.random.default_rng(seed)
    split = _splits[split_name]
    if config is None:
        images, labels = split.images[:count], split.labels[:count].astype(np.int64)
    else:
        synth = StringSynth(split, config)
        labels = rng.integers(0, 10, count)
        # The strings' own glyph augmentation, so that these glyphs are the evaluation's.
        images = (synth._mnist_glyph(rng, int(d)) for d in labels)
    return np.stack([glyph_input(g, int(rng.integers(0, 4))) for g in images]), labels


def glyph_jobs(split: str, config: SynthConfig | None, seed: int, count: int, chunks: int = 32) -> list:
    """Work for `make_glyphs`: `count` glyphs of `split` in `chunks` parts, deterministic in `seed` whatever the
    pool's size."""
    if config is None:
        return [(split, None, seed, count)]
    per = -(-count // chunks)
    return [(split, config, [seed, i], min(per, count - i * per)) for i in range(chunks) if count > i * per]


def make_glyphs(pool, jobs: list) -> tuple[np.ndarray, np.ndarray]:
    parts = pool.map(_make, jobs)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def build_classifier(width: int):
    """Three blocks of two 3x3 convolutions (width, 2x, 4x channels), each halving the size, then Dense(256)."""
    import keras
    from keras import layers

    def conv(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input((HEIGHT, WIDTH, 1))
    x = inputs
    for filters in (width, 2 * width, 4 * width):
        x = layers.MaxPooling2D(2)(conv(conv(x, filters), filters))
    x = layers.Flatten()(layers.Dropout(0.3)(x))
    x = layers.Dropout(0.4)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(10)(x), name="glyph_classifier")


def classifier_accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    from training.dataset import to_model_input

    logits = np.asarray(model.predict(to_model_input(images), batch_size=1024, verbose=0))
    return float(np.mean(logits.argmax(-1) == labels))


def string_model_accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of glyphs a CTC string model reads as exactly their one digit (one call, greedy decoding; the
    Recognizer's shifted copies left out)."""
    from recognizer.architectures import ARCHITECTURES
    from training.dataset import to_model_input
    from training.train import decode_batch

    width = SPEC.width_step * -(-WIDTH // SPEC.width_step)  # padded as preprocess pads a one-digit image
    inputs = to_model_input(np.pad(images, ((0, 0), (0, 0), (0, width - WIDTH))))
    outputs = np.asarray(model.predict(inputs, batch_size=512, verbose=0))
    reads = decode_batch(ARCHITECTURES["cnn"], outputs)  # greedy CTC, the decoding of every string model
    return float(np.mean([read == str(label) for read, label in zip(reads, labels)]))


def run(args: argparse.Namespace) -> dict:
    _splits.update(load_mnist(args.mnist))
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        import keras  # after the fork: a backend's threads do not survive one

        from training.dataset import to_model_input

        tests = {name: make_glyphs(pool, glyph_jobs("test", config, 11 + i, args.test_glyphs if config else 10_000))
                 for i, (name, config) in enumerate(TEST_SETS.items())}
        val_images, val_labels = make_glyphs(pool, glyph_jobs("val", SynthConfig(), 15, args.val_glyphs))
        report: dict = {"test_glyphs": {name: len(labels) for name, (_, labels) in tests.items()}}
        for path in args.compare:
            model = keras.saving.load_model(path, compile=False)
            report[path] = {name: string_model_accuracy(model, *data) for name, data in tests.items()}
            log.info("%s: %s", path, report[path])
        if args.epochs:
            model = build_classifier(args.width)
            steps = args.glyphs_per_epoch // args.batch_size
            schedule = keras.optimizers.schedules.CosineDecay(0.0, args.epochs * steps, warmup_target=2e-3,
                                                              warmup_steps=steps)
            model.compile(keras.optimizers.Adam(schedule),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            # Each epoch's fresh glyphs are made while the previous epoch trains.
            upcoming = pool.map_async(_make, glyph_jobs("train", SynthConfig(), 100, args.glyphs_per_epoch, 64))
            history = []
            for epoch in tqdm(range(args.epochs), desc="glyph classifier"):
                parts = upcoming.get()
                if epoch + 1 < args.epochs:
                    upcoming = pool.map_async(_make, glyph_jobs("train", SynthConfig(), 101 + epoch,
                                                                args.glyphs_per_epoch, 64))
                images, labels = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
                model.fit(to_model_input(images), labels, batch_size=args.batch_size, epochs=1, verbose=0)
                history.append(classifier_accuracy(model, val_images, val_labels))
                log.info("epoch %d: validation accuracy %.4f", epoch + 1, history[-1])
            report["classifier"] = {
                "width": args.width, "parameters": model.count_params(), "epochs": args.epochs,
                "glyphs_per_epoch": args.glyphs_per_epoch, "val_accuracy": history,
                "test": {name: classifier_accuracy(model, *data) for name, data in tests.items()},
            }
            log.info("classifier: %s", report["classifier"]["test"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "glyph-ceiling.json").write_text(json.dumps(report, indent=2))
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--epochs", type=int, default=40, help="0: only score the --compare models")
    parser.add_argument("--width", type=int, default=32, help="channels of the classifier's first block")
    parser.add_argument("--glyphs-per-epoch", type=int, default=54_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--test-glyphs", type=int, default=30_000, help="glyphs per augmented test set")
    parser.add_argument("--val-glyphs", type=int, default=12_000)
    parser.add_argument("--compare", nargs="*", default=[], help="string models (.keras) to score on the glyphs")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes making glyphs")
    parser.add_argument("--out", default="runs/glyph")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return run(args)


if __name__ == "__main__":
    main()
