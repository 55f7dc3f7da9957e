import cv2
import numpy as np
import pytest
from PIL import Image

from recognizer import preprocess as pipeline
from recognizer.images import read_image, to_gray
from recognizer.preprocess import (
    MIN_STROKE, InputSpec, digit_mask, ink_map, number_tilt, picture, preprocess, turned,
)
from tests.conftest import arc_among_gravel, draw_number, shaded_ball
from training.evaluate import cut_to_ink
from training.mnist import load_mnist
from training.synth import StringSynth, first_config


def ink_columns(image: np.ndarray) -> int:
    return int((image.max(axis=0) > 0.5).sum())


def test_dark_and_light_ink_give_the_same_input():
    dark = preprocess(draw_number("472")).image
    light = preprocess(draw_number("472", ink=255, paper=0)).image
    assert dark.shape[0] == 32 and dark.shape[1] % 32 == 0 and dark.shape[1] >= ink_columns(dark) + 4
    assert np.abs(dark - light).mean() < 0.02
    assert dark.max() == pytest.approx(1.0)


def test_output_is_white_ink_on_black_cropped_to_the_digits():
    image = preprocess(draw_number("5")).image
    assert image[0].max() == 0 and image[-1].max() == 0  # padding rows
    assert image[2:30].max(axis=1).min() > 0.2  # the digit spans the full inner height
    assert np.median(image) == 0 and image[:, -1].max() == 0  # black background and right padding


def test_transparent_canvas_with_black_rgb_under_alpha():
    gray = draw_number("38")
    rgba = np.zeros(gray.shape + (4,), np.uint8)  # RGB black everywhere, strokes only in alpha
    rgba[..., 3] = 255 - gray
    from_rgba = preprocess(rgba).image
    assert from_rgba is not None
    assert np.abs(from_rgba - preprocess(gray).image).mean() < 0.02


def test_16_bit_and_float_images():
    gray = draw_number("90")
    as16 = gray.astype(np.uint16) * 257
    assert np.abs(preprocess(as16).image - preprocess(gray).image).mean() < 0.01
    assert np.abs(preprocess(gray / 255.0).image - preprocess(gray).image).mean() < 0.01
    png16 = Image.fromarray(as16)
    assert to_gray(png16).max() == pytest.approx(1.0)


def test_blank_images_have_no_ink():
    assert preprocess(np.full((300, 500), 255, np.uint8)).image is None
    assert preprocess(np.zeros((300, 500, 4), np.uint8)).image is None  # empty transparent canvas
    noisy = np.clip(np.random.default_rng(0).normal(220, 4, (480, 640)), 0, 255).astype(np.uint8)
    assert preprocess(noisy).image is None


def test_tiny_and_huge_images():
    assert preprocess(np.zeros((1, 1), np.uint8)).image is None
    huge = np.full((6000, 6000), 255, np.uint8)
    number = cv2.resize(draw_number("12", height=40), None, fx=25, fy=25, interpolation=cv2.INTER_NEAREST)
    huge[1000 : 1000 + number.shape[0], 500 : 500 + number.shape[1]] = number
    image = preprocess(huge).image
    assert image is not None and image.shape[0] == 32


def ruled_page(degrees: float, grid: bool, size: tuple[int, int] = (600, 800)) -> np.ndarray:
    """A ruled (or squared) sheet with a margin line, photographed `degrees` off square: lines every 40 px,
    running into the corners."""
    h, w = size
    page = np.full((h, w), 235, np.uint8)
    rise = np.tan(np.radians(degrees))
    for offset in range(-2 * max(h, w), 2 * max(h, w), 40):
        cv2.line(page, (0, offset), (w, offset + round(rise * w)), 150, 2)
        if grid:
            cv2.line(page, (offset, 0), (offset - round(rise * h), h), 150, 2)
    cv2.line(page, (60, 0), (60 - round(rise * h), h), 170, 1)
    return page


@pytest.mark.parametrize("degrees, grid", [(0, False), (0, True), (2, False), (-4, False), (7, False), (3, True),
                                           (-6, True)])
def test_paper_lines_are_removed(degrees, grid):
    """Lines of a sheet, level or photographed a few degrees off square, are not ink: only the number is left."""
    page = ruled_page(degrees, grid)
    assert preprocess(page).image is None
    number = draw_number("274", height=90)
    h, w = number.shape
    page[250 : 250 + h, 200 : 200 + w] = np.minimum(page[250 : 250 + h, 200 : 200 + w], number)
    with_lines = preprocess(page).image
    clean = preprocess(number).image
    assert with_lines is not None and abs(ink_columns(with_lines) - ink_columns(clean)) <= 8


@pytest.mark.parametrize("degrees", [0, 3])
def test_strokes_crossing_a_paper_line_are_not_cut(degrees):
    """A number written across the lines keeps its strokes whole where they cross them: one shape per digit."""
    page = ruled_page(degrees, grid=False)
    number = draw_number("147", height=90)
    h, w = number.shape
    page[250 : 250 + h, 200 : 200 + w] = np.minimum(page[250 : 250 + h, 200 : 200 + w], number)
    mask, _ = digit_mask(ink_map(to_gray(page)))
    assert cv2.connectedComponents(mask)[0] - 1 == 3


def test_uneven_light_and_shadow():
    number = draw_number("61", height=90).astype(np.float32)
    light = np.linspace(1.0, 0.45, number.shape[1])[None, :]
    shadowed = (number * light).astype(np.uint8)
    image = preprocess(shadowed).image
    assert image is not None
    assert abs(ink_columns(image) - ink_columns(preprocess(number.astype(np.uint8)).image)) <= 6


def askew(image: np.ndarray, degrees: float) -> np.ndarray:
    """A dark-on-light image turned `degrees` counter-clockwise, on white with a margin."""
    return np.pad(255 - turned(255 - image, degrees), 30, constant_values=255)


def tilt_of(image: np.ndarray) -> float:
    return number_tilt(digit_mask(ink_map(to_gray(image)))[0])


def touching_number(text: str) -> np.ndarray:
    """`text` drawn with each digit overlapping the one before, as digits written touching."""
    image = np.full((120, 34 * len(text) + 80), 255, np.uint8)
    for i, char in enumerate(text):
        cv2.putText(image, char, (30 + 34 * i, 100), cv2.FONT_HERSHEY_SIMPLEX, 2.6, 0, 10, cv2.LINE_AA)
    return image


@pytest.mark.parametrize(("degrees", "touching"), [(-20.0, False), (12.0, False), (28.0, False), (15.0, True),
                                                   (-20.0, True)])
def test_a_number_written_askew_is_turned_level(degrees, touching):
    """Separate digits give the line through their centres; touching ones their ink's long axis."""
    number = touching_number("4725901") if touching else draw_number("4725901")
    assert (cv2.connectedComponents((number < 128).astype(np.uint8))[0] - 1 < 3) == touching
    image = askew(number, degrees)
    assert tilt_of(image) == pytest.approx(degrees, abs=1.5)
    level, levelled = preprocess(number).image, preprocess(image).image
    # As wide as the level number, not the thin strip of a number cut out askew:
    assert abs(ink_columns(levelled) - ink_columns(level)) <= 0.1 * ink_columns(level)
    assert np.corrcoef(levelled.sum(axis=1), level.sum(axis=1))[0, 1] > 0.85  # ink in the same rows


def test_level_short_and_stacked_numbers_are_not_turned():
    """Level numbers, numbers too short to show a line (a 1 on its side is no line of digits), and digits
    written one above the other keep their place."""
    column = [draw_number(digit) for digit in "472"]
    width = max(digit.shape[1] for digit in column)
    stacked = np.vstack([np.pad(digit, ((0, 0), (0, width - digit.shape[1])), constant_values=255) for digit in column])
    for image in (draw_number("4725901"), askew(draw_number("4725901"), 1.0), askew(draw_number("47"), 20.0),
                  askew(draw_number("1"), 50.0), askew(draw_number("472"), 50.0), stacked):
        assert tilt_of(image) == 0.0


def test_a_long_dotted_line_is_not_a_number_to_turn():
    """150 dots along a line 20 degrees askew: a pattern, not digits (every two shapes are compared, so a
    pattern of thousands of dots must not get there)."""
    dots = np.zeros((20, 150 * 12), np.uint8)
    dots[5:15, 6::12] = 255
    dots = cv2.dilate(dots, np.ones((1, 8), np.uint8))
    line = askew(255 - dots, 20.0)
    assert cv2.connectedComponents((line < 128).astype(np.uint8))[0] - 1 == 150
    assert tilt_of(line) == 0.0
    assert tilt_of(line[:, : line.shape[1] // 3]) == pytest.approx(20.0, abs=1.5)  # 50 dots: levelled


@pytest.mark.parametrize("text", ["4075", "1407", "5061"])
def test_digits_cropped_tightly_are_all_kept(text):
    """A screenshot or photo cut exactly to the number: the digits touching the border span the image, as a sheet
    edge does, but the others beside them show that they are digits; a "1" at either end is a narrow shape on
    the border, as a desk strip is."""
    tight = cut_to_ink(255 - draw_number(text, height=90), 1.0)
    with_margin = np.pad(tight, 40, constant_values=255)
    assert abs(ink_columns(preprocess(tight).image) - ink_columns(preprocess(with_margin).image)) <= 3


def test_a_taller_outer_digit_cropped_tightly_is_kept():
    """Handwritten digits differ in height: cut to the ink, an outer digit 1.5 times as tall as the others spans
    the image as a sheet edge does, but it is neither a bar nor an outline, nor twice their height."""
    tall = cut_to_ink(255 - draw_number("6", height=135), 1.0)
    rest = cut_to_ink(255 - draw_number("04", height=90), 1.0)
    tight = np.full((tall.shape[0], tall.shape[1] + 12 + rest.shape[1]), 255, np.uint8)
    tight[:, : tall.shape[1]] = tall
    tight[-rest.shape[0] :, -rest.shape[1] :] = rest
    with_margin = np.pad(tight, 40, constant_values=255)
    assert abs(ink_columns(preprocess(tight).image) - ink_columns(preprocess(with_margin).image)) <= 3


@pytest.mark.parametrize("text", ["408", "7"])
def test_a_number_cut_to_its_ink_is_not_hollowed_out(text):
    """Cut to the ink, every stroke that reaches the border is part of the number: measured as strokes, they set
    the paper estimate wide enough to keep their middles (a "7" kept 18 % of its ink when they were not)."""
    tight = cut_to_ink(255 - draw_number(text, height=90), 1.0)
    with_margin = np.pad(tight, 40, constant_values=255)
    filled = [(preprocess(image).image > 0.5).sum() for image in (tight, with_margin)]
    assert filled[0] >= 0.9 * filled[1], filled


@pytest.mark.parametrize("text", ["7", "2580", "11"])
def test_a_bold_number_cut_to_its_height_is_not_hollowed_out(text):
    """Cut at the top and bottom of its ink, margins left and right (a screenshot cropped to the line): its digits
    reach both edges and count as strokes (the "2580" kept 24 % of its ink when they did not)."""
    ink = 255 - draw_number(text, height=100, thickness=16)
    rows, cols = np.nonzero((ink > 127).any(1))[0], np.nonzero((ink > 127).any(0))[0]  # the dark part of the ink
    tight = 255 - ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    cut_to_height = np.pad(tight, ((0, 0), (40, 40)), constant_values=255)
    with_margin = np.pad(tight, 40, constant_values=255)
    filled = [(preprocess(image).image > 0.5).sum() for image in (cut_to_height, with_margin)]
    assert 0.9 * filled[1] <= filled[0] <= 1.1 * filled[1], filled


def test_sheet_edges_are_dropped_beside_the_number():
    """A dark desk along the left side of a webcam frame and a dark band along the bottom, each spanning the frame:
    only the number is read."""
    frame = np.full((300, 500), 200, np.uint8)
    number = draw_number("385", height=70)
    h, w = number.shape
    frame[100 : 100 + h, 150 : 150 + w] = np.minimum(frame[100 : 100 + h, 150 : 150 + w], number)
    clean = preprocess(frame).image
    frame[:, :25] = 40  # the desk
    frame[280:, :] = 60  # the sheet's lower edge
    with_edges = preprocess(frame).image
    assert with_edges.shape == clean.shape and np.abs(with_edges - clean).mean() < 0.02


@pytest.mark.parametrize("contrast", [0.2, 0.3])
def test_faint_digits_beside_a_dark_desk_are_kept(contrast):
    """Faint pencil under a webcam, a dark desk along the side: the threshold between ink and paper is not the
    one between the desk and everything else (which left specks of the digits, read as "no digits")."""
    frame = np.full((300, 500), 200.0, np.float32)
    number = draw_number("7093", height=70).astype(np.float32) / 255  # 1: paper, 0: ink
    h, w = number.shape
    frame[100 : 100 + h, 150 : 150 + w] *= 1 - contrast * (1 - number)
    clean = preprocess(frame.astype(np.uint8)).image
    frame[:, :10] = 25  # the desk
    with_desk = preprocess(frame.astype(np.uint8)).image
    assert with_desk is not None and with_desk.shape == clean.shape
    assert np.abs(with_desk - clean).mean() < 0.02


@pytest.mark.parametrize("contrast", [0.25, 0.35])
@pytest.mark.parametrize("faint_first", [True, False])
def test_a_faint_digit_beside_dark_ones_is_kept(contrast, faint_first):
    """One digit written much lighter than the others (a thin pen, less pressure) falls below the threshold that the
    dark digits' ink sets; it is found again at a lower one, as a digit of the number."""
    dark = draw_number("2943")
    ink_cols = np.flatnonzero((dark < 128).any(axis=0))
    gaps = np.flatnonzero(np.diff(ink_cols) > 1)  # the columns between the digits
    cut = ink_cols[gaps[0]] + 2 if faint_first else ink_cols[gaps[-1] + 1] - 2
    faint = dark.astype(np.float32)
    part = np.s_[:, :cut] if faint_first else np.s_[:, cut:]
    faint[part] = 255 - contrast * (255 - faint[part])
    mask, _ = digit_mask(ink_map(to_gray(faint.astype(np.uint8))))
    cols = np.flatnonzero(mask.any(axis=0))
    assert cols[0] <= ink_cols[0] + 2 and cols[-1] >= ink_cols[-1] - 2


def test_a_faint_digit_broken_where_it_is_lightest_is_kept():
    """A faint first digit whose stroke breaks where it is lightest, in pieces each shorter than a digit: the pieces
    one above the other are one shape (`FAINT_JOIN`); each alone was too short, and the digit was left out."""
    dark = draw_number("2943")
    ink_cols = np.flatnonzero((dark < 128).any(axis=0))
    cut = ink_cols[np.flatnonzero(np.diff(ink_cols) > 1)[0]] + 2
    image = dark.astype(np.float32)
    image[:, :cut] = 255 - 0.3 * (255 - image[:, :cut])
    rows = np.flatnonzero((dark < 128).any(axis=1))
    middle = (rows[0] + rows[-1]) // 2
    image[middle - 2 : middle + 2, :cut] = 255
    mask, _ = digit_mask(ink_map(to_gray(image.astype(np.uint8))))
    cols = np.flatnonzero(mask.any(axis=0))
    assert cols[0] <= ink_cols[0] + 2 and cols[-1] >= ink_cols[-1] - 2


def test_a_faint_digit_joined_to_a_dark_one_by_their_faint_edges_is_kept():
    """At the lower threshold a dark digit's blurred edge shows round it, and a faint digit beside it can run into
    that edge: it is still a shape of its own (`FAINT_EDGE`), and the dark digit's edge is not added."""
    number = np.zeros((60, 120), np.uint8)
    number[15:45, 60:80] = 1
    faint = cv2.dilate(number, np.ones((5, 5), np.uint8))  # the dark digit's faint edge
    cv2.rectangle(faint, (30, 15), (49, 44), 1, 3)  # a faint 0
    faint[28:31, 49:58] = 1  # where the two edges meet
    added = pipeline._faint_digits(faint, number, 30.0)
    assert added[:, 30:50].sum() >= 150 and not added[:, 58:].any()


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_desk_strip_cut_by_ruled_lines_is_dropped(side):
    """Ruled lines crossing a webcam frame, desk strip included: removing the lines cuts the strip into pieces,
    none of which spans the frame, but together they are still an edge, not a "1" before the number."""
    frame = np.full((300, 500), 200, np.uint8)
    frame[20::45] = 120  # ruled lines across the whole frame
    number = draw_number("385", height=70)
    h, w = number.shape
    frame[100 : 100 + h, 150 : 150 + w] = np.minimum(frame[100 : 100 + h, 150 : 150 + w], number)
    clean = preprocess(frame).image
    strip = (slice(None), slice(0, 10) if side == "left" else slice(490, 500))
    frame[strip] = 40
    frame[strip][20::45] = 10  # the lines run on across the desk, darker still
    with_desk = preprocess(frame).image
    assert with_desk.shape == clean.shape and np.abs(with_desk - clean).mean() < 0.02


@pytest.mark.parametrize("thickness", [2, 6, 14])
def test_written_ink_is_pen_like(thickness):
    assert preprocess(draw_number("4072", thickness=thickness)).pen_like
    assert preprocess(draw_number("4072", thickness=thickness, ink=255, paper=0)).pen_like


@pytest.mark.parametrize("dark", [True, False])
def test_a_shaded_object_is_not_pen_like(dark):
    ball = shaded_ball(dark)
    shaded = preprocess(ball)
    assert shaded.image is not None and not shaded.pen_like  # ink, but unevenly strong
    evenly = preprocess(np.where(ball == ball[0, 0], 255, 60).astype(np.uint8))
    assert evenly.image is not None and evenly.pen_like  # the same disc in one flat shade


def test_written_numbers_lie_on_plain_ground():
    number = draw_number("4072")
    noisy = np.clip(number + np.random.default_rng(0).normal(0, 15, number.shape), 0, 255).astype(np.uint8)
    ruled = number.copy()
    ruled[::24] = np.minimum(ruled[::24], 150)  # thin paper lines through and around the digits
    squared = ruled.copy()
    squared[:, ::24] = np.minimum(squared[:, ::24], 150)
    for paper in (number, noisy, ruled, squared, draw_number("4072", ink=255, paper=0)):
        read = preprocess(paper)
        assert read.image is not None and read.plain_ground


def in_perspective(page: np.ndarray, squeeze: float) -> np.ndarray:
    """A photo of `page` seen from below: its top corners drawn in by `squeeze` of the width each, so that its upright
    lines lean towards each other and do not all lean as one."""
    h, w = page.shape
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = corners + np.float32([[squeeze * w, 0], [-squeeze * w, 0], [0, 0], [0, 0]])
    return cv2.warpPerspective(page, cv2.getPerspectiveTransform(corners, seen), (w, h),
                               borderMode=cv2.BORDER_REPLICATE)


def squared_sheet_in_perspective(number: str = "", squeeze: float = 0.02) -> np.ndarray:
    """A photo of squared paper (and `number` written on it) seen from below (`in_perspective`)."""
    h, w = 240, 320
    page = np.full((h, w), 235, np.uint8)
    for x in range(8, w, 28):
        cv2.line(page, (x, 0), (x, h), 150, 1)
    for y in range(10, h, 28):
        cv2.line(page, (0, y), (w, y), 150, 1)
    if number:
        ink = cv2.resize(draw_number(number, height=60, thickness=4), (160, 70))
        page[85:155, 80:240] = np.minimum(page[85:155, 80:240], ink)
    return in_perspective(page, squeeze)


def test_ends_of_paper_lines_in_perspective_are_not_ink():
    """Found where they keep to one lean, the upright lines of a sheet seen in perspective left their ends, alone a
    thin upright stroke that was read as a "1" (`_line_ends`)."""
    assert preprocess(squared_sheet_in_perspective()).image is None
    written = preprocess(squared_sheet_in_perspective("4072")).image
    assert written is not None and 3 * written.shape[0] <= ink_columns(written) <= 5 * written.shape[0]


@pytest.mark.parametrize(("grid", "squeeze"), [(False, 0.01), (True, 0.005), (True, 0.01), (True, 0.02)])
def test_a_number_beside_a_margin_line_seen_in_perspective_keeps_its_width(grid, squeeze):
    """Seen in perspective, a notebook page's margin line does not lean as its other lines do: found at a slope of its
    own (`_lines_of_their_own`), it is not ink, and a number written on the page keeps its width. Left, it was a
    thin shape as tall as the page, and the number was lost beside it (4-10 ink columns of 63)."""
    page = ruled_page(0, grid)
    number = draw_number("274", height=90)
    h, w = number.shape
    page[250 : 250 + h, 200 : 200 + w] = np.minimum(page[250 : 250 + h, 200 : 200 + w], number)
    square, seen = preprocess(page).image, preprocess(in_perspective(page, squeeze)).image
    assert seen is not None and abs(ink_columns(seen) - ink_columns(square)) <= 8


def test_no_line_of_its_own_is_found_in_numbers_cut_to_their_height(mnist_path):
    """In a number cut to its height every digit spans the image, and a thin 1 or the straight edge of a stroke runs
    its whole height as a margin line does: the search for lines at slopes of their own finds none in 300 such crops
    of MNIST test digits (`_paper_pieces`: without the comparison with the digits' height it took strokes from 5 of
    them, without the ink beside the lines from 1)."""
    synth = StringSynth(load_mnist(mnist_path)["test"], first_config(negative_rate=0.0, printed_rate=0.0))
    rng = np.random.default_rng(3)
    found = 0
    for _ in range(300):
        ink = ink_map(to_gray(cut_to_ink(synth.ink_string(rng)[0], rng.uniform(1.0, 3.0))))
        mask = (ink > pipeline._ink_threshold((ink * 255).astype(np.uint8))).astype(np.uint8)
        limit = pipeline._line_limit(mask)
        across = np.ascontiguousarray(mask.T)
        found += bool(pipeline._lines_of_their_own(mask, np.zeros_like(mask), limit).any()
                      or pipeline._lines_of_their_own(across, np.zeros_like(across), limit).any())
    assert found == 0


@pytest.mark.parametrize("side", ["left", "right"])
def test_pieces_of_a_broken_margin_line_above_and_below_the_number_are_left_out(side):
    """A faint margin line, thresholded in pieces that no line search finds whole: long pieces above and below the
    number, short ones beside it. The long ones are as tall as digits and, one after another, reach the number's line;
    taken for 1s of it, they stretched its box and squashed its digits (photos of notebook pages read as "no digits").
    Thin bars mostly above or below the number's other shapes are left out (`_line_pieces`), not as stray marks."""
    clean = draw_number("4072")
    h, w = clean.shape
    rows = np.flatnonzero((clean < 128).any(axis=1))
    top, bottom = h + rows[0], h + rows[-1]
    tall = bottom - top
    paper = np.full((3 * h, w + 60), 255, np.uint8)
    paper[h : 2 * h, 30 if side == "left" else 0 :][:, :w] = clean
    x = 10 if side == "left" else w + 45
    for start, end in [(0, top - tall - 12), (top - tall - 6, top - 10), (top + tall // 4, top + tall // 4 + 6),
                       (bottom - tall // 4, bottom - tall // 4 + 6), (bottom + 10, bottom + tall + 6),
                       (bottom + tall + 12, 3 * h)]:
        cv2.line(paper, (x, start), (x + 2, end), 120, 2)
    read, alone = preprocess(paper), preprocess(clean)
    assert read.image is not None and read.image.shape == alone.image.shape
    assert np.abs(read.image - alone.image).mean() < 0.02
    assert read.plain_ground


@pytest.mark.parametrize("mark", ["dot", "blot", "tick"])
@pytest.mark.parametrize("below", [True, False])
def test_a_stray_mark_above_or_below_the_number_is_left_out(mark, below):
    """A pen tap, a blot with more ink than any one digit, or a tick, 1.5-3 digit heights off the number's line: the
    number is cut out as without it (the mark would stretch its box and squash its digits), and its ground is not
    plain, so that an unsure reading of it is refused as one of a shape picked out of a photo."""
    clean = draw_number("4072")
    h, w = clean.shape
    paper = np.full((3 * h, w), 255, np.uint8)
    number_rows = slice(0, h) if below else slice(2 * h, 3 * h)
    paper[number_rows] = clean
    centre = (w // 3, int(2.2 * h) if below else int(0.8 * h))
    if mark == "tick":
        cv2.line(paper, (centre[0] - 12, centre[1] - 14), (centre[0] + 12, centre[1] + 14), 0, 6)
    else:
        cv2.circle(paper, centre, 12 if mark == "dot" else 24, 0, -1)
    read, alone = preprocess(paper), preprocess(clean)
    assert read.image is not None and read.image.shape == alone.image.shape
    assert np.abs(read.image - alone.image).mean() < 0.02
    assert alone.plain_ground and not read.plain_ground


def test_the_line_with_the_most_ink_is_the_number():
    """Two numbers one above the other: the one written larger is read, the other left out as off its line; two
    alike (`MAX_STRAY_INK`) are not a number and a stray mark, and are cut out together, as shapes in a photo."""
    def stacked(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        paper = np.full((top.shape[0] + bottom.shape[0], max(top.shape[1], bottom.shape[1])), 255, np.uint8)
        paper[: top.shape[0], : top.shape[1]] = top
        paper[top.shape[0]:, : bottom.shape[1]] = bottom
        return paper

    large = draw_number("4072")
    read = preprocess(stacked(draw_number("12", height=50), large))
    assert read.image.shape == preprocess(large).image.shape and not read.plain_ground
    alike = preprocess(stacked(draw_number("5381"), large))
    assert alike.image.shape[1] < read.image.shape[1] and not alike.plain_ground  # both rows, squashed to 32 high


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_stroke_among_the_textures_of_a_photo_is_not_on_plain_ground(seed):
    among = preprocess(arc_among_gravel(seed))
    assert among.image is not None and among.image.shape == (32, 32)  # the ring alone is the ink...
    assert among.pen_like and not among.plain_ground  # ...and pen-like, but among pebbles
    alone = preprocess(arc_among_gravel(seed, pebbles=0))
    assert alone.plain_ground and alone.pen_like and alone.image.shape == among.image.shape


@pytest.mark.parametrize("width", [12, 30, 50])
def test_thick_strokes_are_not_hollowed_out(width):
    """A marker stroke wider than the usual paper estimate, tightly cropped: its middle is still ink."""
    gray = np.ones((100, 2 * width + 20), np.float32)
    gray[10:90, 10 : 10 + width] = 0.1  # a thick "1"
    cv2.circle(gray, (width + 15, 50), 4, 0.1, -1)  # a dot beside it
    ink = ink_map(gray)
    assert ink[15:85, 12 : 8 + width].min() > 0.8 and ink[:5].max() < 0.1


def thin_lines(count: int, pen: int, height: int = 200) -> np.ndarray:
    """`count` upright lines `height` pixels tall, 60 apart, drawn with a `pen` pixels wide."""
    gray = np.full((2 * height, 60 * count + 100), 255, np.uint8)  # lines over 85 % of the height are paper lines
    for i in range(count):
        cv2.line(gray, (80 + 60 * i, height // 2), (80 + 60 * i, 3 * height // 2), 0, pen)
    return gray


@pytest.mark.parametrize(("count", "pen", "height"), [(1, 2, 200), (1, 4, 200), (1, 8, 200), (4, 3, 200),
                                                    (3, 3, 1200)])
def test_thin_strokes_are_thickened_to_the_models_stroke_width(count, pen, height):
    """1s written with a fine pen, 200 pixels tall (or 1,200: pooled before it grows): resized to the model's
    height each would be a line one pixel wide; each is grown to about `MIN_STROKE` (2.5) pixels."""
    image = preprocess(thin_lines(count, pen, height)).image
    assert image[8:24].sum(axis=1).mean() >= 1.5 * count  # the ink across a row: the lines' widths (1 or less without)
    assert ink_columns(image) <= (MIN_STROKE + 1) * count  # grown to the width, not beyond


def dashes(pen: int) -> np.ndarray:
    """What a squared sheet's upright line can leave: dashes one above the other."""
    gray = thin_lines(1, pen)  # a line from row 100 to row 300
    gray[140:160], gray[200:220], gray[240:260] = 255, 255, 255
    return gray


@pytest.mark.parametrize("image", [thin_lines(1, 30), dashes(3)], ids=["thick-1", "thin-dashes"])
def test_thick_strokes_and_short_pieces_are_not_thickened(monkeypatch, image):
    kept = preprocess(image).image
    monkeypatch.setattr(pipeline, "MIN_STROKE", 0.0)
    np.testing.assert_array_equal(kept, preprocess(image).image)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_dim_frame_finds_the_digits_not_the_noise(seed):
    """A dim webcam frame: ink only 30 % darker than the paper, strong sensor noise. Unsmoothed, the noise
    outweighed the ink and the mask was scattered specks."""
    clean = draw_number("4072", height=60, thickness=5).astype(np.float32) / 255  # 1: paper, 0: ink
    frame = cv2.GaussianBlur(0.55 * (1 - 0.3 * (1 - clean)), (0, 0), 1.0)
    frame += np.random.default_rng(seed).normal(0, 0.05, frame.shape)
    mask, _ = digit_mask(ink_map(frame.clip(0, 1)))
    drawn = (clean < 0.5).astype(np.uint8)
    np.testing.assert_allclose(cv2.boundingRect(mask), cv2.boundingRect(drawn), atol=3)
    assert 0.8 < mask.sum() / drawn.sum() < 1.3


@pytest.mark.parametrize("paper, ink", [(0.42, 0.15), (0.36, 0.1), (0.48, 0.3)])
def test_dim_paper_keeps_its_polarity(paper, ink):
    """Dark ink on paper under 0.5 brightness (a dim webcam, a shadow) is not taken for a dark board."""
    number = draw_number("5083", height=70).astype(np.float32) / 255  # 1: paper, 0: ink
    dim = ink + (paper - ink) * number
    dim *= np.linspace(1.1, 0.85, dim.shape[1])[None, :]  # uneven light
    expected = preprocess(draw_number("5083", height=70)).image
    image = preprocess(dim.clip(0, 1)).image
    assert image is not None and image.shape == expected.shape
    assert np.abs(image - expected).mean() < 0.05


def test_webcam_frames_keep_their_polarity_and_boards_do_not(mnist_path):
    """Of 1,000 webcam frames of MNIST test digits (dim paper, some half in a shadow, some with the desk beside) at
    most 6 are taken for a board and inverted (14 before `PAPER_SHARE`: the shadow's edge and the sheet's lines made
    thin light shapes of the lit paper), and every one of 300 boards (light strokes on dark) still is."""
    test = load_mnist(mnist_path)["test"]

    def inverted(style: str, count: int, seed: int) -> int:
        synth = StringSynth(test, first_config(negative_rate=0.0, printed_rate=0.0))
        rng = np.random.default_rng(seed)
        pictures = (pipeline.picture(synth.render(rng, synth.ink_string(rng)[0], style)) for _ in range(count))
        return sum(not np.array_equal(pipeline._dark_ink_on_light(gray), gray) for gray in pictures)

    assert inverted("webcam", 1000, 21) <= 6
    assert inverted("board", 300, 23) == 300


@pytest.mark.parametrize("board, chalk", [(0.38, 0.75), (0.45, 0.9)])
def test_grey_board_with_light_ink_is_inverted(board, chalk):
    """Light ink on a mid-grey board: the thin light shapes decide the polarity, not the brightness alone."""
    number = draw_number("5083", height=70, ink=255, paper=0).astype(np.float32) / 255  # 1: chalk
    image = preprocess(board + (chalk - board) * number).image
    expected = preprocess(draw_number("5083", height=70)).image
    assert image is not None and image.shape == expected.shape
    assert np.abs(image - expected).mean() < 0.05


def test_fixed_width_spec_fits_long_strings():
    spec = InputSpec(64, 208, fixed_width=True, pad=4)
    image = preprocess(draw_number("123456789012"), spec).image
    assert image.shape == (64, 208)


def test_long_numbers_widen_the_input():
    image = preprocess(draw_number("1234567890123456")).image
    assert image.shape[0] == 32 and image.shape[1] > 256 and image.shape[1] % 32 == 0


@pytest.mark.parametrize("bad", [np.zeros(10), np.zeros((2, 3, 4, 5)), np.zeros((10, 10, 5)),
                                 np.full((10, 10), np.nan), np.zeros((0, 10)), np.array([["a"]])])
def test_unusable_arrays_raise_value_error(bad):
    with pytest.raises(ValueError):
        preprocess(bad)


def test_non_image_bytes_and_missing_file(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    with pytest.raises(ValueError, match="not a readable image"):
        preprocess(fake)
    with pytest.raises(ValueError, match="no such file"):
        preprocess(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="a folder, not an image"):
        preprocess(tmp_path)


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_a_large_photo_file_is_read_smaller_and_reads_as_the_full_size_does(tmp_path, suffix):
    """A phone's photo (here 3600x2400, stored sideways with an EXIF turn) comes back at half size, in gray and
    upright, where `picture` shrinks it anyway (a JPEG decoded so, a PNG reduced once decoded); the model's input is
    as from the photo read whole."""
    page = np.full((2400, 3600), 230, np.uint8)
    number = cv2.resize(draw_number("3097", height=60), None, fx=8, fy=8, interpolation=cv2.INTER_LINEAR)
    page[700 : 700 + number.shape[0], 600 : 600 + number.shape[1]] = number
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn right": stored turned left
    path = tmp_path / f"phone.{suffix}"
    Image.fromarray(np.rot90(page).copy()).convert("RGB").save(path, quality=92, exif=exif)
    small = read_image(path, max_side=1600)
    assert small.shape == (1200, 1800)  # half of 2400x3600, gray, upright
    assert read_image(path).shape == (2400, 3600, 3)
    assert picture(path).shape == (1067, 1600)
    whole = preprocess(read_image(path)).image
    image = preprocess(path).image
    assert image.shape == whole.shape and np.abs(image - whole).mean() < 0.02


def test_a_long_thin_smear_stays_bounded():
    smear = np.full((400, 1600), 255, np.uint8)
    smear[200:212, 10:1590] = 0  # 12 pixels high, too thick for a paper line; 3,700 columns at full height
    image = preprocess(smear).image
    assert image is not None and image.shape[1] == 2048
