"""A real server (python app.py) called over HTTP with gradio_client, for each input kind and model."""

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.made_files import canvas_png, photo_jpg, webcam_png


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


@pytest.mark.parametrize("model", ["cnn", "gru"])
@pytest.mark.parametrize("make, text", [(canvas_png, "2580"), (photo_jpg, "316"), (webcam_png, "74")])
def test_predict_endpoint(client, tmp_path, model, make, text):
    path = tmp_path / f"input-{text}.{'jpg' if make is photo_jpg else 'png'}"
    make(path, text)
    answer = client.predict(handle_file(str(path)), model, api_name="/predict")
    assert answer["error"] is None
    assert answer["digits"] == text
    assert len(answer["probabilities"]) == len(text) and 0 < answer["confidence"] <= 1


def test_no_digits_and_bad_file(client, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGBA", (600, 200)).save(blank)
    answer = client.predict(handle_file(str(blank)), "gru", api_name="/predict")
    assert answer["digits"] == "" and answer["error"] is None
    answer = client.predict(handle_file(str(blank)), "resnet", api_name="/predict")
    assert answer["error"].startswith("Unknown model")


def test_awkward_and_unreadable_files(client, tmp_path):
    from tests.made_files import awkward_files, unreadable_files

    for name, path in awkward_files(tmp_path, "47").items():
        answer = client.predict(handle_file(str(path)), "cnn", api_name="/predict")
        assert answer["error"] is None and answer["digits"] == "47", name
    for name, path in unreadable_files(tmp_path).items():
        answer = client.predict(handle_file(str(path)), "gru", api_name="/predict")
        assert answer["digits"] == "" and "cannot be read" in answer["error"], name
    assert client.predict(handle_file(str(path)), "gru", api_name="/predict")["error"]  # the server is still up


def test_missing_weights_stop_the_start_with_a_message(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    start = ("import sys, pathlib, recognizer.inference as inference; "
             f"inference.WEIGHTS_DIR = pathlib.Path({str(tmp_path)!r}); sys.argv = ['app.py']; "
             "import app; app.main()")
    result = subprocess.run([sys.executable, "-c", start], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"weights file {tmp_path}/cnn.keras not found" in result.stderr
    assert "python -m training.train --model cnn" in result.stderr


def test_listens_on_loopback_only_by_default(app_url):
    port = int(app_url.rstrip("/").rsplit(":", 1)[1])
    listening = []
    for line in open("/proc/net/tcp").read().splitlines()[1:] + open("/proc/net/tcp6").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.rsplit(":", 1)
        if int(hex_port, 16) == port and state == "0A":  # LISTEN
            listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, not 0.0.0.0 or ::
