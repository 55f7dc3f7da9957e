import numpy as np
import pytest

from recognizer.preprocess import preprocess
from training.dataset import SyntheticStrings, encode_label
from training.synth import NO_DIGIT_KINDS, STYLES, StringSynth, SynthConfig, no_digit_image


def test_lengths_and_labels(tiny_split):
    synth = StringSynth(tiny_split, SynthConfig(min_len=2, max_len=5, negative_rate=0.0))
    rng = np.random.default_rng(1)
    lengths = set()
    for _ in range(60):
        ink, label = synth.ink_string(rng)
        assert label.isdigit() and 2 <= len(label) <= 5
        assert ink.dtype == np.uint8 and ink.max() > 100
        lengths.add(len(label))
    assert lengths == {2, 3, 4, 5}


def test_given_label_is_written(tiny_split):
    synth = StringSynth(tiny_split)
    _, label = synth.ink_string(np.random.default_rng(0), "0123")
    assert label == "0123"


def test_no_collisions_between_glyphs(tiny_split):
    synth = StringSynth(tiny_split)
    rng = np.random.default_rng(2)
    for _ in range(40):
        glyphs = [synth._mnist_glyph(rng, int(d)) for d in rng.integers(0, 10, 6)]
        _, placed = synth.compose_with_boxes(rng, glyphs)
        for (x0, y0, a), (x1, y1, b) in zip(placed, placed[1:]):
            width = x0 + a.shape[1] + x1 + b.shape[1]
            height = max(y0 + a.shape[0], y1 + b.shape[0])
            first, second = np.zeros((height, width), bool), np.zeros((height, width), bool)
            first[y0 : y0 + a.shape[0], x0 : x0 + a.shape[1]] = a > 40
            second[y1 : y1 + b.shape[0], x1 : x1 + b.shape[1]] = b > 40
            assert not (first & second).any()


@pytest.mark.parametrize("style", STYLES)
def test_every_style_survives_preprocessing(tiny_split, style):
    synth = StringSynth(tiny_split, SynthConfig(negative_rate=0.0))
    rng = np.random.default_rng(3)
    found = 0
    for _ in range(10):
        ink, _ = synth.ink_string(rng)
        image = synth.render(rng, ink, style)
        assert image.dtype == np.uint8 and image.ndim in (2, 3)
        found += preprocess(image).image is not None
    assert found >= 9


def test_negatives_are_labelled_empty(tiny_split):
    synth = StringSynth(tiny_split, SynthConfig(negative_rate=1.0))
    _, label = synth.ink_string(np.random.default_rng(4))
    assert label == ""


@pytest.mark.parametrize("kind", NO_DIGIT_KINDS)
def test_no_digit_images(tiny_split, kind):
    image = no_digit_image(np.random.default_rng(5), StringSynth(tiny_split), kind)
    assert image.dtype == np.uint8 and image.shape[0] > 10


def test_stream_is_deterministic_and_shaped(tiny_split):
    stream = SyntheticStrings(StringSynth(tiny_split), preprocess.__defaults__[0], 8, batch_size=4, batches=3, seed=7)
    x1, y1 = stream[1]
    x2, y2 = stream[1]
    assert x1.shape == (4, 32, 256, 1) and x1.dtype == np.float32 and y1.shape == (4, 8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(stream[0][0], x1)


def test_encode_label():
    np.testing.assert_array_equal(encode_label("307", 5), [3, 0, 7, -1, -1])
    np.testing.assert_array_equal(encode_label("", 2), [-1, -1])
