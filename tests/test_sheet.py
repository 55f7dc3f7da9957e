"""Finding a sheet of paper that fills only part of a picture, and reading it there."""

import cv2
import numpy as np
import pytest

from recognizer.images import to_gray
from recognizer.decoding import Prediction
from recognizer.inference import SHIPPED, Recognizer, best_sheet_reading
from recognizer.sheet import _filled_around, find_sheets
from tests.conftest import ROOT, draw_number, load_tool

held_up = load_tool("read_in_scene").held_up


def room(seed: int, height: int = 480, width: int = 640) -> np.ndarray:
    """A gray picture full of edges and shapes darker than paper: what is behind a sheet held up to a webcam."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.normal(110, 30, (height, width)).clip(0, 255).astype(np.uint8), (0, 0), 2)
    for _ in range(40):
        color = int(rng.integers(0, 190))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 150)), y + int(rng.integers(10, 150))), color, -1)
        else:
            cv2.line(img, (x, y), (int(rng.integers(0, width)), int(rng.integers(0, height))), color,
                     int(rng.integers(1, 6)))
    return img


def paper_with(number: str) -> np.ndarray:
    """A sheet a little wider than the number written on it."""
    ink = draw_number(number, height=60, thickness=5, paper=235)
    return cv2.copyMakeBorder(ink, 50, 50, 60, 60, cv2.BORDER_CONSTANT, value=235)


def in_shadow(sheet: np.ndarray, share: float) -> np.ndarray:
    """`sheet` with its left `share` in a hard shadow (60 % of the light)."""
    dim = sheet.astype(np.float32)
    dim[:, : int(share * sheet.shape[1])] *= 0.6
    return dim.astype(np.uint8)


@pytest.mark.parametrize("seed", range(4))
def test_a_sheet_in_a_room_is_cut_out(seed):
    sheet = paper_with("385")
    scene = held_up(room(seed), sheet, (120 + 20 * seed, 90), degrees=-6 + 4 * seed)
    crops = find_sheets(to_gray(scene))
    assert 1 <= len(crops) <= 12

    def edges(crop):
        return np.concatenate([crop[:3].ravel(), crop[-3:].ravel(), crop[:, :3].ravel(), crop[:, -3:].ravel()])

    # Among the regions that may be the sheet (some with a piece of the room beside it), the sheet cut clean: at its
    # size, nothing of the room left at its edges (only paper, 0.92), the number's ink inside.
    h, w = sheet.shape
    clean = [crop for crop in crops if 0.8 * h < crop.shape[0] < 1.25 * h and 0.8 * w < crop.shape[1] < 1.25 * w
             and edges(crop).min() > 0.8 and (crop < 0.5).sum() > 0.5 * (sheet < 128).sum()]
    assert clean, [(crop.shape, edges(crop).min()) for crop in crops]


def test_the_cut_is_filled_with_the_paper_nearest_to_it():
    """A sheet turned in the picture leaves corners outside it in its cut: they carry on the paper beside them, its
    light and shadow, so that no edge is drawn where the sheet ends."""
    paper = np.tile(np.linspace(0.5, 1.0, 60, dtype=np.float32), (40, 1))  # a shadow on the left
    mask = np.zeros((40, 60), np.uint8)
    cv2.fillConvexPoly(mask, np.int32([[8, 0], [59, 6], [52, 39], [0, 33]]), 1)
    filled = _filled_around(np.where(mask > 0, paper, 0.0), mask)
    assert np.array_equal(filled[mask > 0], paper[mask > 0])
    assert np.abs(filled - paper).max() < 0.1  # each corner as bright as the paper next to it
    assert filled[0, 0] < 0.6 < 0.9 < filled[39, 59]


def test_no_sheet_where_the_paper_fills_the_picture_or_holds_nothing():
    number = cv2.resize(draw_number("4406", height=60), None, fx=3, fy=3)  # paper all round
    assert find_sheets(to_gray(number)) == []
    for name in ("paper-photo-385", "webcam-frame-8152", "sketch-2024", "paper-page-askew-2718"):
        assert find_sheets(to_gray(ROOT / "examples" / f"{name}.png")) == [], name
    assert find_sheets(to_gray(draw_number("12", height=40))) == []  # too small to hold a scene
    blank = held_up(room(0), np.full((200, 400), 235, np.uint8), (120, 90), degrees=3)
    assert find_sheets(to_gray(blank)) == []  # a sheet, but nothing written on it
    assert find_sheets(to_gray(room(1))) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_the_number_on_a_sheet_in_a_room_is_read(name):
    """Twelve rooms: all but one at most read right (the room itself may read as a digit, unsure, where a line in it
    looks like a 1: then no sheet is looked for); read whole, without the search, half at most."""
    recognizer = Recognizer.load(name)
    scenes = [held_up(room(seed), paper_with("385"), (150, 100 + 20 * (seed % 3)), degrees=-4 + 3 * (seed % 3))
              for seed in range(12)]
    assert sum(p.digits == "385" for p in recognizer.predict_batch(scenes)) >= 11
    recognizer.read_sheets = False
    assert sum(p.digits == "385" for p in recognizer.predict_batch(scenes)) <= 6


@pytest.mark.parametrize("name", SHIPPED)
def test_a_sheet_in_shadow_or_on_a_light_desk_is_read(name):
    """A shadow across the sheet splits it where brightness edges bound it, and a desk nearly as light as the paper
    runs into it: bright regions find both."""
    recognizer = Recognizer.load(name)
    shadow = held_up(room(1), in_shadow(paper_with("385"), 0.4), (140, 90), degrees=-2)
    desk = held_up(np.clip(room(0).astype(np.int32) + 90, 0, 255).astype(np.uint8), paper_with("385"), (120, 100),
                   degrees=-4)
    assert [p.digits for p in recognizer.predict_batch([shadow, desk])] == ["385"] * 2


def test_the_reading_with_the_most_digits_expected_right_is_kept():
    """A sheet found only in part reads part of its number as surely as the whole sheet reads all of it; a region that
    takes in a piece of the room beside the sheet reads a digit more, less surely."""
    def reading(digits, confidence):
        return Prediction(digits, confidence, np.full((len(digits), 10), 0.1), None)

    part, whole = reading("470", 0.99), reading("4703", 0.9)
    assert best_sheet_reading([reading("", 0.97), part, whole, reading("47031", 0.5)]) is whole
    assert best_sheet_reading([reading("4703", 0.7), whole]) is whole  # the same digits: the surest
    sheet, with_room = reading("385", 1.0), reading("3851", 0.67)
    assert best_sheet_reading([with_room, sheet]) is sheet
    assert best_sheet_reading([reading("", 0.97), reading("47031", 0.5)]) is None  # none sure
    assert best_sheet_reading([]) is None
