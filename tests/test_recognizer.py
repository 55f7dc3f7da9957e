"""The shipped models, loaded once, on images the tests make."""

import json
import re

import cv2
import numpy as np
import pytest

from recognizer import images as images_module
from recognizer import inference
from recognizer import preprocess as preprocess_module
from recognizer.architectures import ARCHITECTURES
from recognizer.decoding import softmax
from recognizer.inference import OFFSETS, SHIFTS, SHIPPED, WEIGHTS_DIR, Recognizer
from recognizer.preprocess import preprocess
from recognizer.sheet import find_sheets
from tests.conftest import ROOT, arc_among_gravel, draw_number, shaded_ball
from training.drawn import drawn_number, straight_ones
from training.evaluate import EVAL_SETS, build_set, edit_distance
from training.mnist import load_mnist
from training.synth import StringSynth, first_config


@pytest.fixture(scope="module", params=SHIPPED)
def recognizer(request) -> Recognizer:
    return Recognizer.load(request.param)


@pytest.fixture(scope="module")
def handwritten(mnist_path):
    """Clean scans of strings of MNIST test digits, for a given length range."""
    test = load_mnist(mnist_path)["test"]

    def make(count: int, min_len: int, max_len: int, seed: int, style: str = "scan", **synthesis
             ) -> list[tuple[np.ndarray, str]]:
        """`synthesis`: `SynthConfig` fields. Built on the evaluation's frozen synthesis (`first_config`), so that
        what later sessions add to the training synthesis leaves these images as they are; askew numbers are off
        unless given."""
        synth = StringSynth(test, first_config(**{
            "min_len": min_len, "max_len": max_len, "negative_rate": 0.0, "printed_rate": 0.0, "elastic_rate": 0.0,
            "max_rotation": 5.0, "number_tilt": 0.0, **synthesis}))
        rng = np.random.default_rng(seed)
        items = []
        for _ in range(count):
            ink, label = synth.ink_string(rng)
            items.append((synth.render(rng, ink, style), label))
        return items

    return make


def test_shipped_weights_carry_their_training_report(recognizer):
    """The JSON beside the weights says how they were trained (data settings, epochs, time, metrics), what they were
    averaged or fine-tuned from, and the "no digits" floor the recognizer uses."""
    report = json.loads((WEIGHTS_DIR / f"{recognizer.name}.json").read_text())
    assert report["model"] == recognizer.name and report["parameters"] == recognizer.model.count_params()
    assert {"data", "epochs_run", "training_minutes", "val_string_acc", "history"} <= report.keys()
    assert report["data"]["max_len"] == 8 and len(report["history"]["val_string_acc"]) == report["epochs_run"]
    assert "averaged_from" in report or "initialised_from" in report
    assert report["no_digits_below"] == recognizer.no_digits_below > 0


def test_reads_handwritten_strings(recognizer, handwritten):
    items = handwritten(40, 1, 8, seed=11)
    predictions = recognizer.predict_batch([image for image, _ in items])
    right = sum(p.digits == label for p, (_, label) in zip(predictions, items))
    # The shipped models read about 95 % of such strings whole (README, Evaluation).
    assert right >= 34, [(p.digits, label) for p, (_, label) in zip(predictions, items)]


@pytest.mark.parametrize(("synthesis", "min_len", "max_len", "seed"),
                         [({"separator_rate": 1.0}, 2, 6, 13), ({"number_tilt": 25.0}, 1, 8, 14),
                          ({"stray_mark_rate": 1.0}, 1, 8, 15)],
                         ids=["separators", "askew", "stray-mark"])
def test_reads_numbers_written_with_separators_askew_or_beside_a_stray_mark(recognizer, handwritten, synthesis,
                                                                            min_len, max_len, seed):
    """What is written between the digits (12.50, 1,250, 555-01, 12:30) is read as nothing; a number written (or
    photographed) running up to 25 degrees off level is turned level before it is read; a pen tap, tick or smudge
    above or below the number is left out.

    The shipped models read 38 and 39 of the numbers with separators, 38 and 38 of the askew ones and 38 and 39 of
    those with a stray mark. On the fixture's images before it was built on `first_config`, `cnn` read 37, 37 and 40,
    where weights that had not learned separators read 16 and 11 (a dot read as a 6, a dash as a 1; README,
    Training), askew numbers not turned level 24 each (README, How it works), and with the stray mark kept in the
    number's box 25 each."""
    items = handwritten(40, min_len, max_len, seed=seed, **synthesis)
    readings = [p.digits for p in recognizer.predict_batch([image for image, _ in items])]
    right = sum(r == label for r, (_, label) in zip(readings, items))
    assert right >= 33, list(zip(readings, [label for _, label in items]))


def test_reads_numbers_beside_a_margin_line_on_a_page_seen_in_perspective(recognizer, handwritten):
    """Photos of notebook pages with a margin line left of the number, seen in perspective, so that the margin line
    does not lean as the rulings do: found at a slope of its own, it is not ink. The shipped models read 36 and 38 of
    them (89-90 % of the evaluation's set). On the fixture's images before it was built on `first_config`: 40 and
    40, and 35 and 36 with the margin line left in (README, How it works)."""
    items = handwritten(40, 1, 8, seed=16, style="paper", margin_rate=1.0, ruled_rate=1.0, perspective_rate=1.0,
                        photo_margin=(1.0, 3.0))
    readings = [p.digits for p in recognizer.predict_batch([image for image, _ in items])]
    right = sum(r == label for r, (_, label) in zip(readings, items))
    assert right >= 34, list(zip(readings, [label for _, label in items]))


def test_reads_12_to_16_digit_strings(recognizer, handwritten):
    """Trained on 1-8 digits, the CTC readers still read much longer numbers digit by digit."""
    items = handwritten(10, 12, 16, seed=12)
    readings = [recognizer.predict(image).digits for image, _ in items]
    errors = sum(edit_distance(r, label) for r, (_, label) in zip(readings, items))
    assert errors / sum(len(label) for _, label in items) <= 0.05, list(zip(readings, [lab for _, lab in items]))
    assert sum(r == label for r, (_, label) in zip(readings, items)) >= 4
    assert max(len(r) for r in readings) >= 14


def test_prediction_fields(recognizer, handwritten):
    image, label = handwritten(1, 5, 5, seed=13)[0]
    prediction = recognizer.predict(image)
    assert len(prediction.digits) == prediction.probabilities.shape[0]
    assert prediction.probabilities.shape[1] == 10
    np.testing.assert_allclose(prediction.probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert 0.0 <= prediction.confidence <= 1.0
    assert prediction.image.shape[0] == 32
    assert set(prediction.to_dict()) == {"digits", "confidence", "probabilities"}


def test_batch_equals_single(recognizer, handwritten):
    items = handwritten(8, 1, 8, seed=14)  # several widths in one batch
    batch = recognizer.predict_batch([image for image, _ in items])
    for (image, _), together in zip(items, batch):
        alone = recognizer.predict(image)
        assert alone.digits == together.digits
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-4)


def test_batches_are_read_in_groups_and_each_image_decoded_once(recognizer, handwritten, tmp_path, monkeypatch):
    """A blank page is read whole, then searched for a sheet: from the one decoding of its file."""
    items = handwritten(6, 1, 8, seed=16)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 200, np.uint8))
    images = [image for image, _ in items] + [str(blank)]
    together = [p.digits for p in recognizer.predict_batch(images)]
    assert together[-1] == "" and sum(p == label for p, (_, label) in zip(together, items)) >= 5
    decoded, searched = [], []
    read = images_module.read_image
    monkeypatch.setattr(images_module, "read_image", lambda image, *size: decoded.append(image) or read(image, *size))
    monkeypatch.setattr(inference, "find_sheets", lambda gray: searched.append(gray) or find_sheets(gray))
    monkeypatch.setattr(inference, "GROUP_PIXELS", 1)  # every image a group of its own
    assert [p.digits for p in recognizer.predict_batch(images)] == together
    assert len(searched) == 1 and [path for path in decoded if isinstance(path, str)] == [str(blank)]


def test_reading_averages_the_vertical_shifts_at_each_horizontal_offset(recognizer, handwritten):
    x = preprocess(handwritten(1, 4, 4, seed=15)[0][0], recognizer.arch.spec).image
    plain = softmax(recognizer._call(x[None, :, :, None]).numpy()[0])
    assert len(SHIFTS) > 1 and len(OFFSETS) > 1 and recognizer.offsets == OFFSETS
    expected = []
    for offset in OFFSETS:
        moved = np.stack([np.roll(x, (shift, offset), axis=(0, 1)) for shift in SHIFTS])[..., None]
        shifted = softmax(recognizer._call(moved).numpy())
        assert np.abs(shifted[1:] - shifted[0]).max() > 1e-3  # the shifted copies differ
        expected.append(shifted.mean(axis=0))
    assert np.abs(expected[1] - plain).max() > 1e-2  # the offset copy is read differently
    np.testing.assert_allclose(softmax(recognizer._run([x])[0]), expected, atol=1e-4)  # Lite, alone
    np.testing.assert_allclose(softmax(recognizer._run([x, x])[1]), expected, atol=1e-4)  # batched


def test_position_models_read_each_image_at_one_offset(tmp_path):
    ARCHITECTURES["seed-cnn"].build().save(tmp_path / "seed-cnn.keras")  # untrained: four digits, whatever they are
    baseline = Recognizer.load("seed-cnn", tmp_path / "seed-cnn.keras")
    assert baseline.offsets == (0,) and baseline.views == [(shift, 0) for shift in SHIFTS]
    prediction = baseline.predict(draw_number("1234"))
    assert len(prediction.digits) == 4 and prediction.probabilities.shape == (4, 10)


def test_weights_that_give_no_numbers_are_reported_not_read(tmp_path):
    model = ARCHITECTURES["cnn"].build()
    weights = model.get_weights()
    model.set_weights(weights[:-1] + [np.full_like(weights[-1], np.nan)])  # the logits' bias
    model.save(tmp_path / "cnn.keras")
    broken = Recognizer.load("cnn", tmp_path / "cnn.keras")
    with pytest.raises(ValueError, match="weights are broken"):
        broken.predict(draw_number("42"))


def test_blank_canvas_reads_no_digits_without_the_model(recognizer):
    prediction = recognizer.predict(np.zeros((200, 600, 4), np.uint8))
    assert prediction.digits == "" and prediction.image is None and prediction.probabilities.shape == (0, 10)


def test_a_shaded_object_read_unsure_is_no_digits(recognizer, monkeypatch):
    """A photographed ball looks like an 8 or a 6 to the models, unsure but over their floors: as its ink is not
    pen-like, the answer is "no digits". Written ink read just as unsurely is still answered."""
    ball = shaded_ball()
    assert recognizer.predict(ball).digits == ""
    monkeypatch.setattr(inference, "UNSURE_BELOW", 0.0)  # the rule off: the guess shows
    guess = recognizer.predict(ball)
    assert guess.digits and guess.confidence >= recognizer.no_digits_below
    monkeypatch.setattr(inference, "UNSURE_BELOW", 1.01)  # every reading unsure
    assert recognizer.predict(draw_number("407")).digits == "407"
    refused = recognizer.predict(ball)
    assert refused.digits == "" and refused.probabilities.shape == (0, 10) and refused.image is not None


def test_an_unsure_reading_of_a_shape_among_others_is_no_digits(recognizer, monkeypatch):
    """A ring among pebbles is pen-like ink read as a 0 or a 6, but its ground is busy (`plain_ground`): read
    unsure, it is answered "no digits", where written ink read just as unsurely is still answered."""
    monkeypatch.setattr(inference, "UNSURE_BELOW", 1.01)  # every reading unsure
    assert recognizer.predict(draw_number("407")).digits == "407"
    refused = recognizer.predict(arc_among_gravel())
    assert refused.digits == "" and refused.probabilities.shape == (0, 10) and refused.image is not None
    monkeypatch.setattr(preprocess_module, "MAX_GROUND_VARIATION", 10.0)  # every ground plain: the guess shows
    assert recognizer.predict(arc_among_gravel()).digits in {"0", "6"}


def test_the_floor_holds_per_eight_digits():
    """A reading under the floor is a guess; one longer than the 8 digits the models were trained on is judged per 8
    digits (its probability is a product over more of them), so a long number read unsurely is not hidden."""
    assert inference.is_guess("7", 0.1, 0.15) and not inference.is_guess("7", 0.2, 0.15)
    assert inference.is_guess("12345678", 0.05, 0.15) and not inference.is_guess("", 0.0, 0.15)
    assert not inference.is_guess("1234567812345678", 0.05, 0.15)  # over 0.15 ** 2
    assert inference.is_guess("1234567812345678", 0.02, 0.15)
    assert not inference.is_guess("1234567812345678", 0.0, 0.0)  # no floor: every reading kept


def test_missing_and_corrupt_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m training.train --model gru"):
        Recognizer.load("gru", tmp_path / "nope.keras")
    corrupt = tmp_path / "cnn.keras"
    corrupt.write_bytes(b"not a keras file")
    with pytest.raises(ValueError, match="could not be loaded"):
        Recognizer.load("cnn", corrupt)
    with pytest.raises(ValueError, match="unknown model"):
        Recognizer.load("transformer")


def test_warm_up_traces_the_compiled_call_where_there_is_no_lite_copy():
    fresh = Recognizer.load("cnn")
    fresh.lite = None  # as for weights never exported
    fresh.warm_up()
    assert fresh._call.experimental_get_tracing_count() == 1
    fresh.predict(draw_number("52"))
    assert fresh._call.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(("ones", "brush", "lean"),
                         [(1, 14, (0, 20)), (1, 14, (20, 40)), (1, 6, (0, 20)), (1, 4, (0, 20)), (2, 6, (0, 20)),
                          (2, 4, (0, 20))],
                         ids=["upright", "leaning", "thin-brush", "fine-brush", "11-thin-brush", "11-fine-brush"])
def test_reads_straight_1s_drawn_on_the_sketchpad(recognizer, ones, brush, lean):
    """The app's canvas (900x300, transparent), its default brush (14 px) or a thin one: `ones` straight strokes
    160 px tall, 40-90 px apart, their ends `lean` pixels (up to 14°, or 14-27°) either side of upright. At the
    model's height a thin one is a line a pixel wide unless `preprocess` thickens it (before it did, the models
    read 14 and 11-13 of 20 lone thin 1s, and 11-13 and 4-5 of 20 thin "11"s)."""
    rng = np.random.default_rng(0)
    readings = [recognizer.predict(straight_ones(rng, ones, brush, lean)).digits for _ in range(20)]
    assert readings.count("1" * ones) >= 18, readings


def test_reads_flagged_1s_and_crossed_7s_drawn_on_the_sketchpad(recognizer):
    """Numbers of 1s and 7s drawn with smooth strokes (`training.drawn`), half the 1s with a flag and half the 7s
    crossed, as much of Europe writes them. MNIST's 1s have no flag: models trained on it alone read a flagged 1 as
    a 7 (the weights before the synthesis drew flags read 8 of these 20 numbers each; `cnn` and `gru` now 20 each)."""
    rng = np.random.default_rng(1)
    labels = ["".join(rng.choice(list("17"), rng.integers(1, 6))) for _ in range(20)]
    readings = [recognizer.predict(drawn_number(rng, label)).digits for label in labels]
    assert sum(map(str.__eq__, readings, labels)) >= 16, list(zip(labels, readings))


def test_reads_small_digits_drawn_with_the_wide_brush(recognizer):
    """Numbers 30-50 pixels tall drawn with a 10-14 pixel brush (the sketchpad's default is 14), the holes of 6, 8 and 9
    nearly closed. Models trained on MNIST's strokes alone read such 3s and 5s as 8s and thick flagged 1s as 7s or 9s
    (the weights before bold strings were in the synthesis read 34 (`cnn`) and 33 (`gru`) of these 40 numbers; now 39
    each)."""
    spec = next(spec for spec in EVAL_SETS if spec.name == "drawn-small-bold")
    items = build_set(None, spec, seed=1, scale=40 / spec.count)
    readings = [recognizer.predict(image).digits for image, _ in items]
    assert sum(reading == label for reading, (_, label) in zip(readings, items)) >= 36, readings


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.png")), ids=lambda path: path.stem)
def test_reads_every_example_as_its_name_says(recognizer, path):
    """The app's examples end their names with the number they show ("no-digits-...": none). In the bold number
    cut to its ink every stroke touches the border: before such strokes counted as strokes, the paper estimate
    hollowed them out and the models read "1075" (cnn, 0.23) and nothing (gru)."""
    assert recognizer.predict(path).digits == re.search(r"\d*$", path.stem).group()
