"""The readers the benchmark compares, each reading a batch of images into digit strings."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Protocol, Sequence

import cv2
import numpy as np

from recognizer.images import ImageSource, to_gray
from recognizer.inference import Recognizer


class DigitReader(Protocol):
    name: str

    def read(self, images: Sequence[ImageSource]) -> list[str]: ...


class ModelReader:
    """One of the project's models through the `Recognizer` API."""

    def __init__(self, recognizer: Recognizer):
        self.name, self.recognizer = recognizer.name, recognizer

    def read(self, images: Sequence[ImageSource]) -> list[str]:
        return [p.digits for p in self.recognizer.predict_batch(images)]


class TesseractReader:
    """Tesseract 5 on one text line, digits only, given each image as gray on white (alpha composited).

    `peak_mb` is the largest peak resident memory of a Tesseract process so far.
    """

    name = "tesseract"
    peak_mb = 0.0

    def __init__(self, binary: str | None = None):
        self.binary = binary or shutil.which("tesseract")
        if not self.binary:
            raise FileNotFoundError("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
        self.version = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                      check=True).stdout.splitlines()[0]

    def read(self, images: Sequence[ImageSource]) -> list[str]:
        readings = []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "image.png"
            for image in images:
                cv2.imwrite(str(path), (to_gray(image) * 255).astype(np.uint8))
                process = subprocess.Popen([self.binary, str(path), "stdout", "--psm", "7", "-c",
                                            "tessedit_char_whitelist=0123456789"], stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, text=True)
                self._watch_memory(process)
                readings.append("".join(c for c in process.communicate()[0] if c.isdigit()))
        return readings

    def _watch_memory(self, process: subprocess.Popen) -> None:
        """Follow the process's high-water resident memory (VmHWM) until it exits."""
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
            except (OSError, ValueError):
                break
            if fields.get("Name", "").strip() == "tesseract" and "VmHWM" in fields:  # after exec
                self.peak_mb = max(self.peak_mb, int(fields["VmHWM"].split()[0]) / 1024)
            time.sleep(0.002)
