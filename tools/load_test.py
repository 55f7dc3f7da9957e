"""Load test: many gradio_client clients send mixed requests to a live `python app.py` for a while.

    python tools/load_test.py                    # 50 clients for 60 s
    python tools/load_test.py --webcam --rounds 2  # and a browser streaming its (fake) webcam; twice
    python tools/load_test.py --clients 5 --seconds 10

Every answer is checked against the number drawn in the image (or "no digits" / an error for the images
that have none). Reports p50/p95 latency, throughput and the server's memory before and after. With
--webcam, Debian's Chromium streams a fake camera showing "2048" to the Live tab during the load; the
script counts the readings shown, checks the last one, and checks that none arrive after Stop (frames
that came in during a read were dropped, not queued).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import fake_camera_video, launch_app, start_live_webcam  # noqa: E402
from tests.made_files import canvas_png, photo_jpg, webcam_png  # noqa: E402
from bench.run import rss_mb  # noqa: E402


def make_inputs(folder: Path) -> list[tuple[Path, str | None]]:
    """(file, expected digits) for each input kind; None where the answer must be an error."""
    inputs = []
    for make, name, text in ((canvas_png, "canvas.png", "2580"), (photo_jpg, "photo.jpg", "316"),
                             (webcam_png, "webcam.png", "74")):
        make(folder / name, text)
        inputs.append((folder / name, text))
    Image.new("RGBA", (900, 300)).save(folder / "blank.png")
    inputs.append((folder / "blank.png", ""))
    (folder / "text.png").write_text("not an image")
    inputs.append((folder / "text.png", None))
    return inputs


class WebcamStream:
    """Chromium streaming a fake camera clip to the app's Live tab, counting the readings it shows."""

    COUNT_UPDATES = """() => { window.readings = []; new MutationObserver(() => window.readings.push(
        [performance.now(), document.querySelector('#reading .number')?.innerText])).observe(
        document.querySelector('#reading'), {childList: true, subtree: true, characterData: true}); }"""

    def __init__(self, url: str, folder: Path):
        from playwright import sync_api

        video = fake_camera_video(folder / "camera.y4m", "2048")
        self._playwright = sync_api.sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
                  "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.goto(url)
        self.page.wait_for_selector("#reading")
        self.page.evaluate(self.COUNT_UPDATES)
        start_live_webcam(self.page)
        self.started = time.monotonic()

    def stop(self) -> str:
        """Stop streaming; a summary line. Raises AssertionError on a wrong or late (queued) reading."""
        seconds = time.monotonic() - self.started
        self.page.locator("#live button.capture-button").click()
        stopped = self.page.evaluate("performance.now()")
        self.page.wait_for_timeout(3000)
        readings = self.page.evaluate("window.readings")
        self.browser.close()
        self._playwright.stop()
        shown = [r for r in readings if r[1]]
        late = [r for r in shown if r[0] > stopped + 1000]
        assert shown and shown[-1][1] == "2048", f"webcam readings {shown[-5:]}"
        assert not late, f"{len(late)} readings arrived more than 1 s after Stop: frames were queued"
        return (f"webcam stream: {seconds:.0f} s streamed (a frame every 0.25 s), the reading shown updated "
                f"throughout, last reading {shown[-1][1]}, nothing shown more than 1 s after Stop")


def problem(answer: dict, expected: str | None) -> str | None:
    """None for a right answer, else what was wrong with it."""
    if expected is None:
        return None if answer["error"] else f"no error for a non-image (read {answer['digits']!r})"
    if answer["error"] is not None:
        return f"error: {answer['error']}"
    return None if answer["digits"] == expected else f"read {answer['digits']!r} for {expected!r}"


def load_round(url: str, inputs: list, clients: int, seconds: float, server_pid: int) -> tuple[list, float]:
    """`clients` threads, each with its own gradio_client, sending random requests for `seconds`.

    Returns (latency in seconds, what was wrong or None) per request, and the server's peak memory meanwhile.
    """
    from gradio_client import Client, handle_file

    results: list[tuple[float, str | None]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(index: int) -> None:
        client = Client(url, verbose=False)
        rng = random.Random(index)
        while time.monotonic() < stop:
            path, expected = rng.choice(inputs)
            start = time.perf_counter()
            try:
                answer = client.predict(handle_file(str(path)), rng.choice(["cnn", "gru"]), api_name="/predict")
                wrong = problem(answer, expected)
            except Exception as exc:  # a dropped or failed request counts as wrong
                wrong = f"{type(exc).__name__}: {str(exc)[:120]}"
            with lock:
                results.append((time.perf_counter() - start, wrong))

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    peak = rss_mb(server_pid)
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(server_pid))
        time.sleep(0.5)
    return results, peak


def main() -> None:
    from gradio_client import Client, handle_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=1, help="rounds on the same server (is memory flat?)")
    parser.add_argument("--webcam", action="store_true", help="also stream a fake webcam from Chromium")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="load-"))
    inputs = make_inputs(folder)
    server, url = launch_app()
    failed = False
    try:
        warm = Client(url, verbose=False)
        for path, expected in inputs:
            for model in ("cnn", "gru"):
                answer = warm.predict(handle_file(str(path)), model, api_name="/predict")
                assert problem(answer, expected) is None, f"{path.name} with {model} alone: {answer}"
        print(f"server memory before: {rss_mb(server.pid):.0f} MB")
        for round_ in range(1, args.rounds + 1):
            webcam = WebcamStream(url, folder) if args.webcam else None
            results, peak = load_round(url, inputs, args.clients, args.seconds, server.pid)
            webcam_line = webcam.stop() if webcam else None
            latencies = np.array([r[0] for r in results]) * 1000
            problems = Counter(r[1] for r in results if r[1])
            wrong = sum(problems.values())
            failed |= bool(wrong) or not results
            print(f"round {round_}: {args.clients} clients, {args.seconds:.0f} s: {len(results)} requests answered "
                  f"({len(results) / args.seconds:.1f}/s), {wrong} wrong or failed; latency p50 "
                  f"{np.percentile(latencies, 50):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms, max "
                  f"{latencies.max():.0f} ms; server memory {peak:.0f} MB peak, {rss_mb(server.pid):.0f} MB after")
            for what, count in problems.most_common(3):
                print(f"round {round_}: {count} x {what}")
            if webcam_line:
                print(f"round {round_}: {webcam_line}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
