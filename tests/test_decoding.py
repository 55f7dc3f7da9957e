import itertools

import numpy as np
import pytest

from recognizer.architectures import BLANK
from recognizer.decoding import ctc_greedy, ctc_string_probability, decode_ctc, decode_positions


def frames(path: list[int], sure: float = 0.9) -> np.ndarray:
    probs = np.full((len(path), 11), (1 - sure) / 10)
    probs[np.arange(len(path)), path] = sure
    return probs


def test_greedy_merges_repeats_and_drops_blanks():
    B = BLANK
    chars = ctc_greedy(frames([B, 1, 1, B, 1, 7, 7, B, B, 0]))
    assert [d for d, _ in chars] == [1, 1, 7, 0]
    np.testing.assert_array_equal(chars[0][1], [1, 2])
    assert ctc_greedy(frames([B, B, B])) == []


def brute_force(probs: np.ndarray, digits: list[int]) -> float:
    total = 0.0
    for path in itertools.product(range(11), repeat=len(probs)):
        collapsed = [k for k, _ in itertools.groupby(path) if k != BLANK]
        if collapsed == digits:
            total += np.prod(probs[np.arange(len(probs)), path])
    return total


@pytest.mark.parametrize("digits", [[], [3], [3, 3], [1, 2], [4, 4, 4]])
def test_forward_probability_matches_enumeration(digits):
    rng = np.random.default_rng(len(digits))
    probs = rng.dirichlet(np.ones(11), size=5)
    assert ctc_string_probability(probs, digits) == pytest.approx(brute_force(probs, digits), rel=1e-9)


def test_decode_ctc_reports_digits_confidence_and_rows():
    logits = np.log(frames([BLANK, 4, BLANK, 2, 2, BLANK], sure=0.97))
    digits, confidence, rows = decode_ctc(logits)
    assert digits == "42"
    assert 0.8 < confidence <= 1.0
    assert rows.shape == (2, 10)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    assert rows[0].argmax() == 4 and rows[1].argmax() == 2


def test_unsure_frames_give_low_confidence():
    probs = np.full((6, 11), 0.01)
    probs[:, BLANK] = 0.5
    probs[2, 3], probs[2, BLANK] = 0.45, 0.46
    digits, confidence, _ = decode_ctc(np.log(probs))
    assert digits == ""
    assert confidence < 0.7


def test_decode_positions():
    probs = np.full((4, 10), 0.02)
    probs[np.arange(4), [1, 9, 9, 0]] = 0.82
    digits, confidence, rows = decode_positions(probs)
    assert digits == "1990"
    assert confidence == pytest.approx(0.82**4)
    assert rows.shape == (4, 10)
