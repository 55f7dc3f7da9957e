"""What the app shows for a reading: both models loaded once, HTML for the number and the per-position
probabilities, and the image the model saw. No Gradio here: `app.py` wires these to components."""

from __future__ import annotations

import html
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ReadTimeout

import numpy as np

from recognizer.decoding import Prediction
from recognizer.images import ImageSource
from recognizer.inference import SHIPPED, UNSURE_BELOW, Recognizer
from recognizer.limits import REQUEST_SECONDS

log = logging.getLogger(__name__)

#: The model the app starts with: the more accurate on realistic images (see the README's evaluation).
DEFAULT_MODEL = "gru"
MODEL_LABELS = {"cnn": "CNN (convolutional, CTC)", "gru": "GRU (conv + bidirectional GRU, CTC)"}


class Reader:
    """The shipped models, loaded once; `read` never raises for bad input, it returns a message."""

    def __init__(self, names: tuple[str, ...] = SHIPPED, time_limit: float = REQUEST_SECONDS):
        self.recognizers = {name: Recognizer.load(name) for name in names}
        for recognizer in self.recognizers.values():
            recognizer.warm_up()
        self.time_limit = time_limit
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="read")

    def read(self, image: ImageSource | None, model: str) -> tuple[Prediction | None, str | None]:
        """(prediction, None), or (None, a message for the user) when there is nothing usable to read."""
        if image is None:
            return None, "Draw, upload or film a number to read it."
        if model not in self.recognizers:
            return None, f"Unknown model {model!r}: choose one of {', '.join(self.recognizers)}."
        try:
            return self._workers.submit(self.recognizers[model].predict, image).result(self.time_limit), None
        except ReadTimeout:
            return None, f"Reading this image took longer than {self.time_limit:g} s; please try a smaller one."
        except ValueError as exc:
            return None, f"This image cannot be read: {exc}"
        except Exception:  # never take the app down: log it, tell the user
            log.exception("unexpected error while reading an image")
            return None, "Something went wrong while reading this image; please try another one."


class SteadyReading:
    """A live stream's reading held steady: a frame's reading replaces the one shown only once `agree` of the last
    `window` frames read the same number (or no digits) with the same model, so a frame misread as the paper moves
    does not make the number on screen flicker. One per viewer: the app keeps it in the session's state."""

    def __init__(self, window: int = 3, agree: int = 2):
        self.agree = agree
        self.recent: deque[tuple[str, str]] = deque(maxlen=window)
        self.shown: tuple[str, Prediction] | None = None  # (model, prediction)

    def update(self, prediction: Prediction, model: str) -> Prediction:
        """The prediction to show after this frame's."""
        key = (model, prediction.digits)
        self.recent.append(key)
        shown_key = (self.shown[0], self.shown[1].digits) if self.shown else None
        if shown_key in (None, key) or shown_key[0] != model or self.recent.count(key) >= self.agree:
            self.shown = (model, prediction)  # the same number read again shows this frame's probabilities
        return self.shown[1]


def reading_html(prediction: Prediction | None, message: str | None = None) -> str:
    """The number in large type with its confidence, "No digits found", or a notice."""
    if prediction is None:
        return f'<div class="reading notice">{html.escape(message or "")}</div>'
    if not prediction.digits:
        return '<div class="reading"><div class="number none">No digits found</div></div>'
    percent = 100 * prediction.confidence
    warning = ""
    if prediction.confidence < UNSURE_BELOW:
        warning = ('<div class="unsure">⚠ Unsure reading: the model gives this whole number only '
                   f"{percent:.0f} % probability. Write more clearly or try the other model.</div>")
    return (f'<div class="reading"><div class="number">{prediction.digits}</div>'
            f'<div class="confidence">confidence {percent:.1f} %</div>{warning}</div>')


def probabilities_html(prediction: Prediction | None) -> str:
    """A heatmap table: a row per position, a column per digit 0-9, the winner outlined."""
    if prediction is None or not prediction.digits:
        return ""
    header = "".join(f"<th>{d}</th>" for d in range(10))
    rows = []
    for position, probs in enumerate(prediction.probabilities, 1):
        best = int(np.argmax(probs))
        cells = "".join(
            f'<td class="{"best" if d == best else ""}" title="{d}: {100 * p:.2f} %" '
            f'style="background: rgba(37, 99, 235, {p:.3f}); color: {"white" if p > 0.5 else "inherit"}">'
            f"{100 * p:.0f}</td>"
            for d, p in enumerate(probs))
        rows.append(f"<tr><th>#{position}</th>{cells}</tr>")
    return ('<table class="probabilities"><caption>Probability (%) of each digit at each position</caption>'
            f"<tr><th></th>{header}</tr>{''.join(rows)}</table>")


def model_view(prediction: Prediction | None, scale: int = 3) -> np.ndarray | None:
    """The normalised image the model read, enlarged for display (uint8, white ink on black)."""
    if prediction is None or prediction.image is None:
        return None
    big = np.kron(prediction.image, np.ones((scale, scale), np.float32))
    return (np.clip(big, 0, 1) * 255).astype(np.uint8)


def as_json(prediction: Prediction | None, message: str | None = None) -> dict:
    """The HTTP API's answer: digits, confidence, probabilities, unsure, and an error message or None."""
    if prediction is None:
        return {"digits": "", "confidence": 0.0, "probabilities": [], "unsure": True, "error": message}
    return {**prediction.to_dict(), "unsure": bool(prediction.digits) and prediction.confidence < UNSURE_BELOW,
            "error": None}
