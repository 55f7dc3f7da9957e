"""Ways to run one model on what reading one image takes (its moved copies, `Recognizer.views`), timed in the same
process: plain `model.predict`, the compiled `tf.function` the `Recognizer` uses for batches, the same with XLA,
and the TensorFlow Lite copy the `Recognizer` uses for single images."""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from recognizer.inference import Recognizer, moved_copies

log = logging.getLogger(__name__)


def _median_ms(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times)), float(np.percentile(times, 95))


def _shipped_lite(recognizer: Recognizer) -> Callable[[np.ndarray], np.ndarray]:
    if recognizer.lite is None:
        raise FileNotFoundError("no up-to-date .tflite beside the weights (python -m training.export)")
    return recognizer.lite


def compare_backends(recognizer: Recognizer, image: np.ndarray, repeats: int = 200) -> list[dict]:
    """One row per way of running the model on the moved copies of `image` (a model input), one call each:
    median/p95 ms, agreement with Keras."""
    import tensorflow as tf

    x = moved_copies([image], recognizer.views)
    reference = recognizer.model(x, training=False).numpy()
    xla = tf.function(lambda t: recognizer.model(t, training=False), jit_compile=True)
    options: dict[str, Callable[[], Callable[[np.ndarray], np.ndarray]]] = {
        "model.predict per image": lambda: lambda t: recognizer.model.predict(t, verbose=0),
        "tf.function (the Recognizer's batch call)": lambda: lambda t: recognizer._call(t).numpy(),
        "tf.function + XLA": lambda: lambda t: xla(t).numpy(),
        "TensorFlow Lite (the Recognizer's single-image call)": lambda: _shipped_lite(recognizer),
    }
    rows = []
    for name, make in options.items():
        try:
            run = make()
            difference = float(np.max(np.abs(run(x) - reference)))
            median, p95 = _median_ms(lambda: run(x), repeats)
            rows.append({"option": name, "median_ms": median, "p95_ms": p95, "max_abs_diff": difference})
        except Exception as exc:  # a conversion that this model does not support: say so in the report
            log.warning("%s: %s failed: %s", recognizer.name, name, str(exc).splitlines()[0][:200])
            rows.append({"option": name, "error": str(exc).splitlines()[0][:200]})
    plain = next((r["median_ms"] for r in rows if r["option"].startswith("model.predict") and "median_ms" in r), None)
    for row in rows:
        if plain and "median_ms" in row:
            row["speed_up"] = plain / row["median_ms"]
    return rows
