import json

import cv2
import numpy as np
import pytest

from recognizer.inference import Recognizer
from recognizer.preprocess import preprocess, stroke_width
from training.drawn import drawn_number, straight_ones
from training.evaluate import EVAL_SETS, build_set, confusion, cut_to_ink, edit_distance, main, score
from training.synth import NO_DIGIT_KINDS


@pytest.mark.parametrize("a, b, d", [("", "", 0), ("123", "123", 0), ("123", "13", 1), ("", "45", 2),
                                     ("1234", "1243", 2), ("9", "", 1)])
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d


def test_score_and_confusion():
    labels = ["12", "345", "6", "78"]
    readings = ["12", "355", "", "78"]
    result = score(labels, readings, np.array([0.9, 0.5, 0.1, 0.8]))
    assert result["string_accuracy"] == 0.5
    assert result["digit_accuracy"] == pytest.approx(1 - 2 / 8)
    assert result["by_length"] == {1: 0.0, 2: 1.0, 3: 0.0}
    assert result["coverage"]["1.00"]["accuracy"] == 0.5
    assert result["coverage"]["0.80"]["accuracy"] == pytest.approx(2 / 3)  # the 3 most confident
    matrix = confusion(labels, readings)
    assert matrix.sum() == 7 and matrix[4, 5] == 1 and matrix[7, 7] == 1


@pytest.mark.parametrize("name", ["mnist-strings", "plain-strings", "drawn-strokes", "drawn-small-bold"])
def test_sets_are_reproducible(tiny_split, name):
    spec = next(spec for spec in EVAL_SETS if spec.name == name)
    first = build_set(tiny_split, spec, seed=3, scale=10 / spec.count)
    again = build_set(tiny_split, spec, seed=3, scale=10 / spec.count)
    assert len(first) == 10
    assert [label for _, label in first] == [label for _, label in again]
    assert all(label.isdigit() and 1 <= len(label) <= 8 for _, label in first)
    np.testing.assert_array_equal(first[0][0], again[0][0])


def test_thin_brush_set_has_thinner_strokes_than_the_canvas_set(tiny_split):
    def median_stroke(name: str) -> float:
        spec = next(spec for spec in EVAL_SETS if spec.name == name)
        widths = []
        for image, _ in build_set(tiny_split, spec, seed=3, scale=16 / spec.count):
            widths.append(stroke_width((preprocess(image).image > 0.5).astype(np.uint8)))  # at the model's scale
        return float(np.median(widths))

    assert median_stroke("canvas-thin-brush") < 0.85 * median_stroke("canvas")


def test_drawn_numbers_lie_whole_on_the_sketchpad():
    """Every drawn number, 1 to 12 digits, lies inside the canvas: none touches its border."""
    rng = np.random.default_rng(4)
    for length in (1, 2, 5, 8, 12):
        digits = "".join(map(str, rng.integers(0, 10, length)))
        image = drawn_number(np.random.default_rng(length), digits)
        assert image.shape == (300, 900, 3) and image.dtype == np.uint8
        ink = image.min(axis=2) < 128
        assert ink.any() and not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())


def test_small_bold_set_draws_small_digits_with_a_wide_brush():
    def sizes(name: str) -> tuple[float, float]:
        """Median height of the numbers' ink, and of their strokes' width over it."""
        spec = next(spec for spec in EVAL_SETS if spec.name == name)
        heights, shares = [], []
        for image, _ in build_set(None, spec, seed=3, scale=20 / spec.count):
            ink = (image.min(axis=2) < 128).astype(np.uint8)
            heights.append(np.count_nonzero(ink.any(axis=1)))
            shares.append(stroke_width(ink) / heights[-1])
        return float(np.median(heights)), float(np.median(shares))

    (small, bold), (usual, share) = sizes("drawn-small-bold"), sizes("drawn-strokes")
    assert 30 <= small <= 65 < usual and bold > max(0.2, 2 * share)


def test_cut_to_ink_touches_every_border():
    ink = np.zeros((40, 90), np.uint8)
    ink[10:30, 20:25] = 255  # a "1"
    ink[12:28, 40:70] = 200  # a wider, shorter digit
    image = cut_to_ink(ink, 2.0)
    assert abs(image.shape[0] - 40) <= 2 and abs(image.shape[1] - 100) <= 2  # 20 rows, 50 columns of ink, doubled
    assert all((edge < 128).any() for edge in (image[0], image[-1], image[:, 0], image[:, -1]))  # ink on each border
    assert image.max() == 255  # paper white between the digits


def test_evaluate_command_writes_reports(tmp_path, mnist_path):
    main(["--model", "cnn", "--mnist", mnist_path, "--scale", "0.01", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "cnn-eval.json").read_text())
    assert set(report["sets"]) == {spec.name for spec in EVAL_SETS}
    assert 0 <= report["sets"]["mnist-strings"]["string_accuracy"] <= 1
    blank = report["sets"]["no-digits"]  # 4 images: one of each kind
    assert list(blank["by_kind"]) == list(NO_DIGIT_KINDS) and all(k["count"] == 1 for k in blank["by_kind"].values())
    assert blank["no_digits_rate"] == sum(k["answered"] for k in blank["by_kind"].values()) / 4
    assert blank["by_kind"]["blank-canvas"]["answered"] == 1
    assert report["split"] == "test" and report["no_digits_below"] == Recognizer.load("cnn").no_digits_below > 0
    assert report["latency"]["model_call_ms"] > 0
    assert "| mnist-strings |" in (tmp_path / "cnn-eval.md").read_text()
    assert "by kind: blank-canvas 1 of 1, blank-paper" in (tmp_path / "cnn-eval.md").read_text()
    assert (tmp_path / "cnn-confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_reads_the_sets_of_validation_digits_at_a_given_floor(tmp_path, mnist_path):
    """How weights are chosen: the evaluation's sets built from the validation digits, every model at one floor."""
    main(["--model", "gru", "--split", "val", "--seed", "7", "--scale", "0.002", "--no-digits-below", "0.5",
          "--mnist", mnist_path, "--out", str(tmp_path)])
    report = json.loads((tmp_path / "gru-eval.json").read_text())
    assert report["split"] == "val" and report["no_digits_below"] == 0.5
    digit_sets = [r for name, r in report["sets"].items() if name != "no-digits"]
    assert report["digit_images"] == sum(r["count"] for r in digit_sets) > 0
    assert report["right"] == sum(round(r["string_accuracy"] * r["count"]) for r in digit_sets)
    text = (tmp_path / "gru-eval.md").read_text()
    assert "the **validation digits**" in text and "floor 0.5." in text and f"{report['right']:,} of the" in text


def test_rows_of_straight_ones_are_separate_upright_strokes_on_a_transparent_canvas():
    rng = np.random.default_rng(3)
    for ones, brush in ((1, 14), (2, 4), (4, 6)):
        canvas = straight_ones(rng, ones, brush)
        assert canvas.shape == (300, 900, 4) and not canvas[..., :3].any()  # black under alpha, as browsers send it
        count, _, stats, _ = cv2.connectedComponentsWithStats((canvas[..., 3] > 0).astype(np.uint8))
        extra = stats[1:, cv2.CC_STAT_HEIGHT] - 160 - brush  # round caps, and a pixel of anti-aliasing each side
        assert count - 1 == ones and ((0 <= extra) & (extra <= 4)).all()
        assert (stats[1:, cv2.CC_STAT_WIDTH] <= 40 + brush + 4).all()  # no more than 20 pixels each side of upright
