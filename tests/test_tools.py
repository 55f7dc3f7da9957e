"""The measuring tools under tools/ that the README quotes."""

import numpy as np

from recognizer.inference import Recognizer
from tests.conftest import load_tool


def test_a_sheet_is_pasted_into_a_640x480_scene():
    tool = load_tool("read_in_scene")
    photos = tool.backgrounds()
    assert len(photos) >= 3 and all(photo.ndim == 3 and photo.shape[2] == 3 for photo in photos)
    background = np.full((300, 500, 3), 40, np.uint8)
    sheet = np.full((100, 300, 3), 250, np.uint8)
    for seed in range(5):
        scene = tool.in_scene(np.random.default_rng(seed), sheet, background)
        assert scene.shape == (480, 640, 3) and scene.dtype == np.uint8
        paper = (scene > 200).all(axis=2).mean()
        # The sheet covers 30-70 % of the width, at its own aspect ratio, and the rest is the background.
        assert 0.3**2 * 640 * 640 / 3 / (640 * 480) * 0.8 < paper < 0.7**2 * 640 * 640 / 3 / (640 * 480) * 1.1
        assert ((scene < 60).all(axis=2) | (scene > 200).all(axis=2)).mean() > 0.97


def test_live_frames_move_a_little_and_flicker_is_counted():
    tool = load_tool("live_steadiness")
    still = np.full((120, 200, 3), 230, np.uint8)
    still[40:80, 60:140] = 20
    rng = np.random.default_rng(0)
    frames = [tool.frame_of(rng, still) for _ in range(20)]
    assert all(frame.shape == still.shape and frame.dtype == np.uint8 for frame in frames)
    differences = [np.abs(frame.astype(int) - still).mean() for frame in frames]
    assert 0.5 < min(differences) and max(differences) < 25  # every frame differs, none beyond a small move
    dark = [np.argwhere(frame.mean(axis=2) < 100).mean(axis=0) for frame in frames]
    assert np.abs(np.array(dark) - [59.5, 99.5]).max() < 6  # the dark block stays where it was, give or take
    assert tool.flicker(["1", "1", "7", "1", "", ""]) == 3 and tool.flicker(["5"] * 4) == 0


def test_sample_photos_and_their_crops():
    tool = load_tool("read_photos")
    photos = tool.sample_photos()
    names = [name for name, _ in photos]
    assert len(photos) >= 30 and "text.png" not in names and "lion.jpg" in names and "chelsea.png" in names
    assert all(photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8 for _, photo in photos)
    assert min(min(photo.shape[:2]) for _, photo in photos) >= tool.MIN_SIDE
    photo = np.zeros((200, 300, 3), np.uint8)
    cut = tool.crops(np.random.default_rng(0), photo, 50)
    assert len(cut) == 50 and len({crop.shape for crop in cut}) > 10
    assert all(40 <= crop.shape[0] <= 140 and crop.shape[1] <= 300 and crop.shape[2] == 3 for crop in cut)


def test_rows_of_straight_ones_are_read_with_each_brush():
    tool = load_tool("read_rows_of_ones")
    recognizer = Recognizer.load("cnn")
    assert tool.readings(recognizer, 2, 14, rows=3) == ["11"] * 3  # as the shipped models read every such row
    assert tool.readings(recognizer, 4, 4, rows=3) == tool.readings(recognizer, 4, 4, rows=3)  # the same rows again
