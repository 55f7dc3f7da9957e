"""Read a handwritten number of any length from one image."""

import os

# TensorFlow turns its oneDNN kernels on by default only on some Intel CPUs. On the AMD CPUs this project is
# measured on they halve a training step and read batches ~40 % faster (README, Training). It must be set before
# TensorFlow loads; a setting of the user's own wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
