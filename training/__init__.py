"""Data synthesis, training and evaluation of the digit-string readers."""
