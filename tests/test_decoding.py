import itertools

import numpy as np
import pytest

from recognizer.architectures import BLANK
from recognizer.decoding import ctc_greedy, ctc_log_probability, decode_ctc, decode_positions


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
    assert np.exp(ctc_log_probability(probs, digits)) == pytest.approx(brute_force(probs, digits), rel=1e-9)
    views = np.stack([probs, probs[::-1]])  # several views at once: one probability each
    np.testing.assert_allclose(np.exp(ctc_log_probability(views, digits)),
                               [brute_force(view, digits) for view in views], rtol=1e-9)


def test_decode_ctc_reports_digits_confidence_and_rows():
    logits = np.log(frames([BLANK, 4, BLANK, 2, 2, BLANK], sure=0.97))
    digits, confidence, rows = decode_ctc(logits)
    assert digits == "42"
    assert 0.8 < confidence <= 1.0
    assert rows.shape == (2, 10)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    assert rows[0].argmax() == 4 and rows[1].argmax() == 2


def test_views_are_decoded_together_as_the_reading_most_probable_in_all():
    B = BLANK
    first = frames([B, 1, B, 7, B, B], sure=0.6)  # best path "17", but "77" nearly as likely
    first[1, 7] = 0.35
    second = frames([B, 7, B, 7, B, B], sure=0.5)  # best path "77", "17" most unlikely
    second[1, 1] = 0.001
    first, second = (view / view.sum(axis=1, keepdims=True) for view in (first, second))
    digits, confidence, rows = decode_ctc(np.log(np.stack([first, second])))
    assert digits == "77"  # not the first view's reading: "17" is much less probable in the second
    p17, p77 = (np.exp(ctc_log_probability(np.stack([first, second]), d)) for d in ([1, 7], [7, 7]))
    assert p77.prod() > p17.prod() and p17[0] > p77[0]
    assert confidence == pytest.approx(np.sqrt(p77.prod()))  # the geometric mean over the views
    np.testing.assert_allclose(rows, decode_ctc(np.log(second))[2])  # the rows of the view that read it
    assert decode_ctc(np.log(np.stack([first, first])))[0] == "17"  # views that agree: that reading


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
