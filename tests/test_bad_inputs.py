"""Awkward and unusable inputs through the Python API, the app's handlers and the CLI.

The HTTP door is in test_server.py. Each unusable input gives a clear message: a ValueError in Python,
a notice in the app, a line on stderr and a non-zero exit on the CLI; none takes anything down.
"""

import time

import numpy as np
import pytest

from recognizer.inference import Recognizer
from recognizer.presentation import Reader, reading_html
from tests.made_files import BAD_ARRAYS, awkward_files, unreadable_files
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    return awkward_files(folder, "47"), unreadable_files(folder)


def test_python_api(reader, files):
    awkward, unreadable = files
    recognizer: Recognizer = reader.recognizers["gru"]
    for name, path in awkward.items():
        assert recognizer.predict(path).digits == "47", name
    for name, path in [*unreadable.items(), *BAD_ARRAYS.items()]:
        with pytest.raises(ValueError) as raised:
            recognizer.predict(path)
        assert len(str(raised.value)) > 10, name
    assert recognizer.predict(np.full((480, 640, 3), 90, np.uint8)).digits == ""  # one colour: nothing to read


def test_app_handlers(reader, files):
    import app

    show = next(f.fn for f in app.build(reader).fns.values() if f.api_name == "show")
    awkward, unreadable = files
    for name, path in awkward.items():
        assert ">47<" in show(str(path), "cnn")[0], name
    for name, bad in [*unreadable.items(), *BAD_ARRAYS.items()]:
        notice, table, seen, _ = show(bad if isinstance(bad, np.ndarray) else str(bad), "cnn")
        assert "This image cannot be read" in notice and table == "" and seen is None, name
    assert ">47<" in show(str(awkward["webp.webp"]), "gru")[0]  # and the app reads on as before


def test_limits_refuse_with_a_message(reader, files, monkeypatch):
    import recognizer.images

    path = files[0]["bitmap.bmp"]
    monkeypatch.setattr(recognizer.images, "MAX_FILE_BYTES", 1000)
    prediction, message = reader.read(str(path), "gru")
    assert prediction is None and "larger than" in message and "MB" in message
    monkeypatch.undo()
    slow = reader.recognizers["gru"]
    monkeypatch.setattr(reader, "time_limit", 0.05)
    monkeypatch.setattr(slow, "predict", lambda image: time.sleep(0.5) or slow.predict_batch([image])[0])
    prediction, message = reader.read(str(path), "gru")
    monkeypatch.undo()
    assert prediction is None and "took longer than 0.05 s" in message
    assert reader.read(str(path), "gru")[0].digits == "47"
    assert "took longer" in reading_html(None, message)


def test_cli(files):
    awkward, unreadable = files
    paths = [str(p) for p in [*awkward.values(), *unreadable.values()]]
    result = run_cli("predict", *paths, "--model", "cnn")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    readings = dict(line.split("\t")[:2] for line in result.stdout.splitlines())
    assert readings == {str(p): "47" for p in awkward.values()}
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(unreadable) and all(line.startswith("error: ") for line in errors)
    for path in unreadable.values():
        assert sum(str(path) in line for line in errors) == 1
