"""Numbers drawn as pen strokes on a sketchpad, from a small stroke font, not MNIST: an evaluation set of digits as
people draw them in the app (smooth strokes; 1s with a flag, 7s crossed and 4s open as in much of Europe), and rows
of straight 1s as the app's sketchpad sends them. Nothing here is used in training, so these tell how the models read
handwriting unlike MNIST's."""

from __future__ import annotations

import cv2
import numpy as np

CANVAS = (300, 900)  # the app's sketchpad, rows x columns


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> np.ndarray:
    """Points of an elliptic arc from `start` to `stop` degrees (image axes: 90 is straight down)."""
    t = np.radians(np.linspace(start, stop, 24))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _bend(p0: tuple, control: tuple, p1: tuple) -> np.ndarray:
    """Points of the quadratic Bézier curve from `p0` to `p1` pulled towards `control`."""
    t = np.linspace(0.0, 1.0, 16)[:, None]
    return (1 - t) ** 2 * np.array(p0) + 2 * (1 - t) * t * np.array(control) + t**2 * np.array(p1)


def _lines(*points: tuple) -> np.ndarray:
    """A polyline through `points`."""
    return np.array(points, float)


def _glyph_strokes(digit: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The strokes of `digit` as polylines in a box 0.6 wide and 1 tall (x right, y down); a 1 has a flag, a 7 a
    bar across and a 4 an open top half of the time."""
    variant = rng.random() < 0.5
    if digit == 0:
        return [_arc(0.3, 0.5, 0.27, 0.48, -100, 265)]
    if digit == 1:
        return [_lines((0.08, 0.3), (0.38, 0.0), (0.38, 1.0)) if variant else _lines((0.3, 0.0), (0.3, 1.0))]
    if digit == 2:
        return [np.vstack([_arc(0.3, 0.28, 0.25, 0.25, 180, 390), _lines((0.03, 1.0), (0.6, 1.0))])]
    if digit == 3:
        return [np.vstack([_arc(0.28, 0.26, 0.22, 0.22, 200, 450), _arc(0.28, 0.73, 0.26, 0.26, -90, 160)])]
    if digit == 4:
        if variant:
            return [_lines((0.1, 0.0), (0.05, 0.6), (0.6, 0.6)), _lines((0.45, 0.2), (0.45, 1.0))]
        return [_lines((0.45, 1.0), (0.45, 0.0), (0.0, 0.68), (0.6, 0.68))]
    if digit == 5:
        return [np.vstack([_lines((0.55, 0.0), (0.12, 0.0)), _arc(0.3, 0.69, 0.27, 0.27, -130, 150)])]
    if digit == 6:
        return [np.vstack([_bend((0.5, 0.02), (0.05, 0.15), (0.05, 0.72)), _arc(0.3, 0.73, 0.25, 0.25, 180, 540)])]
    if digit == 7:
        seven = [_lines((0.03, 0.0), (0.58, 0.0), (0.2, 1.0))]
        return seven + [_lines((0.15, 0.5), (0.52, 0.5))] if variant else seven
    if digit == 8:
        return [np.vstack([_arc(0.3, 0.25, 0.2, 0.2, 90, 450), _arc(0.3, 0.71, 0.27, 0.27, -90, 270)])]
    return [np.vstack([_arc(0.3, 0.27, 0.24, 0.24, 0, -360), _lines((0.54, 0.27), (0.47, 1.0))])]


def drawn_number(rng: np.random.Generator, digits: str, height: tuple[float, float] = (90, 200),
                 brush: tuple[int, int] = (6, 15), gap: tuple[float, float] = (0.05, 0.35)) -> np.ndarray:
    """`digits` drawn in black on a white sketchpad (RGB uint8): `height` pixels tall (a range), with a brush
    `brush` pixels wide, slanted up to 17° right, each digit turned up to 6° and its points jittered, the digits'
    boxes `gap` of the height apart (the strokes stand out of them by half the brush); the whole number shrunk to
    fit the canvas where it is too wide, and put anywhere on it."""
    height, brush = rng.uniform(*height), int(rng.integers(brush[0], brush[1] + 1))
    slant, gap = rng.uniform(-0.3, 0.05), rng.uniform(*gap) * height
    ink = np.zeros((round(3 * height), round(len(digits) * (height + gap) + 2 * height)), np.uint8)
    x = height
    for digit in digits:
        width, turn = height * rng.uniform(0.85, 1.15), np.radians(rng.uniform(-6, 6))
        for stroke in _glyph_strokes(int(digit), rng):
            points = stroke + rng.normal(0.0, 0.012, stroke.shape)
            px = points[:, 0] * width + slant * (points[:, 1] - 1) * height
            py = points[:, 1] * height
            turned = np.stack([px * np.cos(turn) - py * np.sin(turn), px * np.sin(turn) + py * np.cos(turn)], 1)
            cv2.polylines(ink, [np.round(turned + (x, height)).astype(np.int32)], False, 255, brush, cv2.LINE_AA)
        x += 0.6 * width + gap
    x0, y0, w, h = cv2.boundingRect(ink)
    rows, columns = CANVAS
    scale = min(1.0, (columns - 40) / w, (rows - 20) / h)
    ink = cv2.resize(ink[y0 : y0 + h, x0 : x0 + w], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = ink.shape
    left, top = int(rng.integers(20, columns - 20 - w + 1)), int(rng.integers(10, rows - 10 - h + 1))
    canvas = np.zeros((rows, columns), np.uint8)
    canvas[top : top + h, left : left + w] = ink
    return np.repeat(255 - canvas[..., None], 3, axis=2)


def straight_ones(rng: np.random.Generator, ones: int, brush: int = 14, lean: tuple[int, int] = (0, 20)) -> np.ndarray:
    """A row of `ones` 1s, each one straight stroke 160 pixels tall, 40-90 pixels apart, drawn `brush` pixels wide on
    the app's transparent sketchpad (RGBA uint8, black under alpha 0 as the browser sends it), their ends `lean`
    pixels (a range) either side of upright: the 1s a person draws in the app, where CTC needs a blank frame between
    two of them."""
    rows, columns = CANVAS
    canvas = np.zeros((rows, columns, 4), np.uint8)
    x, top = int(rng.integers(100, columns - 100 - 90 * (ones - 1))), int(rng.integers(20, 120))
    for i in range(ones):
        x += int(rng.integers(40, 91)) if i else 0
        slant = int(rng.choice([-1, 1]) * rng.integers(lean[0], lean[1] + 1))
        cv2.line(canvas, (x + slant, top), (x - slant, top + 160), (0, 0, 0, 255), brush, cv2.LINE_AA)
    return canvas
