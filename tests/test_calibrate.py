import numpy as np
import pytest

from recognizer.inference import NO_DIGITS_BELOW, Recognizer
from tests.conftest import draw_number
from training.calibrate import floor_table, main


@pytest.fixture(scope="module")
def gru() -> Recognizer:
    return Recognizer.load("gru")


def test_floor_turns_guesses_into_no_digits(gru):
    sets = {"printed": [(draw_number("407"), "407"), (draw_number("52"), "52")],
            "no-digits": [(np.full((60, 200), 255, np.uint8), ""), (draw_number("407"), "")]}
    table = floor_table(gru, sets, floors=(0.0, 1.01))
    assert table[0.0]["printed"] == 1.0
    assert table[0.0]["no-digits"] == 0.5  # the blank page; "407" is read
    assert table[1.01] == {"printed": 0.0, "no-digits": 1.0}  # nothing is that sure: every reading refused
    assert gru.no_digits_below == NO_DIGITS_BELOW  # left as it was


def test_recognizer_answers_no_digits_under_its_floor(gru):
    image = draw_number("407")
    try:
        gru.no_digits_below = 0.0
        read = gru.predict(image)
        gru.no_digits_below = 1.01
        refused = gru.predict(image)
    finally:
        gru.no_digits_below = NO_DIGITS_BELOW
    assert read.digits == "407"
    assert refused.digits == "" and refused.probabilities.shape == (0, 10)
    assert refused.confidence == pytest.approx(1 - read.confidence)
    assert refused.image is not None  # the app still shows what the model saw


def test_calibrate_command_prints_a_table(mnist_path, capsys):
    main(["--model", "cnn", "--mnist", mnist_path, "--scale", "0.002"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("`cnn` | mnist-strings | canvas | paper | webcam | no-digits")
    assert lines[2].startswith("0 | ") and len([line for line in lines if "%" in line]) == 7


def test_only_the_shipped_models_have_a_floor(gru, tmp_path):
    """The floor was chosen for cnn and gru; a seed baseline keeps every reading, however unsure."""
    from recognizer.models import ARCHITECTURES

    ARCHITECTURES["seed-gru"].build().save(tmp_path / "seed-gru.keras")  # untrained: every reading unsure
    baseline = Recognizer.load("seed-gru", tmp_path / "seed-gru.keras")
    assert gru.no_digits_below == NO_DIGITS_BELOW > 0 and baseline.no_digits_below == 0.0
    reading = baseline.predict(draw_number("4071"))
    assert len(reading.digits) == 4 and reading.confidence < NO_DIGITS_BELOW
