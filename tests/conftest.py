import importlib.util
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.mnist import Split  # noqa: E402


def load_tool(name: str):
    """A script of tools/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def draw_number(text: str, height: int = 80, thickness: int = 6, ink: int = 0, paper: int = 255) -> np.ndarray:
    """A gray image of `text` drawn with OpenCV's script font (dark ink on light paper by default)."""
    scale = height / 30
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    img = np.full((h + 2 * height // 2, w + height), paper, np.uint8)
    cv2.putText(img, text, (height // 2, h + height // 2 - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, thickness,
                cv2.LINE_AA)
    return img


def shaded_ball(dark: bool = True) -> np.ndarray:
    """A gray photo of a lit ball on plain ground: its shade runs smoothly from its middle to its rim, as a
    photographed object's does and pen strokes' does not."""
    yy, xx = np.mgrid[0:240, 0:320]
    r = np.hypot(yy - 120, xx - 160) / 90
    ball = 30 + 200 * r**2 if dark else 225 - 200 * r**2
    return np.where(r < 1, ball, 255 if dark else 0).astype(np.uint8)


def arc_among_gravel(seed: int = 0, pebbles: int = 300) -> np.ndarray:
    """A gray photo of a dark open ring (a pen-like stroke, read as a 0 or a 6) among mid-gray pebbles that stop
    short of it, as a shape picked out of a photo lies among others; `pebbles=0`: the ring alone on paper."""
    rng = np.random.default_rng(seed)
    image = np.full((240, 320), 210, np.uint8)
    for _ in range(pebbles):
        cv2.circle(image, (int(rng.integers(0, 320)), int(rng.integers(0, 240))), int(rng.integers(3, 8)), 130, -1)
    ring = np.zeros_like(image)
    cv2.ellipse(ring, (160, 120), (40, 80), 20, 0, 300, 255, 8, cv2.LINE_AA)
    image[cv2.dilate(ring, np.ones((9, 9), np.uint8)) > 0] = 210
    return np.minimum(image, 255 - ring * (190 / 255)).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_split() -> Split:
    """A made-up MNIST-like split: 20 font-drawn 28x28 glyphs of each digit, white on black."""
    rng = np.random.default_rng(0)
    images, labels = [], []
    for digit in range(10):
        for _ in range(20):
            glyph = np.zeros((28, 28), np.uint8)
            cv2.putText(glyph, str(digit), (int(rng.integers(4, 9)), int(rng.integers(21, 25))),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, int(rng.integers(2, 4)), cv2.LINE_AA)
            images.append(glyph)
            labels.append(digit)
    return Split(np.array(images), np.array(labels, np.uint8))


@pytest.fixture(scope="session")
def mnist_path() -> str:
    """The real MNIST file (for tests of the shipped models on handwriting); skipped where absent."""
    path = os.environ.get("MNIST_NPZ") or str(ROOT.parent / "shared" / "datasets" / "mnist.npz")
    if not Path(path).is_file():
        pytest.skip("MNIST file not available (set MNIST_NPZ)")
    return path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_app(timeout: float = 120.0):
    """Start `python app.py` on a free local port and return (process, URL) once it serves pages."""
    import subprocess
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return server, url
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("app.py exited before serving") from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"app.py did not start within {timeout:.0f} s")


@pytest.fixture(scope="session")
def app_url():
    """`python app.py` running on a free local port; its URL."""
    server, url = launch_app()
    yield url
    server.terminate()
    server.wait(timeout=30)


def fake_camera_video(path: Path, text: str) -> Path:
    """A Y4M clip of a number written on a light sheet, for Chromium's fake webcam."""
    frame = np.full((480, 640), 225, np.uint8)
    number = draw_number(text, height=90, thickness=9, paper=225)
    top, left = (480 - number.shape[0]) // 2, (640 - number.shape[1]) // 2
    frame[top : top + number.shape[0], left : left + number.shape[1]] = number
    chroma = np.full(320 * 240 * 2, 128, np.uint8).tobytes()  # 4:2:0, no colour
    with path.open("wb") as clip:
        clip.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            clip.write(b"FRAME\n" + frame.tobytes() + chroma)
    return path


def start_live_webcam(page) -> None:
    """On the app's page (Playwright), open the Webcam tab and start streaming the Live camera."""
    page.get_by_role("tab", name="Webcam").click()
    page.locator("#live").get_by_text("Click to Access Webcam").click()
    page.locator("#live button.capture-button").click(timeout=30_000)
