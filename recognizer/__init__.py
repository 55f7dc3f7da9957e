"""Read a handwritten number of any length from one image."""

import os

# On Linux, TensorFlow turns its oneDNN kernels on by default only for CPUs with AVX-512 VNNI/BF16, AVX-VNNI or
# AMX. On the AVX2 AMD CPUs this project is measured on they cut a training step from 1.5 s to 0.86 (README,
# Training). It must be set before TensorFlow loads; a setting of the user's own wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
