"""The one preprocessing pipeline: every image, at training and at serving time, goes through `preprocess`.

Steps: gray on white → polarity → ink map relative to a local background estimate (uneven light, shadows) →
binary ink mask without paper lines, sheet edges and specks → crop to the digits → resize and pad to the
model's input, white ink on black in [0, 1] (MNIST's look).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from recognizer.images import ImageSource, to_gray
from recognizer.limits import MAX_SIDE

#: Minimum ink contrast, relative to the local paper brightness, for a pixel to count as ink.
MIN_CONTRAST = 0.12
#: Short side at which the background and the layout of the ink are analysed (larger images are pooled).
ANALYSIS_SIDE = 240
#: Short side of the copy on which a dim image's polarity is decided.
POLARITY_SIDE = 120
#: Of a dim image, paper when the light side of its brightness split holds this share of it (a board's strokes: 6-30 %
#: on validation boards; dim or half-shadowed paper: 18-94 %, whose thin-shape test the shadow's edge misled).
PAPER_SHARE = 0.33
#: A shape spanning the image is a sheet edge or a frame when this much taller (or wider) than every other shape.
EDGE_OVER_DIGITS = 1.3
#: In an image cut to the number, a spanning shape that is neither a bar nor an outline must be this much taller
#: (or wider) than every other shape to be an edge: handwritten digits differ in height.
CUT_EDGE_OVER_DIGITS = 2.0
#: Pieces along a side of the image that together cover this much of it are a sheet edge cut by paper lines.
BROKEN_EDGE_COVER = 0.6
#: Paper lines are found up to this many degrees off level (or off upright).
MAX_LINE_TILT = 10.0
#: A tilted paper line holds at least this share of the image's width (or height) in ink.
LINE_SPAN = 0.5
#: Passes looking for lines at slopes of their own (`_lines_of_their_own`), each way.
OWN_LINE_PASSES = 3
#: The share of a line found at its own slope with ink beside it: paper lines have little (where other lines or
#: strokes cross them), the straight edges of strokes that span a number cut to its height much more.
MAX_INK_BESIDE_LINES = 0.5
#: Pen, pencil and brush ink is about as strong all along a stroke; shading, photos and textures are not. Ink
#: whose strength inside its strokes varies more than this (standard deviation over mean) is not pen-like.
MAX_INK_VARIATION = 0.3
#: Writing lies on a plain ground (paper, a canvas, a board); a shape picked out of a photo lies among others. The
#: ink between a number's strokes (inside its box, away from the strokes; a 5x5 median, so that noise, specks and
#: thin paper lines fade) varies by at most this share of the strokes' mean ink (standard deviation over mean) on
#: a plain ground.
MAX_GROUND_VARIATION = 0.15
#: A number whose digits' centres run along a line that rises (or falls) from its first digit to its last by at
#: least this share of their height is turned level before it is cut out, the models reading level lines; unless
#: the line runs more than MAX_NUMBER_TILT degrees off level (digits written one above the other, not a line).
MIN_NUMBER_RISE = 0.3
MAX_NUMBER_TILT = 35.0
#: More shapes of a digit's height than this are a texture or a pattern of dots, not a line of digits to level
#: (and a pair of them is compared for every two).
MAX_LINE_DIGITS = 100
#: A 1 drawn tall with a fine pen or brush is a line under a pixel wide at the model's height, which the models read
#: as nothing (as a paper line), and a row of them as fewer 1s. Strokes thinner than MIN_STROKE pixels there are
#: thickened to it (MNIST's are 2-4), where every piece of the crop is at least TALL_PIECE of its height: strokes
#: and digits, not the dashes, dots and specks that marks on blank paper and in pictures leave, which thickened
#: were read as digits (README, How it works).
MIN_STROKE = 2.5
TALL_PIECE = 0.5
#: Shapes at least this share of the tallest one's height are as tall as digits (a number's digits, not its specks).
DIGIT_TALL = 0.35
#: Shapes as tall as digits (DIGIT_TALL) further than this share of the tallest one's height above or below
#: the number's line are not on it (`_on_the_line`): a pen tap, a tick, a smudge, or in a photo other shapes.
LINE_GAP = 0.5
#: Shapes off the line are left out only while they hold less ink than this share of the line's: a stray mark is small
#: beside a number, while the rows of a photo's shapes are alike (one picked out of them was read as a digit surely).
MAX_STRAY_INK = 0.7
#: A thin straight bar (`_line_like`: a 1, or a piece of an upright paper line that was not found whole) is a digit of
#: the number only where at least BAR_ON_LINE of its height lies beside the number's other shapes; a margin line's
#: pieces above or below the number would stretch its box and squash its digits (`_line_pieces`).
BAR_ON_LINE = 0.5
#: A digit written fainter than the others (less pressure, a thinner pen: blurred, a thin stroke is lighter) falls
#: below the threshold that Otsu's split of dark digits sets. The number is looked for again at FAINT_SHARE of that
#: threshold (at least MIN_CONTRAST), and the shapes found only there are added where they are digits of it
#: (`_faint_digits`): at least FAINT_HEIGHT and at most 1.5 times its digits' height, on its line, at most FAINT_GAP
#: of that height beside its box, clear of the image's border, and holding at least FAINT_BODY pixels a row (not a
#: paper line's piece, which that threshold shows too). What lies within FAINT_EDGE pixels of the number is its own
#: faint edge, not looked at; pieces one above the other within FAINT_JOIN of its digits' height are one shape.
FAINT_SHARE = 0.5
FAINT_HEIGHT = 0.6
FAINT_GAP = 1.0
FAINT_BODY = 1.5
FAINT_EDGE = 2
FAINT_JOIN = 0.25


@dataclass(frozen=True)
class InputSpec:
    """The image a model reads: `height` rows and `width` columns when `fixed_width`.

    Otherwise the width is the number's, padded up to a multiple of `width_step` (as training batches are),
    and `width` is the width training images are stored at.
    """

    height: int = 32
    width: int = 256
    fixed_width: bool = False
    pad: int = 2
    width_step: int = 32
    max_width: int = 2048  # a bound for pathological aspect ratios (a long thin smear): ~70 digits


@dataclass
class Preprocessed:
    """The model-ready image (float32 (H, W), white ink on black) or None when no ink was found, and whether the
    ink looks written: `pen_like` (even in strength along its strokes, unlike the shading of a picture) and on a
    `plain_ground` (not among the textures and edges of a photo, and with no shape as tall as its digits above or
    below it: a stray mark, or in a photo other shapes)."""

    image: np.ndarray | None
    pen_like: bool = True
    plain_ground: bool = True


def _shrink(gray: np.ndarray, scale: float) -> np.ndarray:
    """`gray` resized by `scale` when that makes it smaller (area interpolation), else as it is."""
    if scale >= 1:
        return gray
    h, w = gray.shape
    return cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _dark_ink_on_light(gray: np.ndarray) -> np.ndarray:
    """Invert light-on-dark images.

    The background is judged by the border and the median: light (>= 0.5) is kept and very dark (< 0.3)
    inverted. In between (dim paper under a webcam, paper half in shadow, a grey board) paper whose light side of
    Otsu's split holds `PAPER_SHARE` of the image or more is kept (a board's light strokes hold less); otherwise
    the thin shapes decide: ink is the polarity whose thin shapes (strokes) stand out more often from their
    surroundings.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    step = max(1, min(gray.shape) // 100)
    background = 0.5 * (np.median(border) + np.median(gray[::step, ::step]))
    if background >= 0.5:
        return gray
    if background >= 0.3:
        small = _shrink(gray, POLARITY_SIDE / min(gray.shape))
        levels = (small * 255).astype(np.uint8)
        split, _ = cv2.threshold(levels.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        if (levels > split).mean() >= PAPER_SHARE or not _light_strokes(small):
            return gray
    return 1.0 - gray


def _light_strokes(gray: np.ndarray) -> bool:
    """Whether thin light shapes (white top-hat) outnumber thin dark ones (black-hat) in `gray` (a small copy)."""
    k = int(np.clip(min(gray.shape) // 6, 5, 41)) | 1
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    light = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, element)
    dark = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, element)
    strong = 0.6 * max(np.percentile(light, 99.5), np.percentile(dark, 99.5))
    return int((light > strong).sum()) > int((dark > strong).sum())


def _pool_factor(shape: tuple[int, ...]) -> int:
    return max(1, min(shape) // ANALYSIS_SIDE)


def _pool(img: np.ndarray, factor: int, reduce: int) -> np.ndarray:
    """Shrink by an integer factor keeping each block's min (cv2.MORPH_ERODE) or max (cv2.MORPH_DILATE)."""
    if factor == 1:
        return img
    h, w = img.shape
    pooled = cv2.morphologyEx(img, reduce, np.ones((factor, factor), np.uint8))
    return np.ascontiguousarray(pooled[factor // 2 : h : factor, factor // 2 : w : factor])


def _thickest_stroke(gray: np.ndarray) -> float:
    """Width in pixels of the thickest clearly dark shape that is a stroke (0 if none).

    Shapes touching the border (a desk, a shadow coming in from the edge) are not strokes, unless the dark shapes
    reach all four borders together (an image cut to the number, whose edges cut its digits' strokes) or the shape
    reaches from the top edge to the bottom one, clear of the sides and no wider than tall (a digit of a number
    cut to its height).
    """
    dark = (gray < 0.5 * np.percentile(gray, 90)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    h, w = gray.shape
    x, y, bw, bh = (stats[1:, i] for i in range(4))
    strokes = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)
    if len(x) and x.min() == 0 and y.min() == 0 and (x + bw).max() == w and (y + bh).max() == h:
        strokes[:] = True
    strokes |= (y <= 2) & (y + bh >= h - 2) & (x > 0) & (x + bw < w) & (bw <= bh)  # 2 px: anti-aliased edges
    if not strokes.any():
        return 0.0
    # Light all around: a stroke cut by the border is as wide there as it looks.
    depth = cv2.distanceTransform(cv2.copyMakeBorder(dark, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0), cv2.DIST_L2, 3)
    return 2.0 * float(depth[1:-1, 1:-1][np.concatenate([[False], strokes])[labels]].max())


def _noise_level(gray: np.ndarray) -> float:
    """Standard deviation of pixel noise, from the median absolute difference to a 3x3 median.

    The median is taken over about 40,000 evenly spread pixels: as good an estimate, at a third of the cost.
    """
    smooth = cv2.medianBlur((gray * 255).astype(np.uint8), 3).astype(np.float32) / 255.0
    step = max(1, int(np.sqrt(gray.size / 40_000)))
    return 1.4826 * float(np.median(np.abs(gray[::step, ::step] - smooth[::step, ::step])))


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1]: darkness relative to an estimate of the paper's local brightness.

    Noisy images (webcams in dim light) are smoothed first, in proportion to their noise. The paper is the
    larger of a closing (thin strokes removed) and a wide median (thick strokes removed, shadow edges kept
    sharp).
    """
    noise = _noise_level(gray)
    if noise > 0.01:
        gray = cv2.GaussianBlur(gray, (0, 0), min(1.5, 40 * noise))
    h, w = gray.shape
    factor = _pool_factor(gray.shape)
    small = _pool(gray, factor, cv2.MORPH_DILATE)  # keeps the paper, drops thin strokes early
    # The closing must be wider than the thickest stroke, or thick strokes get hollowed out.
    k = int(min(max(np.clip(min(small.shape) // 6, 9, 81), 3 * _thickest_stroke(small)), max(small.shape))) | 1
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    k = int(np.clip(min(small.shape) // 2, 15, 161)) | 1
    median = cv2.medianBlur((small * 255).astype(np.uint8), k).astype(np.float32) / 255.0
    background = np.maximum(closed, median)
    if factor > 1:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip((background - gray) / np.maximum(background, 0.15), 0.0, 1.0)


def _thin_ink(mask: np.ndarray, thickness: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows and columns (every stride-th, at most 3,000) of the ink with no ink `thickness` rows above and below
    it, and the stride: thick shapes (a desk, a smear, a row of digits) hold no thin line."""
    ink = mask.astype(bool)
    lone = ink.copy()
    lone[thickness:] &= ~ink[:-thickness]
    lone[:-thickness] &= ~ink[thickness:]
    ys, xs = np.nonzero(lone)
    stride = max(1, len(xs) // 3_000)
    return ys[::stride].astype(np.float32), xs[::stride].astype(np.float32), stride


def _fullest_lines(thin: tuple[np.ndarray, np.ndarray, int], degrees: np.ndarray) -> np.ndarray:
    """For each slope (degrees off level), the thin ink (`_thin_ink`) on its fullest straight line, two rows wide
    (so that a level line two pixels thick is not fuller along a slight diagonal across it); all slopes in one
    pass."""
    ys, xs, stride = thin
    if len(xs) == 0:
        return np.zeros(len(degrees), np.int64)
    rises = np.tan(np.radians(degrees)).astype(np.float32)[:, None]
    rows = np.rint(ys[None] - rises * xs[None]).astype(np.int32)
    rows -= rows.min(axis=1, keepdims=True)
    span = int(rows.max()) + 2
    counts = np.bincount((rows + span * np.arange(len(degrees))[:, None]).ravel(), minlength=span * len(degrees))
    counts = counts.reshape(len(degrees), span)
    return (counts[:, 1:] + counts[:, :-1]).max(axis=1) * stride


def _line_slope(mask: np.ndarray, thickness: int) -> float | None:
    """Slope (rows per column, within `MAX_LINE_TILT`) of the fullest thin straight near-horizontal line; None where
    no line, level or tilted, holds `LINE_SPAN` of the width.

    A tilt wins only where its fullest line (`_fullest_lines`) holds `LINE_SPAN` of the width and more than the
    fullest level one.
    """
    thin = _thin_ink(mask, thickness)
    coarse = np.arange(-MAX_LINE_TILT, MAX_LINE_TILT + 0.1, 0.5)
    coarse = np.concatenate([[0.0], coarse[coarse != 0]])  # level first: a tie stays level
    counts = _fullest_lines(thin, coarse)
    fine = coarse[np.argmax(counts)] + np.arange(-0.4, 0.45, 0.1)
    fine_counts = _fullest_lines(thin, fine)
    if fine_counts.max() < max(LINE_SPAN * mask.shape[1], counts[0] + 1):
        return 0.0 if counts[0] >= LINE_SPAN * mask.shape[1] else None
    return float(np.tan(np.radians(fine[np.argmax(fine_counts)])))


def _line_limit(mask: np.ndarray) -> int:
    """How thick (in pixels) a paper line may be: 2 % of the image's short side, at least 1."""
    return max(1, int(0.02 * min(mask.shape)))


def _thin_runs(runs_of: np.ndarray, thickness_of: np.ndarray, length: int, limit: int) -> np.ndarray:
    """Level runs of `runs_of` at least `length` long where `thickness_of` holds no run as long and more than
    `limit` rows thick (a digit's strokes, a sheet edge), nor touches one."""
    runs = cv2.morphologyEx(runs_of, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    thick = cv2.morphologyEx(thickness_of, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_RECT, (length, limit + 1)))
    return runs & ~cv2.dilate(thick, np.ones((3, 3), np.uint8)) & 1


def _near_level_lines(mask: np.ndarray, slope: float, drift: bool = False) -> np.ndarray:
    """Pixels of long thin lines of the given slope (rows per column), and a pixel either side (anti-aliased edges).

    A line runs at least 85 % of the width and is at most 2 % of the image's short side thick. A tilted line,
    and with `drift` a level one, is found on a copy sheared so that it runs level, where allowances are made: a row
    up or down (the shear's rounding, slight curl or perspective), gaps of 2 % of the width (a faint line thresholded
    in pieces) and, when measuring length, ink outside the image (lines leaving it through the top or bottom).
    Without `drift`, a level line is one unbroken row.
    """
    h, w = mask.shape
    length, limit = int(0.85 * w), _line_limit(mask)
    if length < 15:
        return np.zeros_like(mask)
    if slope == 0 and not drift:
        return mask & cv2.dilate(_thin_runs(mask, mask, length, limit), np.ones((3, 3), np.uint8))
    rise = int(np.ceil(abs(slope) * w))
    shear = np.float32([[1, 0, 0], [-slope, 1, rise if slope > 0 else 0]])
    margin = limit + 3  # blank rows above and below: a line along the top or bottom edge is not a thick run

    def sheared(outside: int) -> np.ndarray:
        level = cv2.warpAffine(mask, shear, (w, h + rise), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=outside)
        padded = cv2.copyMakeBorder(level, margin, margin, 0, 0, cv2.BORDER_CONSTANT, value=0)
        return cv2.dilate(padded, np.ones((3, 1), np.uint8))  # a row up and down

    bridged = cv2.morphologyEx(sheared(1), cv2.MORPH_CLOSE, np.ones((1, max(2, w // 50)), np.uint8))
    band = _thin_runs(bridged, sheared(0), length, limit + 2)[margin:-margin]
    return mask & cv2.warpAffine(band, shear, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _remove_lines(mask: np.ndarray) -> np.ndarray:
    """Drop long thin straight lines, level or tilted by up to `MAX_LINE_TILT`: ruled and squared paper lines
    (a photo of a sheet is rarely square to it; seen in perspective, its lines do not all lean as one), a notebook's
    margin line, table borders. Strokes crossing them are not cut."""
    limit = _line_limit(mask)
    sheet_slope = _line_slope(mask, limit + 2)
    slope = sheet_slope or 0.0
    level = _near_level_lines(mask, slope, drift=sheet_slope is not None)
    # A sheet turns as a whole: its upright lines (squared paper, a margin) lean as its level ones do.
    across = np.ascontiguousarray(mask.T)
    lean = np.degrees(np.arctan([-slope]))
    if slope and _fullest_lines(_thin_ink(across, limit + 2), lean)[0] < LINE_SPAN * across.shape[1]:
        upright = np.zeros_like(mask)  # ruled, not squared: no upright line leans with the sheet
    else:
        upright = _near_level_lines(across, -slope).T
    # Lines that do not lean with the sheet: a notebook's margin line, the lines of a page seen in perspective.
    if sheet_slope is not None or level.any() or upright.any():  # else the mask is as when its slope was looked for
        level |= _lines_of_their_own(mask, level | upright, limit)
    upright |= _lines_of_their_own(across, (level | upright).T, limit).T
    kept = mask & ~(level | upright)
    # Where a stroke crosses a line, the line's pixels between its two ends stay: the stroke is not cut.
    span = limit + 4
    crossing = ((level & cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((span, 1), np.uint8)))
                | (upright & cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((1, span), np.uint8))))
    kept |= crossing
    if upright.any():
        kept &= ~_line_ends(kept, upright, limit)
    if level.any():
        kept &= ~_line_ends(np.ascontiguousarray(kept.T), np.ascontiguousarray(level.T), limit).T
    return kept


def _lines_of_their_own(mask: np.ndarray, found: np.ndarray, limit: int) -> np.ndarray:
    """Near-level lines of `mask` outside `found` that do not lean with the sheet (a notebook's margin line, the lines
    of a page seen in perspective): each pass finds the fullest line left at its own slope and those parallel to it,
    keeps the `_paper_pieces` of them, and ends the search where there are none; `OWN_LINE_PASSES` at most."""
    lines = np.zeros_like(mask)
    for _ in range(OWN_LINE_PASSES):
        rest = np.ascontiguousarray(mask & ~(found | lines))
        slope = _line_slope(rest, limit + 2)
        if slope is None:
            break
        more = _paper_pieces(rest, _near_level_lines(mask, slope, drift=True) & rest, limit)
        if not more.any():
            break
        lines |= more
    return lines


def _paper_pieces(rest: np.ndarray, candidates: np.ndarray, limit: int) -> np.ndarray:
    """The pixels of `candidates` (near-level lines found in `rest`) that belong to paper lines.

    Paper lines reach `EDGE_OVER_DIGITS` times as far along them as the thicker shapes do (digits; not other lines or
    thin 1s): a thin 1, or the straight edge of a stroke, in a number cut to its height does not. A piece with other
    ink running along beside it (within a line's thickness and two pixels above or below; the image's border counts
    as ink) over `MAX_INK_BESIDE_LINES` of its pixels or more, or thicker than a line (specks of a noisy desk strip
    lined up), is no paper line; in the others, pixels with ink along beside them stay: a stroke along a line (a
    2's foot on a ruled line).
    """
    reach = limit + 2
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    area, extent = stats[:, cv2.CC_STAT_AREA], stats[:, cv2.CC_STAT_WIDTH]
    other = rest & ~candidates
    along = cv2.erode(other, np.ones((1, reach + 1), np.uint8))  # not where other lines cross it
    padded = cv2.copyMakeBorder(along, reach, reach, 0, 0, cv2.BORDER_CONSTANT, value=1)
    beside = cv2.dilate(padded, np.ones((2 * reach + 1, 1), np.uint8))[reach:-reach] & candidates
    paper = ((np.bincount(labels[beside > 0], minlength=count) < MAX_INK_BESIDE_LINES * area)
             & (area <= (2 * limit + 2) * extent))
    paper[0] = False
    if not paper.any():
        return np.zeros_like(candidates)
    shapes = cv2.connectedComponentsWithStats(other, connectivity=8)[2][1:]
    reaches = shapes[:, cv2.CC_STAT_WIDTH]
    tallest = reaches[shapes[:, cv2.CC_STAT_AREA] > reach * reaches].max(initial=0)
    start = stats[paper, cv2.CC_STAT_LEFT]
    if (start + extent[paper]).max() - start.min() <= EDGE_OVER_DIGITS * tallest:
        return np.zeros_like(candidates)
    return paper[labels].astype(np.uint8) & ~beside


def _line_like(bw: np.ndarray, bh: np.ndarray, limit: int) -> np.ndarray:
    """Which shapes (boxes `bw` wide, `bh` tall) may be pieces of upright paper lines: at most twice a line's `limit`
    and a pixel either side wide, and five times as tall as wide."""
    return (bw <= 2 * limit + 2) & (bh >= 5 * bw)


def _line_ends(mask: np.ndarray, lines: np.ndarray, limit: int) -> np.ndarray:
    """What is left of upright paper lines that `_near_level_lines` found in part or not at all: thin pieces
    (`_line_like`) running from the top or bottom border (or from a level line along it), or on from a found upright
    line (`lines`), within a line's thickness and two pixels. A sheet seen in perspective has lines that do not all
    lean as one: each is found where it keeps to a lean, and the rest of it, alone, was read as a 1."""
    h, _ = mask.shape
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    y, bw, bh = (stats[1:, i] for i in (1, 2, 3))
    reach = limit + 2
    on_from_line = np.bincount(labels[cv2.dilate(lines, np.ones((2 * reach + 1, 3), np.uint8)) > 0],
                               minlength=len(y) + 1)[1:] > 0
    ends = ((y <= reach) | (y + bh >= h - reach) | on_from_line) & _line_like(bw, bh, limit)
    return np.concatenate([[False], ends])[labels].astype(np.uint8) if ends.any() else np.zeros_like(mask)


def digit_mask(ink: np.ndarray) -> tuple[np.ndarray, bool]:
    """Binary mask (uint8 0/1) of the components that look like the digits of one number, and whether shapes as
    tall as digits lie above or below the number's line (`_on_the_line`: stray marks, or other shapes of a photo).

    The threshold splits the ink's values (Otsu's method); where that split set a frame (a desk strip, a sheet
    edge, a border) apart from everything else, the split of the rest decides instead, so that faint digits
    beside a dark frame are kept; and a digit much fainter than the others is looked for again below the threshold
    (`_faint_digits`). The layout is analysed on a max-pooled copy of large images; the mask keeps full resolution.
    """
    factor = _pool_factor(ink.shape)
    sample = (ink[::factor, ::factor] * 255).astype(np.uint8)
    threshold = _ink_threshold(sample)
    number, frames, strays = _layout((ink > threshold).astype(np.uint8), factor)
    if frames.any():
        beside = cv2.dilate(frames, np.ones((5, 5), np.uint8))[::factor, ::factor] > 0  # with its soft edge
        rest = _ink_threshold(sample[~beside])
        if rest < threshold:
            threshold = rest
            number, _, strays = _layout((ink > rest).astype(np.uint8), factor)
    faint = max(MIN_CONTRAST, FAINT_SHARE * threshold)
    if number.any() and faint < threshold:
        near_number = cv2.dilate(number, np.ones((factor + 1, factor + 1), np.uint8))[::factor, ::factor]
        digits = cv2.connectedComponentsWithStats(near_number, connectivity=8)[2][1:]
        height = float(np.median(digits[digits[:, 3] >= DIGIT_TALL * digits[:, 3].max(), 3]))
        if _faint_digits((sample > faint * 255).astype(np.uint8), near_number, height).any():  # layout if need be
            found = _layout((ink > faint).astype(np.uint8), factor)[0]
            added = _faint_digits(found[::factor, ::factor], near_number, height)
            if added.any():
                number |= found & _upsampled(added, ink.shape, factor)
    return number, strays


def _faint_digits(faint: np.ndarray, number: np.ndarray, height: float) -> np.ndarray:
    """The shapes of `faint` (ink at a lower threshold) clear of `number` that are digits of it: as tall as its digits
    (`height`, their median), on its line, within a digit's height of its box, clear of the border, not a line's piece
    (the FAINT_ constants). The number's own faint edges (within `FAINT_EDGE` pixels of it) are not looked at, so that
    a faint digit is not joined to a dark one by them, and the pieces of a faint stroke that broke where it is
    lightest, one above the other within `FAINT_JOIN` of a digit's height, are one shape."""
    x0, y0, width, depth = cv2.boundingRect(number)
    edge = 2 * FAINT_EDGE + 1
    apart = faint & ~cv2.dilate(number, np.ones((edge, edge), np.uint8))
    reach = max(1, int(FAINT_JOIN * height / 2))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        cv2.dilate(apart, np.ones((2 * reach + 1, 1), np.uint8)), connectivity=8)
    h, w = faint.shape
    x, bw = stats[:, 0], stats[:, 2]
    y = np.minimum(stats[:, 1] + reach, h)  # the pieces' own box, not the joining's
    bh = np.maximum(stats[:, 1] + stats[:, 3] - reach - y, 0)
    area = np.bincount(labels[apart > 0], minlength=n)
    on_line = np.minimum(y + bh, y0 + depth) - np.maximum(y, y0) >= 0.5 * bh
    near = np.maximum(x0 - (x + bw), x - (x0 + width)) <= FAINT_GAP * height
    sized = (bh >= FAINT_HEIGHT * height) & (bh <= 1.5 * height) & (bw <= 1.5 * height)
    clear = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h) & (area >= FAINT_BODY * bh)  # no edge, no line piece
    candidates = on_line & near & sized & clear
    candidates[0] = False  # the background
    return (candidates[labels] & (apart > 0)).astype(np.uint8)


def _ink_threshold(ink8: np.ndarray) -> float:
    """The ink strength above which a pixel is ink: 0.8 of Otsu's split of `ink8` (uint8), at least MIN_CONTRAST."""
    otsu, _ = cv2.threshold(ink8.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(otsu / 255.0 * 0.8, MIN_CONTRAST)


def _layout(full: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """The number's components (`_number_components`) and the frames, at full resolution, analysed on a copy of
    `full` max-pooled by `factor`; and whether shapes as tall as digits lie off the number's line."""
    if factor == 1:
        return _number_components(full)
    number, frames, strays = _number_components(_pool(full, factor, cv2.MORPH_DILATE))
    frames = _upsampled(frames, full.shape, factor) if frames.any() else np.zeros_like(full)
    return full & _upsampled(number, full.shape, factor), frames, strays


def _upsampled(mask: np.ndarray, shape: tuple[int, ...], factor: int) -> np.ndarray:
    """A mask of a copy shrunk by `factor` brought back to `shape`, grown by a block to cover what it stood for."""
    if factor == 1:
        return mask
    grow = np.ones((factor + 1, factor + 1), np.uint8)
    return cv2.dilate(cv2.resize(mask, shape[::-1], interpolation=cv2.INTER_NEAREST), grow)


def _significant(area: np.ndarray, candidates: np.ndarray, least: float) -> np.ndarray:
    """The candidates that are not specks: at least `least` pixels and 4 % of the largest candidate."""
    return candidates & (area >= max(least, 0.04 * area[candidates].max(initial=0)))


def _frames(spanning: np.ndarray, x: np.ndarray, y: np.ndarray, bw: np.ndarray, bh: np.ndarray, area: np.ndarray,
            least: float, w: int, h: int) -> np.ndarray:
    """Which shapes spanning the image (touching its border, 90 % of its width or height) are sheet edges, desks,
    borders or frames rather than digits cropped tightly, which span it too.

    With other shapes beside them, those clearly taller (or, spanning the width, wider) than all of those; where
    the shapes touch all four borders (an image cut to the number), only if they are also thin bars or sparse
    outlines, or `CUT_EDGE_OVER_DIGITS` times as tall (wide) as the others. Alone, thin bars and sparse outlines;
    a solid shape alone is a digit.
    """
    others = _significant(area, ~spanning, least)
    tall, wide = spanning & (bh >= 0.9 * h), spanning & (bw >= 0.9 * w)
    bar_or_outline = spanning & ((4 * bw <= bh) | (4 * bh <= bw) | (area < 0.1 * bw * bh))
    if not others.any():
        return bar_or_outline

    def beyond(ratio: float) -> np.ndarray:  # taller (wider) than every other shape by `ratio`
        return (tall & (bh > ratio * bh[others].max())) | (wide & (bw > ratio * bw[others].max()))

    shapes = _significant(area, np.ones_like(spanning), least)
    if not (x[shapes].min() == 0 and y[shapes].min() == 0 and (x + bw)[shapes].max() == w
            and (y + bh)[shapes].max() == h):
        return beyond(EDGE_OVER_DIGITS)
    return beyond(EDGE_OVER_DIGITS) & (bar_or_outline | beyond(CUT_EDGE_OVER_DIGITS))


def _broken_edges(x: np.ndarray, y: np.ndarray, bw: np.ndarray, bh: np.ndarray, significant: np.ndarray,
                  w: int, h: int) -> np.ndarray:
    """Pieces of a sheet edge or desk strip cut apart by removed paper lines.

    They are narrow (15 % of the width at most), touch the left (or right) border, together cover
    `BROKEN_EDGE_COVER` of its height, and reach from their top to their bottom EDGE_OVER_DIGITS times as far
    as the tallest significant shape away from that border. A webcam's desk strip cut by ruled lines is one.
    """
    edges = np.zeros(len(x), bool)
    narrow = bw <= 0.15 * w
    for side in ((x == 0) & narrow, (x + bw == w) & narrow):
        others = significant & ~side
        if not side.any() or not others.any():
            continue
        covered = np.zeros(h, bool)
        for top, height in zip(y[side], bh[side]):
            covered[top : top + height] = True
        extent = (y + bh)[side].max() - y[side].min()
        if covered.sum() >= BROKEN_EDGE_COVER * h and extent > EDGE_OVER_DIGITS * bh[others].max():
            edges |= side
    return edges


def _number_components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The connected components of a binary mask that form one number, and those that frame the image (sheet
    edges, desk strips, borders), as uint8 masks; and whether shapes as tall as digits lie above or below the
    number's line (`_on_the_line`), left out where they hold less ink than `MAX_STRAY_INK` of the line's."""
    h, w = mask.shape
    mask = _remove_lines(mask)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.zeros_like(mask), np.zeros_like(mask), False
    x, y, bw, bh, area = (stats[1:, i] for i in range(5))
    touches_border = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    spanning = touches_border & ((bw >= 0.9 * w) | (bh >= 0.9 * h))
    least = max(4, 2e-5 * h * w)
    frame_like = _frames(spanning, x, y, bw, bh, area, least, w, h)
    frame_like |= _broken_edges(x, y, bw, bh, _significant(area, ~frame_like, least), w, h)
    keep = _significant(area, ~frame_like, least) & (bh >= 3)
    frames = np.concatenate([[False], frame_like])[labels].astype(np.uint8) if frame_like.any() else np.zeros_like(mask)
    if not keep.any():
        return np.zeros_like(mask), frames, False
    tall = keep & (bh >= DIGIT_TALL * bh[keep].max())
    line = _on_the_line(tall, y, bh, area)
    pieces = _line_pieces(line, y, bh, _line_like(bw, bh, _line_limit(mask)))
    keep, tall, line = keep & ~pieces, tall & ~pieces, line & ~pieces
    off_line = tall & ~line
    if area[off_line].sum() >= MAX_STRAY_INK * area[line].sum():  # rows alike: not a number and a stray mark
        line = tall
    # The number's box: tall components on its line, then every kept piece overlapping it (broken strokes).
    x0, y0 = x[line].min(), y[line].min()
    x1, y1 = (x + bw)[line].max(), (y + bh)[line].max()
    inside = keep & (x < x1) & (x + bw > x0) & (y < y1) & (y + bh > y0)
    lookup = np.concatenate([[False], inside])
    return lookup[labels].astype(np.uint8), frames, bool(off_line.any())


def _line_pieces(line: np.ndarray, y: np.ndarray, bh: np.ndarray, line_like: np.ndarray) -> np.ndarray:
    """The shapes of the number's `line` that are pieces of upright paper lines (`line_like`), not 1s: less than
    `BAR_ON_LINE` of their height beside the rows its other shapes fill (none where all of them are line-like)."""
    bars = line & line_like
    body = line & ~bars
    if not body.any():
        return np.zeros_like(line)
    beside = np.minimum(y + bh, (y + bh)[body].max()) - np.maximum(y, y[body].min())
    return bars & (beside < BAR_ON_LINE * bh)


def _on_the_line(tall: np.ndarray, y: np.ndarray, bh: np.ndarray, area: np.ndarray) -> np.ndarray:
    """The `tall` shapes on the number's line: of the rows that tall shapes make, each less than `LINE_GAP` of the
    tallest one's height above or below the next in turn (so that the digits of a number written askew stay
    together), the one that holds the most ink. A pen tap, tick or smudge well above or below the number would
    stretch its box and squash its digits."""
    order = np.flatnonzero(tall)[np.argsort(y[tall], kind="stable")]
    bottoms = np.maximum.accumulate((y + bh)[order]) + LINE_GAP * bh[tall].max()
    row = np.cumsum(np.concatenate([[True], y[order][1:] >= bottoms[:-1]])) - 1
    line = np.zeros_like(tall)
    line[order[row == np.argmax(np.bincount(row, weights=area[order]))]] = True
    return line


def number_tilt(mask: np.ndarray) -> float:
    """Degrees (counter-clockwise) by which the line of the number's digits rises; 0 when it rises less than
    `MIN_NUMBER_RISE` of the digits' height over the number, or the number is too short to tell (under three
    digits).

    The digits are the components at least half as tall as the tallest; the line's slope is the median of the
    slopes between every two of them side by side (Theil-Sen: a stray piece does not tip it). Where a quarter of
    them lie off that line by a quarter of their height, they are not written along a line: 0. With fewer than three
    (digits written touching), the ink's own long axis is the line, if it is 2.5 times as long as the ink is wide.
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    x, y, bw, bh = (stats[1:, i].astype(np.float32) for i in range(4))
    digits = bh >= 0.5 * bh.max(initial=0)
    if digits.sum() < 3:
        return _axis_tilt(mask)
    if digits.sum() > MAX_LINE_DIGITS:
        return 0.0
    cx, cy, height = (x + bw / 2)[digits], (y + bh / 2)[digits], float(np.median(bh[digits]))
    i, j = np.triu_indices(len(cx), 1)
    dx, dy = cx[j] - cx[i], cy[j] - cy[i]
    side_by_side = np.abs(dx) >= 0.5 * height
    if side_by_side.sum() < 2:
        return 0.0
    slope = float(np.median(dy[side_by_side] / dx[side_by_side]))
    off_line = np.abs(cy - slope * cx - np.median(cy - slope * cx))
    if np.mean(off_line <= 0.25 * height) < 0.75:
        return 0.0
    return _worth_levelling(slope, float(cx.max() - cx.min()), height)


def _axis_tilt(mask: np.ndarray) -> float:
    """`number_tilt` of touching digits: the slope of the ink's long axis (from its second moments), if that axis
    is 2.5 times as long as the ink is wide across it (98 % of the ink)."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 10:
        return 0.0
    m = cv2.moments(mask, binaryImage=True)
    angle = 0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])
    along = xs * np.cos(angle) + ys * np.sin(angle)
    across = ys * np.cos(angle) - xs * np.sin(angle)
    length, width = (float(np.diff(np.percentile(v, [1, 99]))[0]) for v in (along, across))
    if length < 2.5 * width:
        return 0.0
    return _worth_levelling(float(np.tan(angle)), length * float(np.cos(angle)), width)


def _worth_levelling(slope: float, span: float, height: float) -> float:
    """The tilt in degrees (counter-clockwise) of a line of digits `height` tall with `slope` (image rows per
    column) over `span` columns, where it rises at least `MIN_NUMBER_RISE` of their height and at most
    `MAX_NUMBER_TILT` degrees; else 0."""
    tilt = -float(np.degrees(np.arctan(slope)))
    return tilt if abs(slope) * span >= MIN_NUMBER_RISE * height and abs(tilt) <= MAX_NUMBER_TILT else 0.0


def turned(ink: np.ndarray, degrees: float) -> np.ndarray:
    """Ink on black turned `degrees` counter-clockwise, on a canvas grown to hold it, cut to its ink again."""
    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin)))
    matrix[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    out = cv2.warpAffine(ink, matrix, size, flags=cv2.INTER_LINEAR)
    x0, y0, bw, bh = cv2.boundingRect((out > 0.05 * out.max()).astype(np.uint8))
    return out[y0 : y0 + bh, x0 : x0 + bw] if bw else ink


def _stroke_ink(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ink strength inside the strokes of `mask` (their edges eroded away, where they are thick enough to keep
    a core)."""
    core = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return ink[core > 0] if core.any() else ink[mask > 0]


def _pen_like(strokes: np.ndarray) -> bool:
    """Whether the ink inside the strokes (`_stroke_ink`) varies by at most `MAX_INK_VARIATION` of its mean."""
    return bool(strokes.std() <= MAX_INK_VARIATION * strokes.mean())


def _plain_ground(ink: np.ndarray, mask: np.ndarray, strokes: np.ndarray) -> bool:
    """Whether the ink around the strokes of `mask`, within the crop `ink`, varies by at most
    `MAX_GROUND_VARIATION` of the strokes' mean ink."""
    ground = cv2.compare(cv2.dilate(mask, np.ones((5, 5), np.uint8)), 0, cv2.CMP_EQ)
    if not ground.any():
        return True
    _, spread = cv2.meanStdDev(cv2.medianBlur((ink * 255).astype(np.uint8), 5), mask=ground)
    return bool(spread[0, 0] / 255.0 <= MAX_GROUND_VARIATION * strokes.mean())


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask, in pixels: twice its area over its perimeter (its edge pixels, those on
    the mask's border included)."""
    mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    boundary = np.count_nonzero(mask - cv2.erode(mask, np.ones((3, 3), np.uint8)))
    return 2.0 * np.count_nonzero(mask) / max(boundary, 1)


def _fit_scale(shape: tuple[int, int], spec: InputSpec) -> float:
    """The factor by which `_fit` resizes a crop of `shape`."""
    ch, cw = shape
    scale = min((spec.height - 2 * spec.pad) / ch, (spec.max_width - 2 * spec.pad) / cw)
    return min(scale, (spec.width - 2 * spec.pad) / cw) if spec.fixed_width else scale


def _growth(mask: np.ndarray, spec: InputSpec) -> int:
    """Pixels by which the strokes of a crop's ink `mask` must grow to be `MIN_STROKE` wide in the model's input
    (under 1: none)."""
    return round(MIN_STROKE / _fit_scale(mask.shape, spec) - stroke_width(mask))


def _thickened(crop: np.ndarray, spec: InputSpec) -> np.ndarray:
    """The crop with its strokes grown (a grey-level dilation by a disc, on a margin wide enough to hold it) where
    they would be thinner than `MIN_STROKE` in the model's input and every piece is tall (`TALL_PIECE`); else as
    it is. A crop that needs a disc over 32 pixels wide is max-pooled first (thin strokes kept whole), so that the
    disc stays small: a 1500x2600 crop grown by a 133-pixel disc took 1.3 s."""
    mask = (crop > 0.5).astype(np.uint8)
    grow = _growth(mask, spec)
    if grow < 1:
        return crop
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if (stats[1:, cv2.CC_STAT_HEIGHT] < TALL_PIECE * crop.shape[0]).any():
        return crop
    if grow > 32:
        crop = _pool(crop, grow // 16, cv2.MORPH_DILATE)
        grow = max(1, _growth((crop > 0.5).astype(np.uint8), spec))
    margin = grow // 2 + 1
    crop = cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(crop, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1)))


def _fit(crop: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Resize the crop to the model's height (keeping aspect) and pad it into the model's input."""
    ch, cw = crop.shape
    scale = _fit_scale(crop.shape, spec)
    new_w = max(1, round(cw * scale))
    new_h = max(1, round(ch * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    if spec.fixed_width:
        width = spec.width
    else:
        width = min(spec.max_width, -(-(new_w + 2 * spec.pad) // spec.width_step) * spec.width_step)
    out = np.zeros((spec.height, width), np.float32)
    top = (spec.height - new_h) // 2
    left = (width - new_w) // 2 if spec.fixed_width else spec.pad
    out[top : top + new_h, left : left + new_w] = resized
    return out


def picture(source: ImageSource) -> np.ndarray:
    """Any image as float gray (alpha composited on white), shrunk so that its longer side is `MAX_SIDE` at most:
    where `preprocess` starts."""
    gray = to_gray(source, MAX_SIDE)
    return _shrink(gray, MAX_SIDE / max(gray.shape))


def preprocess(source: ImageSource, spec: InputSpec = InputSpec()) -> Preprocessed:
    """Run the whole pipeline on one image; `Preprocessed.image` is None when the image holds no ink."""
    return preprocess_picture(picture(source), spec)


def preprocess_picture(gray: np.ndarray, spec: InputSpec = InputSpec()) -> Preprocessed:
    """The pipeline after `picture`, on what it returned."""
    gray = _dark_ink_on_light(gray)
    ink = ink_map(gray)
    mask, strays = digit_mask(ink)
    x0, y0, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return Preprocessed(None)
    y1, x1 = y0 + bh, x0 + bw
    # Keep the soft ink values inside a slightly grown mask, so stroke edges stay anti-aliased.
    mask, ink = mask[y0:y1, x0:x1], ink[y0:y1, x0:x1]
    crop = ink * cv2.dilate(mask, np.ones((3, 3), np.uint8))
    strength = np.percentile(crop[mask > 0], 90)
    crop = np.clip(crop / max(strength, 1e-3), 0.0, 1.0).astype(np.float32)
    tilt = number_tilt(mask)
    if tilt:
        crop = turned(crop, -tilt)
    strokes = _stroke_ink(ink, mask)
    plain = not strays and _plain_ground(ink, mask, strokes)
    return Preprocessed(_fit(_thickened(crop, spec), spec), _pen_like(strokes), plain)
