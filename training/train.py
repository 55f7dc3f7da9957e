"""Train one model on synthetic MNIST strings.

    python -m training.train --model cnn --mnist ../shared/datasets/mnist.npz --out recognizer/weights

Writes <out>/<model>.keras (the epoch with the best validation whole-string accuracy), <model>.json (data
settings, epochs, training time, metrics) and <model>-curves.png (loss and accuracy per epoch).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from recognizer.architectures import ARCHITECTURES, BLANK, Architecture
from recognizer.decoding import ctc_greedy, softmax
from training.dataset import CachedStrings, SyntheticStrings, build_cache
from training.mnist import load_mnist
from training.synth import StringSynth, SynthConfig

log = logging.getLogger(__name__)


def ctc_loss(labels, logits):
    """CTC loss of per-column logits against labels padded with -1 ("" is a valid label); backend tensors in and
    out, so that training runs on any Keras backend.

    A label that cannot be aligned to the columns (more digits plus repeated digits than columns: a rare, very
    narrow render such as "11111111") adds nothing: TensorFlow scores it ~700, torch infinite (NaN weights).
    """
    ops = keras.ops
    labels = ops.cast(labels, "int32")
    present = labels >= 0
    label_length = ops.sum(ops.cast(present, "int32"), axis=-1)
    repeats = ops.sum(ops.cast(ops.logical_and(labels[:, 1:] == labels[:, :-1], present[:, 1:]), "int32"), axis=-1)
    logit_length = ops.sum(ops.ones_like(logits[:, :, 0], dtype="int32"), axis=-1)
    alignable = label_length + repeats <= logit_length
    loss = ops.ctc_loss(ops.maximum(labels, 0), logits, ops.where(alignable, label_length, 0), logit_length,
                        mask_index=BLANK)
    return ops.where(alignable, loss, ops.zeros_like(loss))


def distribution_scope() -> contextlib.AbstractContextManager:
    """A `tf.distribute.MirroredStrategy` scope when several GPUs are visible to TensorFlow; else nothing.

    Training also runs on Keras' other backends (e.g. `KERAS_BACKEND=jax` on a GPU machine without TensorFlow),
    on one device.
    """
    if keras.backend.backend() != "tensorflow":
        return contextlib.nullcontext()
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return (tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()).scope()


def decode_batch(arch: Architecture, outputs: np.ndarray) -> list[str]:
    """Fast readings of a batch of model outputs (greedy CTC or per-position argmax)."""
    if arch.decoder == "ctc":
        return ["".join(str(d) for d, _ in ctc_greedy(softmax(o))) for o in outputs]
    return ["".join(map(str, o.argmax(-1))) for o in outputs]


def labels_to_strings(labels: np.ndarray) -> list[str]:
    return ["".join(str(d) for d in row if d >= 0) for row in labels]


class StringAccuracy(keras.callbacks.Callback):
    """Adds `val_string_acc` (whole-string accuracy on the validation set) to each epoch's logs."""

    def __init__(self, arch: Architecture, val: keras.utils.PyDataset):
        super().__init__()
        self.arch, self.val = arch, val

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        right = total = 0
        for i in range(len(self.val)):
            x, y = self.val[i]
            read = decode_batch(self.arch, keras.ops.convert_to_numpy(self.model(x, training=False)))
            right += sum(a == b for a, b in zip(read, labels_to_strings(y)))
            total += len(read)
        logs["val_string_acc"] = right / total
        log.info("epoch %d: val_string_acc %.4f", epoch + 1, right / total)


def rendering_version() -> str:
    """A short hash of the synthesis, preprocessing and rendering code, which decide what a cached image looks
    like."""
    import recognizer.preprocess
    import training.dataset
    import training.synth

    modules = (recognizer.preprocess, training.synth, training.dataset)
    sources = (Path(module.__file__).read_bytes() for module in modules)
    return hashlib.sha256(b"".join(sources)).hexdigest()[:8]


def synth_config(name: str, max_rotation: float) -> SynthConfig:
    arch = ARCHITECTURES[name]
    if arch.seed_length:
        return SynthConfig(fixed_len=arch.seed_length, negative_rate=0.0, separator_rate=0.0, max_rotation=max_rotation)
    return SynthConfig(max_rotation=max_rotation)


def plot_history(history: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax_loss.plot(epochs, history["loss"], label="train")
    ax_loss.plot(epochs, history["val_loss"], label="validation")
    ax_loss.set(title=f"{title}: loss", xlabel="epoch")
    ax_loss.legend()
    ax_acc.plot(epochs, history["val_string_acc"], label="validation whole-string")
    ax_acc.set(title=f"{title}: accuracy", xlabel="epoch", ylim=(0, 1))
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def early_stopping(epochs: int, patience: int) -> keras.callbacks.EarlyStopping:
    """Stops when validation string accuracy has not improved for `patience` epochs, counted from the second half
    of the cosine schedule only: while the learning rate is high the metric swings by a point or more, and a
    stop there keeps a model far from what the schedule's end gives (a second seed of the shipped cnn recipe
    stopped after epoch 13 of 26, keeping epoch 9 at 87.5 %; run to the end, 91.8 %)."""
    return keras.callbacks.EarlyStopping(monitor="val_string_acc", mode="max", patience=patience,
                                         start_from_epoch=epochs // 2, restore_best_weights=True)


def compile_model(arch: Architecture, learning_rate: keras.optimizers.schedules.LearningRateSchedule | float,
                  widen: float = 1.0) -> keras.Model:
    model = arch.build(widen)
    loss = ctc_loss if arch.decoder == "ctc" else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def initial_weights(arch: Architecture, path: str, widen: float) -> list[np.ndarray]:
    """The weights of `path`, a .keras file of `arch` at `widen`, to fine-tune from; exits, saying why, where it is
    not one. Read with Keras alone, so that it works on every backend."""
    try:
        source = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # missing, corrupt or foreign: say which file and why
        raise SystemExit(f"--init {path} could not be loaded ({str(exc).splitlines()[0][:200]})") from None
    model = arch.build(widen)
    if [tuple(w.shape) for w in source.weights] != [tuple(w.shape) for w in model.weights]:
        raise SystemExit(f"--init {path}: its {source.count_params():,} parameters are not laid out as {arch.name}'s "
                         f"at --widen {widen:g} ({model.count_params():,})")
    return source.get_weights()


def train(args: argparse.Namespace) -> dict:
    arch = ARCHITECTURES[args.model]
    init = initial_weights(arch, args.init, args.widen) if args.init else None  # before any data is rendered
    config = synth_config(args.model, args.max_rotation)
    splits = load_mnist(args.mnist)
    label_length = config.fixed_len or config.max_len
    train_synth, val_synth = StringSynth(splits["train"], config), StringSynth(splits["val"], config)
    val_batches = max(1, args.val_samples // args.batch_size)
    val_stream = SyntheticStrings(val_synth, arch.spec, label_length, args.batch_size, val_batches, args.seed + 1)
    if args.cache:
        # Models with the same input and data settings share a cache: cnn and gru; seed-cnn and seed-gru.
        # The key names the code that renders images too, so a cache never outlives a change to it.
        key = (f"{arch.decoder}-{arch.spec.height}x{arch.spec.width}-rot{args.max_rotation:g}"
               f"-n{args.cache_samples}-b{args.batch_size}-seed{args.seed}-{rendering_version()}")
        directories = {name: Path(args.cache) / f"{key}-{name}" for name in ("train", "val")}
        cache_stream = SyntheticStrings(train_synth, arch.spec, label_length, args.batch_size,
                                        args.cache_samples // args.batch_size, args.seed)
        for name, stream in (("train", cache_stream), ("val", val_stream)):
            if not (directories[name] / "images.npy").exists():
                build_cache(stream, directories[name], processes=args.workers)
        train_data = CachedStrings(directories["train"], arch.spec, args.batch_size, args.seed)
        val_data = CachedStrings(directories["val"], arch.spec, args.batch_size, args.seed, shuffle=False)
        steps = min(args.steps_per_epoch, len(train_data))
    else:
        train_data = SyntheticStrings(train_synth, arch.spec, label_length, args.batch_size, args.steps_per_epoch,
                                      args.seed, workers=args.workers, use_multiprocessing=args.workers > 1)
        val_data, steps = val_stream, args.steps_per_epoch

    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=args.epochs * steps, warmup_target=args.learning_rate, warmup_steps=min(500, steps))
    with distribution_scope():
        model = compile_model(arch, schedule, args.widen)
        if init is not None:  # fine-tune: start from trained weights of the same architecture
            model.set_weights(init)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{args.model}.keras"
    callbacks = [
        StringAccuracy(arch, val_data),
        # Kept and stopped by the metric users see: validation loss can stall while strings still improve.
        keras.callbacks.ModelCheckpoint(weights, monitor="val_string_acc", mode="max", save_best_only=True),
        early_stopping(args.epochs, args.patience),
        keras.callbacks.CSVLogger(out / f"{args.model}-history.csv"),
    ]
    start = time.time()
    history = model.fit(train_data, validation_data=val_data, epochs=args.epochs, steps_per_epoch=steps,
                        callbacks=callbacks, verbose=1 if args.progress else 2).history
    minutes = (time.time() - start) / 60
    plot_history(history, out / f"{args.model}-curves.png", args.model)
    if keras.backend.backend() == "tensorflow":  # the TensorFlow Lite copy the Recognizer reads single images with
        from training.export import export_weights

        export_weights(args.model, weights)
    else:
        log.warning("no TensorFlow Lite copy written: run `python -m training.export` where TensorFlow is installed")
    best = int(np.argmax(history["val_string_acc"]))
    report = {
        "model": args.model,
        "parameters": model.count_params(),
        "widen": args.widen,
        "input": asdict(arch.spec),
        "data": {**asdict(config), "mnist_split": "train (validation held out: "
                 f"{len(splits['val'].labels)} digits)", "cache_samples": args.cache_samples if args.cache else None,
                 "seed": args.seed},
        "initialised_from": args.init,
        "batch_size": args.batch_size,
        "steps_per_epoch": steps,
        "epochs_run": len(history["loss"]),
        "best_epoch": best + 1,
        "training_minutes": round(minutes, 1),
        "val_loss": float(history["val_loss"][best]),
        "val_string_acc": float(history["val_string_acc"][best]),
        "history": {k: [float(v) for v in vals] for k, vals in history.items()},
    }
    (out / f"{args.model}.json").write_text(json.dumps(report, indent=2))
    log.info("trained %s in %.1f min: best epoch %d, val_string_acc %.4f", args.model, minutes, best + 1,
             report["val_string_acc"])
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(ARCHITECTURES), required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps-per-epoch", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--widen", type=float, default=1.0,
                        help="multiply cnn's or gru's channels and units (compute grows about as its square)")
    parser.add_argument("--patience", type=int, default=4,
                        help="early stopping patience, in epochs, counted from the second half of the run")
    parser.add_argument("--max-rotation", type=float, default=15.0, help="rotation range in degrees (up to 45)")
    parser.add_argument("--val-samples", type=int, default=4000)
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", help="a .keras file of the same model to start from (fine-tuning)")
    parser.add_argument("--out", default="recognizer/weights")
    parser.add_argument("--cache", help="render --cache-samples training strings once into this folder and "
                        "reuse them every epoch (much less CPU than streaming)")
    parser.add_argument("--cache-samples", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2, help="processes generating data")
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all cores)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="one log line per epoch")
    args = parser.parse_args(argv)
    if args.widen <= 0 or (args.widen != 1.0 and ARCHITECTURES[args.model].decoder != "ctc"):
        parser.error("--widen must be positive, and 1 for the seed models (built as published)")
    return args


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    if args.threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    train(args)


if __name__ == "__main__":
    main()
