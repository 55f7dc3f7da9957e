import json
import shutil

import numpy as np
import pytest

from recognizer.inference import WEIGHTS_DIR, Recognizer, calibrated_floor
from tests.conftest import draw_number
from training.calibrate import choose_floor, floor_table, main


@pytest.fixture(scope="module")
def gru() -> Recognizer:
    return Recognizer.load("gru")


def test_floor_turns_guesses_into_no_digits(gru):
    sets = {"printed": [(draw_number("407"), "407"), (draw_number("52"), "52")],
            "no-digits": [(np.full((60, 200), 255, np.uint8), ""), (draw_number("407"), "")]}
    shipped = gru.no_digits_below
    table = floor_table(gru, sets, floors=(0.0, 1.01))
    assert table[0.0]["printed"] == 1.0
    assert table[0.0]["no-digits"] == 0.5  # the blank page; "407" is read
    assert table[1.01] == {"printed": 0.0, "no-digits": 1.0}  # nothing is that sure: every reading refused
    assert gru.no_digits_below == shipped > 0  # left as it was


def test_recognizer_answers_no_digits_under_its_floor(gru):
    image, shipped = draw_number("407"), gru.no_digits_below
    try:
        gru.no_digits_below = 0.0
        read = gru.predict(image)
        gru.no_digits_below = 1.01
        refused = gru.predict(image)
    finally:
        gru.no_digits_below = shipped
    assert read.digits == "407"
    assert refused.digits == "" and refused.probabilities.shape == (0, 10)
    assert refused.confidence == pytest.approx(1 - read.confidence)
    assert refused.image is not None  # the app still shows what the model saw


def test_floor_is_the_highest_costing_no_digit_set_more_than_allowed():
    table = {0.0: {"paper": 0.900, "webcam": 0.800, "no-digits": 0.5},
             0.1: {"paper": 0.900, "webcam": 0.799, "no-digits": 0.8},
             0.2: {"paper": 0.898, "webcam": 0.797, "no-digits": 0.9},  # webcam loses 0.003
             0.3: {"paper": 0.850, "webcam": 0.800, "no-digits": 1.0}}
    assert choose_floor(table, max_cost=0.002) == 0.1
    assert choose_floor(table, max_cost=0.003) == 0.2
    assert choose_floor(table, max_cost=0.0) == 0.0


def test_a_higher_floor_that_refuses_no_more_pictures_is_not_chosen():
    table = {0.0: {"webcam": 0.830, "no-digits": 0.89},
             0.1: {"webcam": 0.830, "no-digits": 0.925},
             0.15: {"webcam": 0.830, "no-digits": 0.925},
             0.2: {"webcam": 0.828, "no-digits": 0.925}}  # affordable at 1 in 500, but buys nothing
    assert choose_floor(table, max_cost=0.002) == 0.1


def test_calibrate_command_writes_the_floor_beside_the_weights(mnist_path, tmp_path, capsys):
    for suffix in (".keras", ".json"):
        shutil.copy(WEIGHTS_DIR / f"cnn{suffix}", tmp_path / f"cnn{suffix}")
    (tmp_path / "cnn.json").write_text(json.dumps({"model": "cnn", "no_digits_below": 0.77}))
    main(["--model", "cnn", "--weights", str(tmp_path / "cnn.keras"), "--mnist", mnist_path, "--scale", "0.002",
          "--write"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("`cnn` | mnist-strings | canvas | paper | webcam | no-digits")
    assert lines[2].startswith("0 | ") and len([line for line in lines if "%" in line]) == 7
    chosen = float(next(line for line in lines if line.startswith("chosen floor for cnn:")).split(":")[1])
    written = json.loads((tmp_path / "cnn.json").read_text())
    assert written["model"] == "cnn" and written["no_digits_below"] == chosen != 0.77  # the rest kept
    assert Recognizer.load("cnn", tmp_path / "cnn.keras").no_digits_below == chosen


def test_a_model_never_calibrated_keeps_every_reading(gru, tmp_path):
    """The shipped models carry the floor chosen for them; a seed baseline keeps every reading, however unsure."""
    from recognizer.architectures import ARCHITECTURES

    ARCHITECTURES["seed-gru"].build().save(tmp_path / "seed-gru.keras")  # untrained: every reading unsure
    baseline = Recognizer.load("seed-gru", tmp_path / "seed-gru.keras")
    assert gru.no_digits_below == calibrated_floor(WEIGHTS_DIR / "gru.keras") > 0
    assert baseline.no_digits_below == 0.0
    reading = baseline.predict(draw_number("4071"))
    assert len(reading.digits) == 4 and reading.confidence < gru.no_digits_below


def test_an_unreadable_floor_is_no_floor(tmp_path):
    (tmp_path / "gru.json").write_text("{not json")
    assert calibrated_floor(tmp_path / "gru.keras") == 0.0
    (tmp_path / "gru.json").write_text("[1, 2]")
    assert calibrated_floor(tmp_path / "gru.keras") == 0.0
    (tmp_path / "gru.json").write_text('{"no_digits_below": 1.5}')  # would refuse every reading
    assert calibrated_floor(tmp_path / "gru.keras") == 0.0
    (tmp_path / "gru.json").write_text('{"no_digits_below": 0.25}')
    assert calibrated_floor(tmp_path / "gru.keras") == 0.25
