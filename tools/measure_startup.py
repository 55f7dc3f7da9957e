"""Time `python app.py` from launch to serving, and its resident memory once ready and after reads.

    python tools/measure_startup.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import rss_mb  # noqa: E402
from tests.conftest import draw_number, launch_app  # noqa: E402


def main() -> None:
    import cv2
    from gradio_client import Client, handle_file

    start = time.perf_counter()
    server, url = launch_app()
    try:
        ready = time.perf_counter() - start
        ready_rss = rss_mb(server.pid)
        path = Path("/tmp/startup-number.png")
        cv2.imwrite(str(path), draw_number("2718"))
        client = Client(url, verbose=False)
        for model in ("cnn", "gru") * 10:
            client.predict(handle_file(str(path)), model, api_name="/predict")
        print(f"ready after {ready:.1f} s; resident memory {ready_rss:.0f} MB when ready, "
              f"{rss_mb(server.pid):.0f} MB after 20 reads")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
