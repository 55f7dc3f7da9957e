"""The benchmark's image sets, made with a fixed seed from the MNIST test split (and system fonts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training.evaluate import EVAL_SETS, build_set
from training.mnist import Split

#: The evaluation sets the benchmark reuses, by name (the four-digit set is the seed models' home ground).
REUSED = ("mnist-strings", "four-digit", "canvas", "paper", "webcam", "long-12-16", "no-digits")
FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
FONT_NAMES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "LiberationSans-Regular.ttf",
              "LiberationSerif-Regular.ttf", "LiberationMono-Regular.ttf", "Arial.ttf", "Times New Roman.ttf")


def system_fonts() -> list[Path]:
    """Common TrueType fonts found on this machine (the printed set is only as varied as these)."""
    found = {}
    for folder in FONT_DIRS:
        for name in FONT_NAMES:
            for path in sorted(Path(folder).rglob(name)) if Path(folder).is_dir() else []:
                found.setdefault(name, path)
    return list(found.values())


def printed_numbers(count: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """Numbers of 1..8 digits typed in common fonts, dark on light, at various sizes, with a little noise."""
    fonts = system_fonts()
    if not fonts:
        return []
    rng = np.random.default_rng([seed, 99])
    items = []
    for i in range(count):
        label = "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(1, 9))))
        font = ImageFont.truetype(str(fonts[i % len(fonts)]), int(rng.integers(20, 72)))
        left, top, right, bottom = font.getbbox(label)
        margin = int(rng.integers(6, 40))
        image = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), int(rng.integers(200, 256)))
        ImageDraw.Draw(image).text((margin - left, margin - top), label, font=font, fill=int(rng.integers(0, 80)))
        noisy = np.asarray(image, np.float32) + rng.normal(0, 4, (image.height, image.width))
        items.append((np.clip(noisy, 0, 255).astype(np.uint8), label))
    return items


def bench_sets(test: Split, seed: int, scale: float) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Every set by name: (image, expected digits) pairs; "" where the image holds no digits."""
    specs = {spec.name: spec for spec in EVAL_SETS}
    sets = {name: build_set(test, specs[name], seed, scale) for name in REUSED}
    sets["printed"] = printed_numbers(max(1, int(500 * scale)), seed)
    return sets
