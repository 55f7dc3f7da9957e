"""Synthesise images of handwritten digit strings from MNIST digits, rendered as users bring them.

A string is composed from augmented MNIST glyphs (rotation, scale, shear, elastic distortion, stroke
thickness) placed side by side without collisions, some with separators between them (12.50, 12:30), then
rendered in one style: a clean scan, a browser canvas (RGBA), a pen on photographed paper, a webcam frame, or
light ink on a dark board.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np

from recognizer.preprocess import stroke_width, turned
from training.mnist import Split

STYLES = ("scan", "canvas", "paper", "webcam", "board")
# Letters that do not look like digits, for "no digits" samples.
NON_DIGIT_LETTERS = "ACEFHKMNPRTUVWXYacefhkmnprtuvwxy"
# Written between the digits of amounts, dates, times and codes (12.50, 1,250, 12.05.24, 12:30, 555-01), read as
# nothing: the number's digits are what users want. Not the slash: drawn like a slanted 1, it taught the models
# to drop MNIST's slanted 1s.
SEPARATORS = ".,-:"
HERSHEY_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_PLAIN,
)


@dataclass(frozen=True)
class SynthConfig:
    """What varies between synthetic strings."""

    min_len: int = 1
    max_len: int = 8
    max_rotation: float = 15.0  # degrees for most glyphs; up to 45 is supported
    wide_rotation_rate: float = 0.05  # share of glyphs rotated up to ±45°
    elastic_rate: float = 0.5
    printed_rate: float = 0.06  # strings written in a font instead of MNIST glyphs
    negative_rate: float = 0.04  # images of letters, labelled "" (no digits)
    style_weights: tuple[float, ...] = (0.2, 0.25, 0.3, 0.15, 0.1)  # in the order of STYLES
    thin_rate: float = 0.25  # scans, canvases and photos written with a thin pen or brush
    # Handwritten strings written with a felt-tip marker, or small on the sketchpad with its wide brush: strokes 20-40 %
    # of each digit's height, the holes of 6, 8 and 9 nearly closed (MNIST's strokes are 10-15 %).
    bold_rate: float = 0.08
    stroke_one_rate: float = 0.3  # 1s written as one nearly upright stroke instead of an MNIST glyph
    # Labels holding a run of 3-5 of one digit, 1s half of the time ("1111", "000"): CTC must find a blank between
    # each repeat, and narrow 1s drawn far apart leave it few frames.
    repeat_rate: float = 0.05
    # Of those, 1s with a flag: a stroke from the top down to the left, a third to half as long as the stem, as most
    # of Europe writes them (MNIST's 1s have none, and models trained without them read a flagged 1 as a 7).
    flagged_one_rate: float = 0.5
    ruled_rate: float = 0.5  # photos of ruled (70 %) or squared (30 %) paper
    ruling_tilt: float = 8.0  # degrees up to which a sheet's lines run off level (a photo taken askew)
    photo_margin: tuple[float, float] = (0.3, 1.5)  # range of the paper around a photo's number, in its heights
    # Ruled and squared photos with a notebook's margin line (one or two upright lines, darker than the rulings, left
    # of the number): the margin-line evaluation set. Off in training.
    margin_rate: float = 0.0
    perspective_rate: float = 0.3  # photos seen slightly in perspective
    separator_rate: float = 0.1  # handwritten strings with one or two `SEPARATORS` between their digits
    # Degrees up to which a number's line runs off level (written or photographed askew): the askew evaluation sets.
    # Off in training: `preprocess` levels such numbers, and fine-tuning with 15° gained nothing (README, Training).
    number_tilt: float = 0.0
    # Strings with a stray mark (a pen tap, a tick, a smudge) 1.5-3 of their height above or below them: the stray-mark
    # evaluation sets. Off in training: `preprocess` leaves such marks out.
    stray_mark_rate: float = 0.0
    fixed_len: int | None = None  # the seed baselines read exactly 4 digits


def first_config(**changes) -> SynthConfig:
    """The synthesis as it was before thin and bold pens, upright 1s, runs of one digit and askew paper lines (all off
    unless `changes` turn them on, and separators): the evaluation sets and the examples are made with it, so that
    they keep their images."""
    return SynthConfig(**{"thin_rate": 0.0, "bold_rate": 0.0, "stroke_one_rate": 0.0, "repeat_rate": 0.0,
                          "ruling_tilt": 0.0, "separator_rate": 0.0, **changes})


class StringSynth:
    """Makes (image, label) pairs; `label` is the digit string ("" for images without digits)."""

    def __init__(self, split: Split, config: SynthConfig = SynthConfig()):
        self.images = split.images
        self.by_class = [np.flatnonzero(split.labels == d) for d in range(10)]
        self.config = config

    # --- glyphs ---------------------------------------------------------------------------------
    def _mnist_glyph(self, rng: np.random.Generator, digit: int, thicken: bool = True) -> np.ndarray:
        glyph = self.images[rng.choice(self.by_class[digit])]
        cfg = self.config
        glyph = cv2.copyMakeBorder(glyph, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=0)
        if rng.random() < cfg.elastic_rate:
            glyph = _elastic(rng, glyph, alpha=rng.uniform(1.0, 2.5), sigma=4.0)
        limit = 45.0 if rng.random() < cfg.wide_rotation_rate else cfg.max_rotation
        angle = rng.uniform(-limit, limit)
        matrix = cv2.getRotationMatrix2D((22, 22), angle, rng.uniform(0.8, 1.15))
        matrix[0, 1] += rng.uniform(-0.25, 0.25)  # shear: slanted writing
        glyph = cv2.warpAffine(glyph, matrix, (44, 44), flags=cv2.INTER_LINEAR)
        if not thicken:
            return glyph
        thickness = rng.choice(4, p=[0.55, 0.25, 0.12, 0.08])
        if thickness:
            glyph = cv2.dilate(glyph, np.ones((thickness + 1, thickness + 1), np.uint8))
        return glyph

    def _stroke_one(self, rng: np.random.Generator) -> np.ndarray:
        """A 1 written as one nearly upright stroke, as on a sketchpad (MNIST's 1s are mostly slanted), on the
        44x44 canvas of `_mnist_glyph`; for a share (`flagged_one_rate`) with a flag, leaning up to about 17°."""
        canvas = np.zeros((44, 44), np.uint8)
        top, bottom, slant = int(rng.integers(6, 12)), int(rng.integers(32, 38)), rng.uniform(-2.0, 2.0)
        pen = int(rng.integers(2, 4))
        if _chance(rng, self.config.flagged_one_rate):
            slant = rng.uniform(-1.5, 4.0)
            length, angle = rng.uniform(0.3, 0.5) * (bottom - top), np.radians(rng.uniform(25.0, 60.0))
            end = (round(22 + slant - length * np.cos(angle)), round(top + length * np.sin(angle)))
            cv2.line(canvas, (round(22 + slant), top), end, 255, pen, cv2.LINE_AA)
        cv2.line(canvas, (round(22 + slant), top), (round(22 - slant), bottom), 255, pen, cv2.LINE_AA)
        return canvas

    def _digit_glyph(self, rng: np.random.Generator, digit: int, bold: bool = False) -> np.ndarray:
        """An augmented MNIST glyph of `digit`, or for a share (`stroke_one_rate`) of the 1s one upright stroke; with
        `bold`, its strokes 20-40 % of its height."""
        if digit == 1 and _chance(rng, self.config.stroke_one_rate):
            glyph = self._stroke_one(rng)
        else:
            glyph = self._mnist_glyph(rng, digit, thicken=not bold)
        return _bold(rng, glyph) if bold else glyph

    @staticmethod
    def _font_glyph(rng: np.random.Generator, char: str, font: int, thickness: int) -> np.ndarray:
        canvas = np.zeros((60, 60), np.uint8)
        cv2.putText(canvas, char, (8, 45), font, 1.3, 255, thickness, cv2.LINE_AA)
        return canvas

    @staticmethod
    def _separator(rng: np.random.Generator, char: str, height: int) -> np.ndarray:
        """A handwritten separator (one of `SEPARATORS`) in a band as tall as the digits beside it: a dot or a comma
        sits on their baseline, a dash in their middle."""
        u = float(height)
        canvas = np.zeros((height, height), np.uint8)
        pen = max(1, round(u * rng.uniform(0.08, 0.2)))

        def jitter() -> float:
            return rng.uniform(-0.04, 0.04) * u

        x = u / 2 + jitter()

        def dot(y: float) -> None:
            cv2.circle(canvas, (round(x), round(y)), max(1, round(pen * rng.uniform(0.6, 1.0))), 255, -1, cv2.LINE_AA)

        def stroke(x0: float, y0: float, x1: float, y1: float) -> None:
            cv2.line(canvas, (round(x0), round(y0)), (round(x1), round(y1)), 255, pen, cv2.LINE_AA)

        if char == ".":
            dot(0.88 * u + jitter())
        elif char == ",":
            stroke(x, 0.8 * u + jitter(), x - 0.12 * u, u - 1)
        elif char == "-":
            half = u * rng.uniform(0.15, 0.3)
            stroke(x - half, 0.5 * u + jitter(), x + half, 0.5 * u + jitter())
        else:  # ":"
            dot(0.38 * u + jitter())
            dot(0.85 * u + jitter())
        return canvas

    @staticmethod
    def _separated(rng: np.random.Generator, digits: str) -> str:
        """`digits` with one or two separators of one kind written between them: "1250" -> "12.50", "12.05.24"."""
        char = str(rng.choice(list(SEPARATORS)))
        count = min(int(rng.integers(1, 3)), len(digits) - 1)
        before = set(rng.choice(np.arange(1, len(digits)), size=count, replace=False).tolist())
        return "".join(char + d if i in before else d for i, d in enumerate(digits))

    # --- composition ----------------------------------------------------------------------------
    def compose(self, rng: np.random.Generator, glyphs: list[np.ndarray], marks: Collection[int] = ()
                ) -> np.ndarray:
        """Place cropped glyphs left to right at a common height, with random gaps and no overlapping ink.

        The glyphs whose indices are in `marks` (separators) are cut to their ink's columns only, so that they keep
        their place in the digits' band."""
        return self.compose_with_boxes(rng, glyphs, marks)[0]

    def compose_with_boxes(self, rng: np.random.Generator, glyphs: list[np.ndarray], marks: Collection[int] = ()
                           ) -> tuple[np.ndarray, list[tuple[int, int, np.ndarray]]]:
        """`compose`, also returning each glyph's (x, y, resized ink) before the final crop."""
        crops = [_crop(g, rows=i not in marks) for i, g in enumerate(glyphs)]
        target = rng.uniform(24, 30)
        ref = max(c.shape[0] for c in crops)
        crops = [cv2.resize(c, (max(1, round(c.shape[1] * target / ref)), max(1, round(c.shape[0] * target / ref))),
                            interpolation=cv2.INTER_AREA) for c in crops]
        height = int(max(c.shape[0] for c in crops) + 16)
        canvas = np.zeros((height, sum(c.shape[1] for c in crops) + 30 * len(crops) + 8), np.uint8)
        x, placed = 4, []
        spacing = rng.choice(["tight", "normal", "wide"], p=[0.25, 0.6, 0.15])
        for i, crop in enumerate(crops):
            ch, cw = crop.shape
            y = int(np.clip((height - ch) / 2 + rng.normal(0, 2.0), 0, height - ch))
            if i:
                gap = {"tight": rng.integers(-4, 2), "normal": rng.integers(1, 8), "wide": rng.integers(8, 22)}[spacing]
                x = max(4, x + gap)
                while np.any((canvas[y : y + ch, x : x + cw] > 40) & (crop > 40)):
                    x += 1
            region = canvas[y : y + ch, x : x + cw]
            np.maximum(region, crop, out=region)
            placed.append((x, y, crop))
            x += cw
        return _crop(canvas), placed

    def random_label(self, rng: np.random.Generator) -> str:
        """A random digit string of the configured length (or a length drawn from the configured range); for a share
        (`repeat_rate`) of those of 3 digits or more, with a run of 3-5 of one digit."""
        length = self.config.fixed_len or int(rng.integers(self.config.min_len, self.config.max_len + 1))
        digits = rng.integers(0, 10, size=length)
        if length >= 3 and _chance(rng, self.config.repeat_rate):
            run = int(rng.integers(3, min(5, length) + 1))
            start = int(rng.integers(0, length - run + 1))
            digits[start : start + run] = 1 if rng.random() < 0.5 else rng.integers(0, 10)
        return "".join(str(d) for d in digits)

    def plain_string(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """Ink and label of a string as the seed stacks them: MNIST glyphs as they are, no augmentation."""
        label = self.random_label(rng)
        return self.compose(rng, [self.images[rng.choice(self.by_class[int(d)])] for d in label]), label

    def ink_string(self, rng: np.random.Generator, label: str | None = None) -> tuple[np.ndarray, str]:
        """White-on-black ink of one string and its digits, drawn at random when `label` is None. A given label may
        have `SEPARATORS` between its digits ("12.50"): they are written too, and left out of the digits returned."""
        cfg = self.config
        if label is None and rng.random() < cfg.negative_rate:
            text = "".join(rng.choice(list(NON_DIGIT_LETTERS), size=rng.integers(1, 6)))
            font = int(rng.choice(HERSHEY_FONTS))
            return self.compose(rng, [self._font_glyph(rng, c, font, int(rng.integers(1, 4))) for c in text]), ""
        if label is None:
            label = self.random_label(rng)
            if len(label) > 1 and _chance(rng, cfg.separator_rate):
                label = self._separated(rng, label)
        digits = "".join(c for c in label if c.isdigit())
        if not digits or set(label) - set(digits + SEPARATORS):
            raise ValueError(f"{label!r}: digits, and the separators {SEPARATORS!r} between them, can be written")
        if rng.random() < cfg.printed_rate:  # printed numbers are written without their separators
            font = int(rng.choice(HERSHEY_FONTS))
            ink = self.compose(rng, [self._font_glyph(rng, c, font, int(rng.integers(1, 4))) for c in digits])
        else:
            bold = _chance(rng, cfg.bold_rate)
            glyphs = [self._digit_glyph(rng, int(c), bold) for c in digits]
            if len(digits) < len(label):  # separators, in a band as tall as the digits' median
                band = int(np.median([_crop(g).shape[0] for g in glyphs]))
                written = iter(glyphs)
                glyphs = [self._separator(rng, c, band) if c in SEPARATORS else next(written) for c in label]
            ink = self.compose(rng, glyphs, {i for i, c in enumerate(label) if c in SEPARATORS})
        if _chance(rng, cfg.stray_mark_rate):
            ink = _with_stray_mark(rng, ink)
        if cfg.number_tilt:
            ink = turned(ink, rng.uniform(-cfg.number_tilt, cfg.number_tilt))
        return ink, digits

    # --- rendering ------------------------------------------------------------------------------
    def render(self, rng: np.random.Generator, ink: np.ndarray, style: str) -> np.ndarray:
        """Render white-on-black ink as an image of the given style (uint8 gray, RGB or RGBA)."""
        ink = ink.astype(np.float32) / 255.0
        thin = style != "board" and _chance(rng, self.config.thin_rate)
        if style == "scan":
            img = _place(rng, ink, scale=rng.uniform(0.8, 2.0), margin=rng.uniform(0.05, 0.6))
            img = _thin_strokes(rng, img) if thin else img
            return _u8(img if rng.random() < 0.3 else 1.0 - img)
        if style == "canvas":
            img = _place(rng, ink, scale=rng.uniform(1.5, 4.0), margin=rng.uniform(0.2, 2.5))
            brush = int(rng.integers(0, 5))
            if thin:
                img = _thin_strokes(rng, img)
            elif brush:
                img = cv2.dilate(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (brush + 1, brush + 1)))
            img = cv2.GaussianBlur(img, (3, 3), 0.7)
            rgba = np.zeros(img.shape + (4,), np.float32)
            if rng.random() < 0.5:  # transparent canvas: black RGB everywhere, ink in alpha
                rgba[..., 3] = img
            else:
                rgba[..., :3] = (1.0 - img)[..., None]
                rgba[..., 3] = 1.0
            return _u8(rgba)
        if style == "board":
            img = _place(rng, ink, scale=rng.uniform(1.0, 2.5), margin=rng.uniform(0.1, 1.0))
            dark, light = rng.uniform(0.0, 0.35), rng.uniform(0.6, 1.0)
            img = dark + (light - dark) * img + rng.normal(0, rng.uniform(0.0, 0.05), img.shape)
            return _u8(img)
        return _photo(rng, ink, self.config, webcam=style == "webcam", thin=thin)

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        ink, label = self.ink_string(rng)
        weights = np.asarray(self.config.style_weights) / sum(self.config.style_weights)
        style = STYLES[rng.choice(len(STYLES), p=weights)]
        return self.render(rng, ink, style), label


def _chance(rng: np.random.Generator, rate: float) -> bool:
    """True with probability `rate`. At rate 0 nothing is drawn, so that images made before an option was added
    (the evaluation sets) stay the same."""
    return rate > 0 and rng.random() < rate


def _crop(img: np.ndarray, rows: bool = True) -> np.ndarray:
    """`img` cut to its ink (to its ink's columns only, with `rows` False)."""
    ys, xs = np.nonzero(img > 30)
    if len(ys) == 0:
        return img
    columns = slice(xs.min(), xs.max() + 1)
    return img[ys.min() : ys.max() + 1, columns] if rows else img[:, columns]


def _with_stray_mark(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """White-on-black `ink` with a stray mark 0.2-0.5 of its height across, its centre 1.5-3 of its height above or
    below the number's middle: a pen tap (a dot), a tick or a smudge (a soft, fainter blot)."""
    h, w = ink.shape
    size, gap = rng.uniform(0.2, 0.5) * h, rng.uniform(1.5, 3.0) * h
    mark = np.zeros((h + int(gap + size) + 4, w), np.float32)  # drawn below the number, turned over for above
    centre = (float(rng.uniform(0, w)), h / 2 + gap)
    kind = rng.choice(["dot", "tick", "smudge"])
    if kind == "tick":
        angle = rng.uniform(0, np.pi)
        reach = np.array([np.cos(angle), np.sin(angle)]) * size / 2
        ends = [tuple(int(v) for v in np.rint(np.add(centre, sign * reach))) for sign in (-1, 1)]
        cv2.line(mark, ends[0], ends[1], 1.0, max(2, round(h / 10)), cv2.LINE_AA)
    else:
        axes = (max(1, round(size / 2)), max(1, round(size / 2 * rng.uniform(0.6, 1.0))))
        cv2.ellipse(mark, tuple(int(v) for v in np.rint(centre)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1,
                    cv2.LINE_AA)
        if kind == "smudge":
            mark = cv2.GaussianBlur(mark, (0, 0), size / 6) * rng.uniform(0.6, 1.0)
    if rng.random() < 0.5:
        mark = mark[::-1]
        number = slice(mark.shape[0] - h, None)
    else:
        number = slice(0, h)
    out = _u8(mark)
    out[number] = np.maximum(out[number], ink)
    return out


def _elastic(rng: np.random.Generator, img: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    h, w = img.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * sigma
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0)


def _place(rng: np.random.Generator, ink: np.ndarray, scale: float, margin: float) -> np.ndarray:
    """Scale the ink and surround it with margins (a fraction of its height, random per side)."""
    h, w = ink.shape
    img = cv2.resize(ink, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LINEAR)
    m = [int(img.shape[0] * margin * rng.uniform(0.2, 1.0)) + 2 for _ in range(4)]
    return cv2.copyMakeBorder(img, m[0], m[1], m[2], m[3], cv2.BORDER_CONSTANT, value=0)


def _u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _thin_strokes(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Soft white-on-black ink eroded as if written with a thin pen or brush: strokes 3-7 % of the ink's
    height (MNIST's are 10-15 %) and at least 2 pixels wide; no shape holding 2 % of the ink is broken apart or
    erased (the erosion steps back until none is)."""
    mask = (img > 0.5).astype(np.uint8)
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return img
    target = max(2.0, rng.uniform(0.03, 0.07) * (rows[-1] - rows[0] + 1))
    shapes = _shapes(mask)
    for size in range(int(round(stroke_width(mask) - target)) + 1, 1, -1):  # erosion by `size` narrows by `size - 1`
        thinner = cv2.erode(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        if _shapes((thinner > 0.5).astype(np.uint8)) == shapes:
            return thinner
    return img


def _bold(rng: np.random.Generator, glyph: np.ndarray) -> np.ndarray:
    """A white-on-black glyph on its 44x44 canvas dilated as if written with a marker or a wide brush: strokes 20-40 %
    of its height."""
    mask = (glyph > 127).astype(np.uint8)
    rows = np.flatnonzero(mask.any(axis=1))
    grow = round(rng.uniform(0.2, 0.4) * (rows[-1] - rows[0] + 1) - stroke_width(mask)) if len(rows) else 0
    return cv2.dilate(glyph, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))) if grow > 0 else glyph


def _shapes(mask: np.ndarray) -> int:
    """How many shapes of the mask hold at least 2 % of its ink (specks do not count)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int(np.count_nonzero(areas >= 0.02 * areas.sum()))


def _photo(rng: np.random.Generator, ink: np.ndarray, config: SynthConfig, webcam: bool, thin: bool = False
           ) -> np.ndarray:
    """Pen on paper as a phone or webcam sees it: tint, uneven light, ruled lines, blur, noise, JPEG."""
    img = _place(rng, ink, scale=rng.uniform(1.0, 2.5), margin=rng.uniform(*config.photo_margin))
    img = _thin_strokes(rng, img) if thin else img
    h, w = img.shape
    first_ink = int(np.argmax(img.max(axis=0) > 0.1))  # the desk may come up to here
    paper = rng.uniform(0.6, 0.95) if webcam else rng.uniform(0.75, 1.0)
    contrast = rng.uniform(0.25, 0.6) if webcam else rng.uniform(0.45, 0.9)
    page = np.full((h, w), paper, np.float32)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    rate = config.ruled_rate
    ruling = rng.choice(["none", "lines", "grid"], p=[1 - rate, 0.7 * rate, 0.3 * rate])
    if ruling != "none":
        step = max(8, int(h / rng.uniform(1.5, 5)))
        offset = int(rng.integers(0, step))
        darkness = rng.uniform(0.1, 0.3)
        tilt = np.tan(np.radians(rng.uniform(-config.ruling_tilt, config.ruling_tilt))) if config.ruling_tilt else 0
        page -= darkness * ((gy - tilt * gx - offset) % step < 1).astype(np.float32)
        if ruling == "grid":
            page -= darkness * ((gx + tilt * gy - offset) % step < 1).astype(np.float32)
        if _chance(rng, config.margin_rate):
            page -= _margin_line(rng, gx, gy, tilt, first_ink)
    img = page * (1.0 - contrast * img)
    # Uneven light: a gradient and a soft shadow.
    light = 1.0 - rng.uniform(0, 0.35) * (gx / w if rng.random() < 0.5 else gy / h)
    if rng.random() < 0.3:
        edge = rng.uniform(0.2, 0.8) * w
        light *= np.where(gx < edge, 1.0, 1.0 - rng.uniform(0.1, 0.4))
        light = cv2.GaussianBlur(light, (0, 0), 3)
    img = img * light
    if webcam and rng.random() < 0.4:  # the desk beside the sheet, never over the writing
        d = min(int(rng.uniform(0.03, 0.15) * w), int(0.7 * first_ink))
        img[:, :d] = rng.uniform(0.05, 0.4)
    if rng.random() < config.perspective_rate:  # slight perspective and rotation
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        jitter = (rng.uniform(-0.04, 0.04, (4, 2)) * [w, h]).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, src + jitter)
        img = cv2.warpPerspective(img, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    blur = rng.uniform(0.0, 1.5 if webcam else 1.0)
    if blur > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    if webcam and rng.random() < 0.3:
        k = int(rng.integers(3, 7))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        img = cv2.filter2D(img, -1, kernel)
    img = img + rng.normal(0, rng.uniform(0.005, 0.05 if webcam else 0.025), img.shape)
    color = np.stack([img * rng.uniform(0.9, 1.0), img * rng.uniform(0.92, 1.0), img], axis=-1)
    ok, buf = cv2.imencode(".jpg", _u8(color), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]


def _margin_line(rng: np.random.Generator, gx: np.ndarray, gy: np.ndarray, tilt: float, first_ink: int
                 ) -> np.ndarray:
    """How much darker a notebook's margin line makes the page: one or two upright lines 1-2 pixels wide, 0.15-0.45
    dark (a red or pink line as the gray of a photo sees it), leaning with the sheet (`tilt`) and left of the
    number's first ink column in every row."""
    room = first_ink - 2 + min(0.0, tilt * (gy.shape[0] - 1))  # where the line may cross the top or bottom row
    x = rng.uniform(0.2, 0.8) * max(room, 1.0)
    width, darkness = int(rng.integers(1, 3)), rng.uniform(0.15, 0.45)
    across = gx + tilt * gy - x
    lines = (across >= 0) & (across < width)
    if rng.random() < 0.3:  # a double margin line
        gap = rng.uniform(3, 6) * width
        lines |= (across >= -gap) & (across < width - gap)
    return darkness * lines.astype(np.float32)


NO_DIGIT_KINDS = ("blank-canvas", "blank-paper", "letters", "picture")


def no_digit_image(rng: np.random.Generator, synth: StringSynth, kind: str) -> np.ndarray:
    """An image a user may bring that holds no digits."""
    if kind == "blank-canvas":
        rgba = np.zeros((int(rng.integers(100, 400)), int(rng.integers(200, 900)), 4), np.uint8)
        if rng.random() < 0.5:
            rgba[...] = 255
        return rgba
    if kind == "blank-paper":
        empty = np.zeros((int(rng.integers(28, 60)), int(rng.integers(60, 300))), np.float32)
        return _photo(rng, empty, synth.config, webcam=rng.random() < 0.5)
    if kind == "letters":
        text = "".join(rng.choice(list(NON_DIGIT_LETTERS), size=rng.integers(2, 7)))
        font = int(rng.choice(HERSHEY_FONTS))
        ink = synth.compose(rng, [StringSynth._font_glyph(rng, c, font, int(rng.integers(1, 4))) for c in text])
        return synth.render(rng, ink, str(rng.choice(["scan", "canvas", "paper"])))
    h, w = int(rng.integers(120, 480)), int(rng.integers(160, 640))  # a picture: gradients and shapes
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([(gx / w) * rng.uniform(0, 1) + (gy / h) * rng.uniform(0, 1) for _ in range(3)], -1) * 255
    for _ in range(int(rng.integers(1, 5))):
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(20, w // 2 + 21)), int(rng.integers(20, h // 2 + 21)))
        cv2.ellipse(img, center, axes, float(rng.uniform(0, 180)), 0, 360, color, -1)
    return _u8(img / 255.0)
