"""`training.average`: the mean of trained models' weights, saved where `Recognizer.load` reads it."""

import json

import numpy as np
import pytest

from recognizer.architectures import ARCHITECTURES
from recognizer.inference import Recognizer
from tests.conftest import draw_number
from training.average import average_weights, main


def test_the_average_holds_the_mean_of_every_variable_and_is_read(tmp_path, caplog):
    paths = []
    for seed in (1, 2):
        model = ARCHITECTURES["cnn"].build()
        rng = np.random.default_rng(seed)  # batch-norm statistics too: every variable differs between the two
        model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) for w in model.get_weights()])
        paths.append(tmp_path / f"run{seed}" / "cnn.keras")
        paths[-1].parent.mkdir()
        model.save(paths[-1])
    paths[0].with_suffix(".json").write_text(json.dumps({"model": "cnn", "no_digits_below": 0.1}))
    main(["--model", "cnn", "--weights", *map(str, paths), "--out", str(tmp_path / "soup")])
    soup = Recognizer.load("cnn", tmp_path / "soup" / "cnn.keras")
    assert soup.lite is not None  # exported, so single images read through it
    first, second = (Recognizer.load("cnn", p).model.get_weights() for p in paths)
    for mean, a, b in zip(soup.model.get_weights(), first, second):
        np.testing.assert_allclose(mean, (a + b) / 2, rtol=1e-6, atol=1e-6)
    report = json.loads((tmp_path / "soup" / "cnn.json").read_text())
    assert report["averaged_from"] == list(map(str, paths)) and "no_digits_below" not in report  # floor: re-chosen
    assert report["model"] == "cnn" and "no training report" not in caplog.text
    assert soup.no_digits_below == 0.0
    assert soup.predict(draw_number("42")).probabilities.shape[1] == 10


def test_models_of_another_architecture_are_refused(tmp_path):
    ARCHITECTURES["cnn"].build().save(tmp_path / "cnn.keras")
    ARCHITECTURES["gru"].build().save(tmp_path / "gru.keras")
    with pytest.raises(ValueError, match="not all cnn models"):
        average_weights("cnn", [tmp_path / "cnn.keras", tmp_path / "gru.keras"], tmp_path / "out")
    with pytest.raises(ValueError, match="two or more"):
        average_weights("cnn", [tmp_path / "cnn.keras"], tmp_path / "out")


def test_widened_models_are_averaged_as_they_are(tmp_path, caplog):
    paths = [tmp_path / f"{i}" / "gru.keras" for i in range(2)]
    model = ARCHITECTURES["gru"].build(widen=0.5)
    start = model.get_weights()
    for i, path in enumerate(paths):
        path.parent.mkdir()
        model.set_weights([w + i for w in start])
        model.save(path)
    soup = Recognizer.load("gru", average_weights("gru", paths, tmp_path / "soup")).model
    assert soup.count_params() == model.count_params() < ARCHITECTURES["gru"].build().count_params()
    np.testing.assert_allclose(soup.get_weights()[0], start[0] + 0.5, atol=1e-6)
    assert "gru.json will hold no training report" in caplog.text  # these weights have no JSON beside them
