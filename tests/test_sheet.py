"""Finding a sheet of paper that fills only part of a picture, and reading it there."""

import cv2
import numpy as np
import pytest

from recognizer.images import to_gray
from recognizer.inference import SHIPPED, Recognizer
from recognizer.sheet import find_sheet
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


@pytest.mark.parametrize("seed", range(4))
def test_a_sheet_in_a_room_is_cut_out(seed):
    sheet = paper_with("385")
    scene = held_up(room(seed), sheet, (120 + 20 * seed, 90), degrees=-6 + 4 * seed)
    crop = find_sheet(to_gray(scene))
    assert crop is not None
    h, w = sheet.shape
    assert 0.8 * h < crop.shape[0] < 1.25 * h and 0.8 * w < crop.shape[1] < 1.25 * w, crop.shape
    # Nothing of the room is left: only paper (0.92) and the number's ink.
    border = np.concatenate([crop[:3].ravel(), crop[-3:].ravel(), crop[:, :3].ravel(), crop[:, -3:].ravel()])
    assert border.min() > 0.8
    assert (crop < 0.5).sum() > 0.5 * (sheet < 128).sum()


def test_no_sheet_where_the_paper_fills_the_picture_or_holds_nothing():
    number = cv2.resize(draw_number("4406", height=60), None, fx=3, fy=3)  # paper all round
    assert find_sheet(to_gray(number)) is None
    for name in ("paper-photo-385", "webcam-frame-8152", "sketch-2024", "paper-page-askew-2718"):
        assert find_sheet(to_gray(ROOT / "examples" / f"{name}.png")) is None, name
    assert find_sheet(to_gray(draw_number("12", height=40))) is None  # too small to hold a scene
    blank = held_up(room(0), np.full((200, 400), 235, np.uint8), (120, 90), degrees=3)
    assert find_sheet(to_gray(blank)) is None  # a sheet, but nothing written on it
    assert find_sheet(to_gray(room(1))) is None


@pytest.mark.parametrize("name", SHIPPED)
def test_the_number_on_a_sheet_in_a_room_is_read(name):
    recognizer = Recognizer.load(name)
    scenes = [held_up(room(seed), paper_with("385"), (150, 100 + 20 * seed), degrees=-4 + 3 * seed)
              for seed in range(3)]
    assert [p.digits for p in recognizer.predict_batch(scenes)] == ["385"] * 3
    recognizer.read_sheets = False
    assert [p.digits for p in recognizer.predict_batch(scenes)] != ["385"] * 3  # the whole picture is read wrong
