"""The TensorFlow Lite copy: exported with an agreement check, used for single images, ignored when stale."""

import json
import shutil

import numpy as np

from recognizer.inference import WEIGHTS_DIR, Recognizer
from recognizer.lite import LiteCall, lite_path
from tests.conftest import draw_number
from training.export import export_weights


def test_export_agrees_and_is_used_for_single_images(tmp_path):
    weights = tmp_path / "gru.keras"
    shutil.copy(WEIGHTS_DIR / "gru.keras", weights)
    assert Recognizer.load("gru", weights).lite is None  # nothing exported yet
    export_weights("gru", weights)
    assert json.loads(lite_path(weights).with_suffix(".tflite.json").read_text())["max_abs_diff"] <= 1e-4
    recognizer = Recognizer.load("gru", weights)
    assert recognizer.lite is not None
    compiled = Recognizer("gru", recognizer.model)  # the same model through tf.function only
    for image in (draw_number("3079"), draw_number("12345678901234", height=60)):  # two input widths
        lite, reference = recognizer.predict(image), compiled.predict(image)
        assert lite.digits == reference.digits
        np.testing.assert_allclose(lite.probabilities, reference.probabilities, atol=1e-4)
        assert abs(lite.confidence - reference.confidence) < 1e-4


def test_a_copy_made_from_other_weights_is_ignored(tmp_path, caplog):
    weights = tmp_path / "cnn.keras"
    shutil.copy(WEIGHTS_DIR / "cnn.keras", weights)
    export_weights("cnn", weights)
    assert LiteCall.beside(weights) is not None
    shutil.copy(WEIGHTS_DIR / "gru.keras", weights)  # retrained, not re-exported
    assert LiteCall.beside(weights) is None
    assert "was not made from" in caplog.text
