"""Read a handwritten number of any length from one image."""
