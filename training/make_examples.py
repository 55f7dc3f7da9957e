"""Write the app's example images into examples/ from MNIST *test* digits, with a fixed seed.

    python -m training.make_examples --mnist ../shared/datasets/mnist.npz
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from recognizer.preprocess import turned
from training.evaluate import cut_to_ink
from training.mnist import load_mnist
from training.synth import StringSynth, first_config, no_digit_image

# (file name, number written, style)
EXAMPLES = (
    ("sketch-2024.png", "2024", "canvas"),
    ("sketch-phone-number-0612345789.png", "0612345789", "canvas"),
    ("sketch-7.png", "7", "canvas"),
    ("paper-photo-385.png", "385", "paper"),
    ("paper-photo-19071.png", "19071", "paper"),
    ("paper-photo-4406.png", "4406", "paper"),
    ("webcam-frame-8152.png", "8152", "webcam"),
    ("webcam-frame-63.png", "63", "webcam"),
    ("scan-90210.png", "90210", "scan"),
    ("long-number-3141592653589793.png", "3141592653589793", "scan"),
    ("light-on-dark-526.png", "526", "board"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", help="local mnist.npz (else $MNIST_NPZ, else Keras' download)")
    parser.add_argument("--out", default="examples")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # The examples were first made with `first_config`, so they stay as they are; then a whole ruled page
    # photographed askew.
    test = load_mnist(args.mnist)["test"]
    synth = StringSynth(test, first_config(max_rotation=8.0, elastic_rate=0.0, negative_rate=0.0, printed_rate=0.0))
    rng = np.random.default_rng(args.seed)
    for name, number, style in EXAMPLES:
        ink, _ = synth.ink_string(rng, number)
        image = synth.render(rng, ink, style)
        Image.fromarray(camera_frame(image) if style in ("paper", "webcam") else image).save(out / name)
    Image.fromarray(no_digit_image(rng, synth, "letters")).save(out / "no-digits-letters.png")
    Image.fromarray(no_digit_image(rng, synth, "blank-paper")).save(out / "no-digits-blank-paper.png")
    page = StringSynth(test, replace(synth.config, ruled_rate=1.0, ruling_tilt=8.0, photo_margin=(3.0, 6.0)))
    ink, _ = page.ink_string(rng, "2718")
    image = page.render(rng, ink, "paper")
    Image.fromarray(camera_frame(image)).save(out / "paper-page-askew-2718.png")
    # A number in a bold marker, cropped to its ink: its strokes touch the edges.
    ink, _ = synth.ink_string(rng, "4075")
    bold = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    Image.fromarray(cut_to_ink(bold, 2.0)).save(out / "cut-to-the-digits-4075.png")
    # A date written with dots between its parts: its digits are read, the dots are not.
    ink, _ = synth.ink_string(rng, "05.12.24")
    Image.fromarray(camera_frame(synth.render(rng, ink, "paper"))).save(out / "paper-photo-date-051224.png")
    # A number sketched running uphill: `preprocess` turns it level.
    ink, _ = synth.ink_string(rng, "60221")
    Image.fromarray(synth.render(rng, turned(ink, 18.0), "canvas")).save(out / "sketch-uphill-60221.png")


def camera_frame(image: np.ndarray) -> np.ndarray:
    """`image` resized to a camera frame's width, 640 pixels."""
    return cv2.resize(image, (640, round(640 * image.shape[0] / image.shape[1])))


if __name__ == "__main__":
    main()
