"""Model outputs → `Prediction`: the digits, the probability of the whole string, and 10 class
probabilities per position."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recognizer.architectures import BLANK, NUM_CLASSES


@dataclass
class Prediction:
    """What one image reads as. `digits` is "" when no digits were found."""

    digits: str
    confidence: float  # probability of the whole string; with digits == "": 1 where no ink was found, else
    # 1 minus the probability of the reading refused as a guess
    probabilities: np.ndarray  # (len(digits), 10): the 10 class probabilities at every position
    image: np.ndarray | None = field(default=None, repr=False)  # what the model saw (None: no ink)

    def to_dict(self) -> dict:
        return {
            "digits": self.digits,
            "confidence": round(float(self.confidence), 6),
            "probabilities": np.round(self.probabilities, 6).tolist(),
        }


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def ctc_greedy(probs: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Best path of (T, 11) frame probabilities: repeats merged, blanks dropped.

    Returns one (digit, frame indices) pair per character read.
    """
    best = probs.argmax(axis=-1)
    chars: list[tuple[int, np.ndarray]] = []
    start = 0
    for t in range(1, len(best) + 1):
        if t == len(best) or best[t] != best[start]:
            if best[start] != BLANK:
                chars.append((int(best[start]), np.arange(start, t)))
            start = t
    return chars


def ctc_log_probability(probs: np.ndarray, digits: list[int]) -> np.ndarray:
    """log P(digits | frames) summed over every CTC alignment (the forward algorithm, in log space), for (T, 11)
    frame probabilities, or for (V, T, 11): one value for each of V views at once."""
    extended = np.full(2 * len(digits) + 1, BLANK)
    extended[1::2] = digits
    log_probs = np.log(np.maximum(probs[..., extended], 1e-30))
    # A label may skip the blank before it when it differs from the label two places back.
    can_skip = np.zeros(len(extended), bool)
    can_skip[2:] = (extended[2:] != BLANK) & (extended[2:] != extended[:-2])
    alpha = np.full(log_probs.shape[:-2] + extended.shape, -np.inf)
    alpha[..., :2] = log_probs[..., 0, :2]
    padded = np.full(log_probs.shape[:-2] + (len(extended) + 2,), -np.inf)  # alpha behind two impossible states
    for t in range(1, log_probs.shape[-2]):
        padded[..., 2:] = alpha
        skipped = np.where(can_skip, padded[..., :-2], -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, padded[..., 1:-1]), skipped) + log_probs[..., t, :]
    return np.logaddexp(alpha[..., -1], alpha[..., -2]) if len(extended) > 1 else alpha[..., -1]


def _position_rows(probs: np.ndarray, chars: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """(len(chars), 10): each character's class probabilities at its most confident frame."""
    rows = np.zeros((len(chars), NUM_CLASSES))
    for i, (digit, frames) in enumerate(chars):
        frame = frames[np.argmax(probs[frames, digit])]
        rows[i] = probs[frame, :NUM_CLASSES] / probs[frame, :NUM_CLASSES].sum()
    return rows


def decode_ctc(logits: np.ndarray) -> tuple[str, float, np.ndarray]:
    """(T, 11) logits, or (V, T, 11) for V views of one image → digits, whole-string probability, (len, 10)
    per-position probabilities.

    Each view's best path is a candidate; the reading is the candidate most probable in all views together (the
    product of its probabilities), its confidence the geometric mean of those probabilities, and its rows the
    mean of those of the views whose best path it is.
    """
    probs = softmax(logits.astype(np.float64).reshape(-1, *logits.shape[-2:]))
    paths = [ctc_greedy(view) for view in probs]
    readings = [tuple(d for d, _ in chars) for chars in paths]
    candidates = list(dict.fromkeys(readings))
    scores = [float(ctc_log_probability(probs, list(c)).mean()) for c in candidates]
    best = int(np.argmax(scores))
    rows = np.mean([_position_rows(view, chars) for view, chars, reading in zip(probs, paths, readings)
                    if reading == candidates[best]], axis=0)
    return "".join(map(str, candidates[best])), float(np.exp(scores[best])), rows


def decode_positions(probs: np.ndarray) -> tuple[str, float, np.ndarray]:
    """(P, 10) per-position softmax of a fixed-length model → digits, confidence, probabilities."""
    probs = probs.astype(np.float64)
    best = probs.argmax(axis=-1)
    return "".join(map(str, best)), float(np.prod(probs.max(axis=-1))), probs
