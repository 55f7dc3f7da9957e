"""The app's handlers in-process, on made images; and the HTML they show."""

import numpy as np
import pytest

from recognizer.decoding import Prediction
from recognizer.presentation import (
    Reader, SteadyReading, as_json, model_view, probabilities_html, reading_html,
)
from tests.conftest import draw_number


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def transparent_canvas(text: str) -> np.ndarray:
    """A browser canvas: black RGB everywhere, the strokes only in alpha."""
    gray = draw_number(text, height=100, thickness=10)
    rgba = np.zeros(gray.shape + (4,), np.uint8)
    rgba[..., 3] = 255 - gray
    return rgba


def test_reads_a_transparent_canvas(reader):
    prediction, message = reader.read(transparent_canvas("35"), "gru")
    assert message is None and prediction.digits == "35"
    html = reading_html(prediction)
    assert ">35<" in html and "confidence" in html
    table = probabilities_html(prediction)
    assert table.count("<tr>") == 3 and table.count('class="best"') == 2
    assert model_view(prediction).shape == (96, prediction.image.shape[1] * 3)


def test_empty_canvas_says_no_digits(reader):
    prediction, message = reader.read(np.zeros((300, 900, 4), np.uint8), "cnn")
    assert message is None and prediction.digits == ""
    assert "No digits found" in reading_html(prediction)
    assert probabilities_html(prediction) == "" and model_view(prediction) is None


def test_bad_input_gives_a_message_not_an_exception(reader, tmp_path):
    for bad in (None, np.zeros((5, 5, 7)), np.full((9, 9), np.inf), str(tmp_path / "missing.png")):
        prediction, message = reader.read(bad, "cnn")
        assert prediction is None and message
        assert message in reading_html(None, message)
    assert reader.read(draw_number("1"), "transformer")[1].startswith("Unknown model")


def test_api_answer_shape(reader):
    answer = as_json(*reader.read(draw_number("808"), "cnn"))
    assert set(answer) == {"digits", "confidence", "probabilities", "unsure", "error"}
    assert answer["error"] is None and len(answer["probabilities"]) == len(answer["digits"])
    failed = as_json(*reader.read(None, "cnn"))
    assert failed["error"] and failed["digits"] == ""


def test_unsure_readings_are_flagged():
    shaky = Prediction("12", 0.3, np.full((2, 10), 0.1), np.zeros((32, 256)))
    assert "Unsure" in reading_html(shaky)
    assert as_json(shaky)["unsure"] is True


def test_blocks_build_and_every_handler(reader):
    import app

    demo = app.build(reader)
    handlers = [f for f in demo.fns.values() if f.fn is not None and f.name != "load_example"]
    assert {f.api_name for f in handlers} >= {"predict", "show_sketch", "show", "show_live"}
    canvas = transparent_canvas("35")
    empty = np.zeros((300, 900, 4), np.uint8)
    for handler in handlers:
        kind = type(handler.inputs[0]).__name__
        if handler.api_name == "predict":
            assert handler.fn(canvas, "gru")["digits"] == "35"
            continue
        live = handler.api_name == "show_live"  # also takes and gives back the viewer's SteadyReading

        def call(image, model, handler=handler, live=live):
            outputs = handler.fn(image, model, *([SteadyReading()] if live else []))
            assert len(outputs) == 4 + live and (not live or isinstance(outputs[4], SteadyReading))
            return outputs

        image = {"background": None, "layers": [], "composite": canvas} if kind == "Sketchpad" else canvas
        reading, table, seen, last, *_ = call(image, "gru")
        assert ">35<" in reading and table.count('class="best"') == 2 and seen.ndim == 2
        assert last is not None
        blank = {"background": None, "layers": [], "composite": empty} if kind == "Sketchpad" else empty
        assert "No digits found" in call(blank, "cnn")[0]
        assert "Draw, upload or film" in call(None, "cnn")[0]


def test_live_readings_are_held_steady():
    def read(digits: str, confidence: float = 0.9) -> Prediction:
        return Prediction(digits, confidence, np.full((len(digits), 10), 0.1))

    steady = SteadyReading()
    assert steady.update(read("42"), "gru").digits == "42"  # the first reading shows at once
    assert steady.update(read("47"), "gru").digits == "42"  # one misread frame: 42 stays
    assert steady.update(read("42", 0.8), "gru").confidence == 0.8  # read again: this frame's probabilities
    assert steady.update(read("7"), "gru").digits == "42"
    assert steady.update(read("7"), "gru").digits == "7"  # two of the last three frames: the new number
    assert steady.update(read(""), "gru").digits == "7"
    assert steady.update(read(""), "gru").digits == ""  # the paper taken away: "no digits" after two frames
    assert steady.update(read("5"), "cnn").digits == "5"  # another model: its reading at once
