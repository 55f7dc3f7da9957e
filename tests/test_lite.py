"""The TensorFlow Lite copy: exported with an agreement check, used for single images, ignored when stale."""

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from recognizer.inference import WEIGHTS_DIR, Recognizer
from recognizer.lite import LiteCall, export, lite_path
from tests.conftest import ROOT, draw_number
from training.export import export_weights


def test_export_agrees_and_is_used_for_single_images(tmp_path):
    weights = tmp_path / "gru.keras"
    shutil.copy(WEIGHTS_DIR / "gru.keras", weights)
    assert Recognizer.load("gru", weights).lite is None  # nothing exported yet
    export_weights("gru", weights)
    assert json.loads(lite_path(weights).with_suffix(".tflite.json").read_text())["max_abs_diff"] <= 1e-4
    recognizer = Recognizer.load("gru", weights)
    assert recognizer.lite is not None and recognizer.lite.batch == len(recognizer.views) == 6  # one call, all copies
    compiled = Recognizer("gru", lambda: recognizer.model)  # the same model through tf.function only
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


def test_single_images_are_read_without_tensorflow(tmp_path):
    """The CLI's and the app's single reads go through LiteRT: TensorFlow is imported only for a batch."""
    cv2.imwrite(str(tmp_path / "number.png"), draw_number("6180"))
    script = (
        "import sys\n"
        "from recognizer.inference import Recognizer\n"
        "recognizer = Recognizer.load('gru')\n"
        "recognizer.warm_up()\n"
        "one = recognizer.predict(sys.argv[1]).digits\n"
        "print(one, 'tensorflow' in sys.modules)\n"
        "batch = [p.digits for p in recognizer.predict_batch([sys.argv[1]] * 2)]\n"
        "print(*batch, 'tensorflow' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "number.png")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["6180", "False", "6180", "6180", "True"]


def test_without_litert_tensorflows_own_interpreter_reads_the_same(monkeypatch):
    """Where LiteRT has no wheel (Linux on ARM), the copy runs on TensorFlow's deprecated interpreter."""
    litert = LiteCall(lite_path(WEIGHTS_DIR / "cnn.keras"))
    x = np.random.default_rng(3).random((litert.batch, 32, 160, 1), np.float32)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # its import now fails
    tensorflows = LiteCall(lite_path(WEIGHTS_DIR / "cnn.keras"))
    assert type(tensorflows._interpreter).__module__.startswith("tensorflow")
    assert type(litert._interpreter).__module__.startswith("ai_edge_litert")
    np.testing.assert_allclose(tensorflows(x), litert(x), atol=1e-5)


def test_a_copy_for_another_batch_size_is_ignored(tmp_path, caplog):
    """Copies exported before the shifted copies were read in one call took one image at a time."""
    weights = tmp_path / "gru.keras"
    shutil.copy(WEIGHTS_DIR / "gru.keras", weights)
    recognizer = Recognizer.load("gru", weights)
    export(recognizer.model, weights, 32, None, batch=1)
    assert LiteCall.beside(weights).batch == 1
    assert Recognizer.load("gru", weights).lite is None and "re-export" in caplog.text
    with pytest.raises(ValueError, match="batches of 1"):
        LiteCall.beside(weights)(np.zeros((3, 32, 64, 1), np.float32))
