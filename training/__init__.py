"""Data synthesis, training and evaluation of the digit-string readers."""

import recognizer  # noqa: F401  (first: its TensorFlow settings must apply before Keras loads)
