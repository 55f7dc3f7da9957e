"""Find a sheet of paper that fills only part of a picture: held up to a webcam in a room, lying on a busy desk.

`preprocess` looks for the number in the whole picture, where the edges around a small sheet drown it. A sheet is a
region that is solid and rectangular (as a sheet seen at a slant is), holds writing, and touches at most one side
of the picture; it is looked for in two ways: regions between brightness edges merged with their neighbours, and
regions brighter than a level, bounded by sharp edges. Neither finds every sheet alone (a shadow splits a sheet, a
background as bright as the paper runs into it), so `find_sheets` gives every such region, and `Recognizer` reads
them all where the whole picture reads as no digits and keeps the best reading (README, How it works).
"""

from __future__ import annotations

import cv2
import numpy as np

#: Short side of the copy on which the sheet is looked for; pictures with a shorter side are not searched.
SHEET_SIDE = 160
#: Brightness edges (gradient per pixel on the smoothed copy, 0-1 gray) that bound a sheet, tried in turn: a faint
#: edge splits a sheet at a shadow, a strong one lets it run into a background of its brightness.
BARRIERS = (0.01, 0.02, 0.04)
#: A sheet covers this share of the picture at least, and at most (more: the picture is the sheet).
MIN_SHEET, MAX_SHEET = 0.04, 0.85
#: The convex hull of a sheet fills this share of its bounding rotated rectangle, and its regions this share of it
#: (the rest is writing, lines and the edge between its regions).
RECTANGULAR, SOLID = 0.9, 0.45
#: Regions smaller than this share of the picture are not pieces of a sheet.
PIECE = 0.005
#: Bright regions: the picture above each of this many levels, evenly spaced between its median (paper is brighter
#: than most of a picture) and its brightest 0.5 %, cut also along sharp edges (gradient per pixel on a lightly
#: smoothed copy; first none, then these).
LEVELS, SHARP_EDGES = 12, (0.03, 0.06)
#: A bright region's convex hull fills this share of its bounding rotated rectangle, and the region this share of its
#: hull (writing that reaches the sheet's edge cuts into it); it covers at least this share of the picture.
BRIGHT_RECTANGULAR, BRIGHT_SOLID, MIN_BRIGHT = 0.86, 0.55, 0.02
#: Two regions that overlap this much (intersection over union) are one sheet.
SAME_SHEET = 0.95
#: At most this many regions are given, largest first.
MAX_SHEETS = 12


def _hull(points: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Convex hull of points, its area, and the share of its bounding rotated rectangle it fills."""
    hull = cv2.convexHull(points)
    area = cv2.contourArea(hull)
    _, (width, height), _ = cv2.minAreaRect(hull)
    return hull, area, area / max(width * height, 1.0)


def _sheet_hulls(labels: np.ndarray, stats: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """For each region large enough to start a sheet, the hull (and its area) of it merged with its neighbours while
    the hull of the union stays rectangular and solid; only the hulls that end so and are large enough."""
    h, w = labels.shape
    areas = stats[:, cv2.CC_STAT_AREA]
    pieces = set(np.flatnonzero(areas >= PIECE * h * w).tolist()) - {0}
    reach = 6  # pixels across the edge between two regions
    corners, neighbours = {}, {}
    for i in pieces:
        x, y, bw, bh = stats[i, :4]
        x0, y0 = max(0, x - reach), max(0, y - reach)
        window = labels[y0 : y + bh + reach, x0 : x + bw + reach]
        own = (window == i).astype(np.uint8)
        outline, _ = cv2.findContours(own, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        corners[i] = cv2.convexHull(np.concatenate(outline)) + np.int32([x0, y0])
        near = window[cv2.dilate(own, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0]
        neighbours[i] = set(np.flatnonzero(np.bincount(near, minlength=len(areas))).tolist()) & pieces - {i}
    hulls = []
    for start in sorted(pieces):
        if areas[start] < MIN_SHEET / 4 * h * w:
            continue
        members = {start}
        hull, area, fill = _hull(corners[start])
        grown = True
        while grown:
            grown = False
            for other in sorted(set().union(*(neighbours[m] for m in members)) - members):
                union_hull, union_area, union_fill = _hull(np.concatenate([corners[m] for m in [*members, other]]))
                covered = areas[[*members, other]].sum()
                if union_fill >= RECTANGULAR and covered >= SOLID * union_area and union_area <= MAX_SHEET * h * w:
                    members.add(other)
                    hull, area, fill, grown = union_hull, union_area, union_fill, True
        if area >= MIN_SHEET * h * w and fill >= RECTANGULAR and areas[sorted(members)].sum() >= SOLID * area:
            hulls.append((hull, area))
    return hulls


def _holds_writing(small: np.ndarray, paper: np.ndarray, sheet: np.ndarray) -> bool:
    """Whether ink (under 75 % of the paper's brightness) clear of the sheet's edge covers 0.5 % of it: shapes of
    their own, as writing is, not the ends of dark shapes around it (the white inside of a bold letter's arch)."""
    level = np.median(paper[sheet > 0])
    dark = ((small < 0.75 * level) & (sheet > 0)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    edge = (sheet > 0) & (cv2.erode(sheet, np.ones((5, 5), np.uint8)) == 0)
    clear = np.ones(n, bool)
    clear[np.unique(labels[edge])] = False
    clear[0] = False
    return int(stats[clear, cv2.CC_STAT_AREA].sum()) >= 0.005 * sheet.sum()


def _gradient(image: np.ndarray) -> np.ndarray:
    """Brightness change per pixel of `image` (0-1 gray): the 3x3 Sobel gradient's magnitude over its weight."""
    return np.hypot(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)) / 8


def _region_hulls(paper: np.ndarray) -> list[np.ndarray]:
    """Hulls of the regions between brightness edges of `paper` (the smoothed copy, writing closed away), merged
    with their neighbours (`_sheet_hulls`), at each strength of `BARRIERS`."""
    h, w = paper.shape
    gradient = _gradient(paper)
    hulls = []
    for barrier in BARRIERS:
        edges = cv2.dilate((gradient > barrier).astype(np.uint8), np.ones((3, 3), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - edges, connectivity=4)
        if n > 1 and stats[1:, cv2.CC_STAT_AREA].max() <= MAX_SHEET * h * w:  # else one surface fills the picture
            hulls += [hull for hull, _ in _sheet_hulls(labels, stats)]
    return hulls


def _bright_hulls(small: np.ndarray) -> list[np.ndarray]:
    """Hulls of the regions of `small` brighter than each of `LEVELS` levels, cut along `SHARP_EDGES`, that are solid
    and rectangular (`BRIGHT_RECTANGULAR`, `BRIGHT_SOLID`), writing inside them filled in."""
    h, w = small.shape
    gradient = _gradient(cv2.GaussianBlur(small, (0, 0), 0.7))
    median, brightest = np.percentile(small, [50, 99.5])
    hulls = []
    for sharp in (None, *SHARP_EDGES):
        uncut = np.ones((h, w), bool) if sharp is None else cv2.dilate((gradient > sharp).astype(np.uint8),
                                                                        np.ones((2, 2), np.uint8)) == 0
        for level in np.linspace(median, brightest, LEVELS + 2)[1:-1]:
            outlines, _ = cv2.findContours(((small > level) & uncut).astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_SIMPLE)
            for outline in outlines:
                area = cv2.contourArea(outline)
                if not MIN_BRIGHT * h * w <= area <= MAX_SHEET * h * w:
                    continue
                hull, hull_area, fill = _hull(outline)
                if fill >= BRIGHT_RECTANGULAR and area >= BRIGHT_SOLID * hull_area:
                    hulls.append(hull)
    return hulls


def find_sheets(gray: np.ndarray) -> list[np.ndarray]:
    """The picture (float gray, 1.0 = white) cut to each region that may be a sheet of paper holding writing, largest
    first (at most `MAX_SHEETS`), outside the region filled with the paper nearest to it; none where the picture is
    smaller than `SHEET_SIDE`, holds no sheet, or the sheet fills it."""
    if min(gray.shape) < SHEET_SIDE:
        return []
    scale = SHEET_SIDE / min(gray.shape)
    small = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)), SHEET_SIDE), interpolation=cv2.INTER_AREA)
    # The paper's surface: writing and paper lines closed away, then smoothed.
    paper = cv2.GaussianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (5, 5))), (0, 0), 1.0)
    h, w = small.shape
    margin = max(2, int(0.03 * min(h, w)))
    sheets: list[np.ndarray] = []
    for hull in sorted(_region_hulls(paper) + _bright_hulls(small), key=cv2.contourArea, reverse=True):
        sheet = cv2.fillConvexPoly(np.zeros((h, w), np.uint8), hull, 1)
        x, y, bw, bh = cv2.boundingRect(sheet)
        sides = (x <= margin) + (y <= margin) + (x + bw >= w - margin) + (y + bh >= h - margin)
        if (sides <= 1 and not any((sheet & other).sum() > SAME_SHEET * (sheet | other).sum() for other in sheets)
                and _holds_writing(small, paper, sheet)):
            sheets.append(sheet)
            if len(sheets) == MAX_SHEETS:
                break
    return [cut for cut in (_cut(gray, sheet) for sheet in sheets) if cut is not None]


def _cut(gray: np.ndarray, sheet: np.ndarray) -> np.ndarray | None:
    """`gray` cut to `sheet` (a mask of a smaller copy), its own edge left outside."""
    mask = cv2.resize(sheet, gray.shape[::-1], interpolation=cv2.INTER_NEAREST)
    _, _, bw, bh = cv2.boundingRect(mask)
    k = max(5, int(0.03 * min(bw, bh))) | 1  # the sheet's own edge stays outside
    mask = cv2.erode(mask, np.ones((k, k), np.uint8))
    x, y, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return None
    return _filled_around(gray[y : y + bh, x : x + bw], mask[y : y + bh, x : x + bw])


def _filled_around(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`gray` with every pixel outside `mask` set to the nearest pixel inside it: the paper carried on to the edges
    of the cut as it is at the sheet's border (light and shadow included), so that no edge is drawn where the sheet
    ends."""
    _, nearest = cv2.distanceTransformWithLabels((mask == 0).astype(np.uint8), cv2.DIST_L2, 3,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    return gray[mask > 0][nearest - 1].astype(np.float32)
