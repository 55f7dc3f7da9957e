"""Time training steps of one model on random data: what a training run costs per batch on this machine.

    python tools/time_training_step.py --model cnn
    python tools/time_training_step.py --model gru --widen 2          # a model twice as wide (training.train --widen)
    TF_ENABLE_ONEDNN_OPTS=0 python tools/time_training_step.py --model cnn   # TensorFlow's default on AMD CPUs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.train import compile_model  # noqa: E402  (sets TensorFlow's options before it loads)


def main() -> None:
    import numpy as np
    from tensorflow.python.util import _pywrap_util_port

    from recognizer.architectures import ARCHITECTURES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(ARCHITECTURES), default="cnn")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--widen", type=float, default=1.0, help="as training.train's --widen")
    args = parser.parse_args()
    arch = ARCHITECTURES[args.model]
    model = compile_model(arch, 1e-4, args.widen)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch_size, arch.spec.height, arch.spec.width, 1), np.float32)
    length = arch.seed_length or 8
    y = rng.integers(0, 10, (args.batch_size, length)).astype(np.int32)
    model.train_on_batch(x, y)  # traced and warmed up
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        seconds.append(time.perf_counter() - start)
    onednn = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    print(f"{args.model} (widen {args.widen:g}, {model.count_params():,} parameters): {np.median(seconds):.3f} s "
          f"per training step of {args.batch_size} (median of {args.steps}; oneDNN {onednn})")


if __name__ == "__main__":
    main()
