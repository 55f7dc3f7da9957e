"""Benchmark: the shipped models, the seed baselines and Tesseract reading the same image sets."""
