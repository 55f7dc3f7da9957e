import re

import cv2
import numpy as np
import pytest

from recognizer.preprocess import number_tilt, preprocess, stroke_width
from training.dataset import (
    CachedStrings, SyntheticStrings, build_cache, encode_label, padded_widths, render_sample,
)
from training.synth import (
    NO_DIGIT_KINDS, SEPARATORS, STYLES, StringSynth, SynthConfig, _crop, _margin_line, _shapes, _thin_strokes,
    first_config, no_digit_image,
)


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


def _width_and_shapes(img: np.ndarray) -> tuple[float, int]:
    mask = (img > 0.5).astype(np.uint8)
    return stroke_width(mask), cv2.connectedComponents(mask)[0] - 1


def test_thin_strokes_are_narrower_and_unbroken():
    ring = np.zeros((220, 300), np.float32)
    cv2.ellipse(ring, (150, 110), (60, 90), 0, 0, 360, 1.0, 30)  # a 0 written with a marker, 210 px tall
    # Two blobs joined by a 5 px bar: eroding as far as the ring would cut the bar.
    dumbbell = np.zeros((220, 300), np.float32)
    cv2.circle(dumbbell, (70, 110), 45, 1.0, -1)
    cv2.circle(dumbbell, (230, 110), 45, 1.0, -1)
    cv2.line(dumbbell, (70, 110), (230, 110), 1.0, 5)
    rng = np.random.default_rng(0)
    for _ in range(5):
        width, _ = _width_and_shapes(ring)
        thin_width, shapes = _width_and_shapes(_thin_strokes(rng, ring))
        assert 2.0 <= thin_width <= 0.07 * 210 + 3 < 0.75 * width and shapes == 1
        assert _width_and_shapes(_thin_strokes(rng, dumbbell))[1] == 1
    assert not _thin_strokes(rng, np.zeros((50, 50), np.float32)).any()


def test_bold_strings_have_strokes_a_fifth_to_two_fifths_of_their_height(tiny_split):
    """As a marker writes, or the sketchpad's wide brush draws small digits: far wider than MNIST's strokes."""
    def stroke_share(bold_rate: float) -> list[float]:
        synth = StringSynth(tiny_split, SynthConfig(bold_rate=bold_rate, printed_rate=0.0))
        rng, shares = np.random.default_rng(5), []
        for digit in "0123456789" * 3:
            mask = (synth.ink_string(rng, digit)[0] > 127).astype(np.uint8)
            shares.append(stroke_width(mask) / np.count_nonzero(mask.any(axis=1)))
        return shares

    bold, usual = stroke_share(1.0), stroke_share(0.0)
    assert 0.15 < min(bold) and max(bold) < 0.45
    assert np.median(bold) > 1.3 * np.median(usual)  # the made-up glyphs are already bolder than MNIST's


def test_some_labels_repeat_one_digit_three_to_five_times(tiny_split):
    """Runs like "1111" teach CTC to put a blank between repeats; half of them are 1s, the narrowest digit."""
    synth = StringSynth(tiny_split, SynthConfig(repeat_rate=1.0, min_len=3))
    rng = np.random.default_rng(2)
    runs = []
    for _ in range(200):
        label = synth.random_label(rng)
        run = max(re.finditer(r"(\d)\1*", label), key=lambda m: len(m.group()))
        runs.append(run.group())
    assert all(3 <= len(run) for run in runs)
    assert 0.4 < np.mean([run[0] == "1" for run in runs]) < 0.7
    assert first_config().repeat_rate == 0.0  # the evaluation sets' labels are uniform


def test_some_ones_are_one_upright_stroke(tiny_split):
    strokes = StringSynth(tiny_split, SynthConfig(stroke_one_rate=1.0, flagged_one_rate=0.0))
    rng = np.random.default_rng(5)
    for _ in range(20):
        ink = strokes._digit_glyph(rng, 1)
        ys, xs = np.nonzero(ink > 30)
        height, width = np.ptp(ys) + 1, np.ptp(xs) + 1
        assert height >= 20 and width <= 0.35 * height  # tall, narrow, nearly upright
        assert cv2.connectedComponents((ink > 30).astype(np.uint8))[0] == 2  # one stroke
    drawn = np.random.default_rng(6)
    drawn.random()  # the draw that chose the stroke
    np.testing.assert_array_equal(strokes._digit_glyph(np.random.default_rng(6), 1), strokes._stroke_one(drawn))
    # Other digits, and every digit at rate 0, are MNIST glyphs drawn exactly as before (no extra draw).
    plain = StringSynth(tiny_split, SynthConfig(stroke_one_rate=0.0))
    for digit in (1, 7):
        np.testing.assert_array_equal(plain._digit_glyph(np.random.default_rng(digit), digit),
                                      plain._mnist_glyph(np.random.default_rng(digit), digit))
    np.testing.assert_array_equal(strokes._digit_glyph(np.random.default_rng(7), 7),
                                  strokes._mnist_glyph(np.random.default_rng(7), 7))


def _left_of_stem(ink: np.ndarray) -> float:
    """How far the ink of a 1 reaches left of its stem: the line through the middle of its bottom half's rows."""
    ys, xs = np.nonzero(ink > 30)
    rows = np.arange((ys.min() + ys.max()) // 2, ys.max() + 1)
    slope, offset = np.polyfit(rows, [xs[ys == row].mean() for row in rows], 1)
    return float((slope * ys + offset - xs).max())


def test_some_stroke_ones_have_a_flag(tiny_split):
    """A flagged 1 is one shape whose flag reaches down to the left of the stem's top, well beyond the stroke's own
    width; at rate 0 none has one."""
    rng = np.random.default_rng(3)
    flagged = StringSynth(tiny_split, SynthConfig(stroke_one_rate=1.0, flagged_one_rate=1.0))
    plain = StringSynth(tiny_split, SynthConfig(stroke_one_rate=1.0, flagged_one_rate=0.0))
    flags = [flagged._digit_glyph(rng, 1) for _ in range(30)]
    assert all(cv2.connectedComponents((ink > 30).astype(np.uint8))[0] == 2 for ink in flags)
    reach = [_left_of_stem(ink) for ink in flags]
    stems = [_left_of_stem(plain._digit_glyph(rng, 1)) for _ in range(30)]
    assert min(reach) > np.median(stems) + 1 and np.median(reach) > max(stems) + 3, (reach, stems)


def _deepest_row_dip(page: np.ndarray) -> float:
    """How far a row of a blank page falls below the brightest row within 3 of it (a level line fills a row)."""
    rows = page.astype(np.float32).mean(axis=(1, 2))
    padded = np.pad(rows, 3, mode="edge")
    nearby = np.max([padded[i : i + len(rows)] for i in range(7)], axis=0)
    return float((nearby - rows).max())


def test_askew_ruled_paper_has_tilted_lines(tiny_split):
    """Ruled paper photographed askew: no row holds a whole line, as rows do on level ruled paper; unruled
    paper has no lines at all."""
    blank = np.zeros((40, 200), np.uint8)
    level, askew = (StringSynth(tiny_split, SynthConfig(ruled_rate=1.0, ruling_tilt=tilt)) for tilt in (0.0, 8.0))
    dips = [[_deepest_row_dip(synth.render(np.random.default_rng(seed), blank, "paper")) for seed in range(12)]
            for synth in (level, askew)]
    assert np.median(dips[1]) < 0.3 * np.median(dips[0])
    unruled = StringSynth(tiny_split, SynthConfig(ruled_rate=0.0, ruling_tilt=8.0))
    assert np.median([_deepest_row_dip(unruled.render(np.random.default_rng(s), blank, "paper"))
                      for s in range(12)]) < 0.3 * np.median(dips[0])


def test_separators_are_written_between_digits_and_read_as_nothing(tiny_split):
    rng = np.random.default_rng(6)
    for _ in range(30):
        digits = "".join(map(str, rng.integers(0, 10, int(rng.integers(2, 7)))))
        text = StringSynth._separated(rng, digits)
        marks = [c for c in text if not c.isdigit()]
        assert "".join(c for c in text if c.isdigit()) == digits and 1 <= len(marks) <= 2
        assert len(set(marks)) == 1 and marks[0] in SEPARATORS  # one kind in a number: 12.05.24
        assert text[0].isdigit() and text[-1].isdigit() and marks[0] * 2 not in text  # between digits only
    synth = StringSynth(tiny_split, SynthConfig(separator_rate=1.0, printed_rate=0.0, negative_rate=0.0, bold_rate=0.0))
    ink, label = synth.ink_string(np.random.default_rng(7), "12.50")
    plain, _ = synth.ink_string(np.random.default_rng(7), "1250")
    written, digits_only = (_shapes((i > 40).astype(np.uint8)) for i in (ink, plain))
    assert label == "1250" and written == digits_only + 1  # the dot, written and not read
    assert all(synth.ink_string(np.random.default_rng(s))[1].isdigit() for s in range(10))
    with pytest.raises(ValueError, match="separators"):
        synth.ink_string(rng, "12a")
    assert first_config().separator_rate == 0.0  # the evaluation sets' synthesis writes none


def test_numbers_are_written_askew_up_to_number_tilt(tiny_split):
    """Strings run up to `number_tilt` degrees off level, either way (the askew evaluation sets' synthesis)."""
    rng = np.random.default_rng(9)

    def tilts(degrees: float) -> list[float]:
        synth = StringSynth(tiny_split, SynthConfig(min_len=6, max_len=8, negative_rate=0.0, number_tilt=degrees))
        return [number_tilt((synth.ink_string(rng)[0] > 127).astype(np.uint8)) for _ in range(30)]

    level, askew = tilts(0.0), tilts(25.0)
    assert sum(t != 0 for t in level) <= 2
    assert max(askew) > 10 and min(askew) < -10 and max(abs(t) for t in askew) <= 27


def test_stray_marks_are_written_well_above_or_below_the_number(tiny_split):
    """A pen tap, tick or smudge 0.2-0.5 of the number's height across, 1.5-3 heights from its middle (the stray-mark
    evaluation sets' synthesis); the number itself is written as without it, and its label is the same."""
    def synth(rate: float) -> StringSynth:
        return StringSynth(tiny_split, SynthConfig(negative_rate=0.0, stray_mark_rate=rate))

    above = 0
    for seed in range(20):
        plain, label = synth(0.0).ink_string(np.random.default_rng(seed))
        marked, marked_label = synth(1.0).ink_string(np.random.default_rng(seed))
        h = plain.shape[0]
        assert marked_label == label and marked.shape[1] == plain.shape[1] and marked.shape[0] > 2 * h
        top = np.array_equal(marked[:h], plain)
        assert top or np.array_equal(marked[-h:], plain)
        rows = np.flatnonzero((marked[h:] if top else marked[:-h]).max(axis=1) > 40)
        middle = (rows[0] + rows[-1]) / 2 + (h if top else 0)
        assert 0.1 * h <= rows[-1] - rows[0] + 1 <= 0.9 * h  # a smudge's blur and a tick's width reach beyond its size
        assert 1.4 * h <= abs(middle - (h / 2 if top else marked.shape[0] - h / 2)) <= 3.1 * h
        above += not top
    assert 3 <= above <= 17  # either side
    assert first_config().stray_mark_rate == 0.0  # the other evaluation sets are made without


@pytest.mark.parametrize("tilt", [-0.14, 0.0, 0.14])
def test_margin_lines_lean_with_the_sheet_left_of_the_number(tilt):
    """A notebook's margin line (the margin-line evaluation set's synthesis): one or two upright lines 1-2 pixels wide
    and 0.15-0.45 dark, leaning with the sheet's rulings (`tilt`, columns per row), left of the number's first ink
    column in every row; no other evaluation set has one."""
    h, w, first_ink = 120, 300, 80
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    doubled = 0
    for seed in range(20):
        lines = _margin_line(np.random.default_rng(seed), gx, gy, tilt, first_ink)
        darkness = np.unique(lines[lines > 0])
        assert len(darkness) == 1 and 0.15 <= darkness[0] <= 0.45
        rows = [np.flatnonzero(row) for row in lines]
        assert all(len(columns) == 0 or columns.max() < first_ink - 1 for columns in rows)
        inked = [columns for columns in rows if len(columns)]
        assert len(inked) >= h // 2
        runs = {int(np.sum(np.diff(columns) > 1)) + 1 for columns in inked}
        assert runs <= {1, 2} and max(len(columns) for columns in inked) <= 4
        doubled += 2 in runs
        ys = [y for y, columns in enumerate(rows) if len(columns)]
        assert np.polyfit(ys, [rows[y].max() for y in ys], 1)[0] == pytest.approx(-tilt, abs=0.03)
    assert 1 <= doubled <= 12
    assert first_config().margin_rate == 0.0 and SynthConfig().margin_rate == 0.0


@pytest.mark.parametrize(("char", "top", "bottom"), [(".", 0.6, 1.0), (",", 0.6, 1.0), ("-", 0.3, 0.7),
                                                     (":", 0.1, 1.0)])
def test_separators_sit_where_they_are_written(tiny_split, char, top, bottom):
    rng = np.random.default_rng(8)
    mark = StringSynth._separator(rng, char, 30)
    rows = np.flatnonzero(mark.max(axis=1) > 40)
    assert char in SEPARATORS and mark.shape[0] == 30
    assert top * 30 <= rows[0] and rows[-1] <= bottom * 30
    # Composed beside digits, a mark keeps its band: a dot stays on the digits' baseline.
    synth = StringSynth(tiny_split)
    digits = [synth._mnist_glyph(rng, d) for d in (1, 2)]
    band = int(np.median([_crop(d).shape[0] for d in digits]))
    _, placed = synth.compose_with_boxes(rng, [digits[0], StringSynth._separator(rng, char, band), digits[1]], {1})
    assert placed[1][2].shape[0] >= 0.8 * max(placed[0][2].shape[0], placed[2][2].shape[0])


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


def test_cached_batches_group_similar_widths_and_are_cut_to_them(tiny_split, tmp_path):
    spec = preprocess.__defaults__[0]
    synth = StringSynth(tiny_split, SynthConfig(min_len=1, max_len=8, negative_rate=0.0))
    build_cache(SyntheticStrings(synth, spec, 8, batch_size=8, batches=8, seed=3), tmp_path, processes=1)
    data = CachedStrings(tmp_path, spec, batch_size=8, seed=1)
    stored = np.load(tmp_path / "images.npy")
    for _ in range(2):  # two epochs: reshuffled, same rules
        widths = [data[i][0].shape[2] for i in range(len(data))]
        assert len(data) == 8 and widths[0] != widths[1]  # Keras keeps the width free only if these differ
        assert sum(widths) < 8 * spec.width  # short numbers are not padded to the full width
        for i in range(len(data)):
            x, y = data[i]
            rows = data.batches[i]
            assert x.shape[2] % spec.width_step == 0 and x.shape[2] == padded_widths(stored[rows], spec).max()
            assert not stored[rows][:, :, x.shape[2]:].any()  # nothing cut off but padding
            np.testing.assert_array_equal(y, np.load(tmp_path / "labels.npy")[rows])
        data.on_epoch_end()


def test_stored_samples_are_the_served_input_padded(tiny_split):
    spec = preprocess.__defaults__[0]
    synth = StringSynth(tiny_split, SynthConfig(min_len=1, max_len=4, negative_rate=0.0))
    checked = 0
    for seed in range(8):
        served = preprocess(synth.sample(np.random.default_rng(seed))[0]).image
        if served is None:  # rendered again from the next draw: not the same image
            continue
        stored, _ = render_sample(synth, spec, np.random.default_rng(seed))  # the same draw, stored
        checked += 1
        assert stored.shape == (spec.height, spec.width) and served.shape[1] < spec.width
        np.testing.assert_allclose(stored[:, : served.shape[1]] / 255, served, atol=0.5 / 255 + 1e-6)
        assert not stored[:, served.shape[1] :].any()
        assert padded_widths(stored[None], spec)[0] == served.shape[1]
    assert checked >= 6
