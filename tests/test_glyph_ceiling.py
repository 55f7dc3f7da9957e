import json
import multiprocessing

import keras
import numpy as np
from keras import layers

from recognizer.architectures import BLANK
from training import glyph_ceiling
from training.mnist import VALIDATION_SIZE
from training.synth import SynthConfig


def test_glyph_input_is_a_one_digit_image_moved_right(tiny_split):
    for shift in (0, 3):
        image = glyph_ceiling.glyph_input(tiny_split.images[0], shift)
        rows, columns = np.nonzero(image > 0)
        assert image.shape == (32, 48) and image.dtype == np.uint8
        assert columns.min() == 2 + shift  # preprocess pads 2 columns on the left
        assert rows.max() - rows.min() + 1 == 28  # 28 rows of ink in 32, as a one-digit number is read


def test_glyph_sets_are_the_same_whatever_the_pool(tiny_split, monkeypatch):
    monkeypatch.setitem(glyph_ceiling._splits, "test", tiny_split)
    jobs = glyph_ceiling.glyph_jobs("test", SynthConfig(), 11, 70, chunks=4)
    assert sum(job[3] for job in jobs) == 70
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as one, context.Pool(2) as two:
        images_1, labels_1 = glyph_ceiling.make_glyphs(one, jobs)
        images_2, labels_2 = glyph_ceiling.make_glyphs(two, jobs)
        _, undistorted_labels = glyph_ceiling.make_glyphs(one, glyph_ceiling.glyph_jobs("test", None, 14, 30))
    assert images_1.shape == (70, 32, 48) and set(labels_1) <= set(range(10))
    np.testing.assert_array_equal(images_1, images_2)
    np.testing.assert_array_equal(labels_1, labels_2)
    np.testing.assert_array_equal(undistorted_labels, tiny_split.labels[:30])  # the test images as they are


def _reads_three_where_ink_is() -> keras.Model:
    """A CTC model whose every column of 4 holding ink is a "3" and every other column a blank."""
    inputs = keras.Input((32, None, 1))
    ink = layers.Reshape((-1, 1))(layers.AveragePooling2D((32, 4))(inputs))
    logits = layers.Dense(11)(ink)
    model = keras.Model(inputs, logits)
    kernel, bias = np.zeros((1, 11), np.float32), np.zeros(11, np.float32)
    kernel[0, 3], bias[BLANK] = 1000.0, 1.0
    model.layers[-1].set_weights([kernel, bias])
    return model


def test_string_models_are_scored_on_reading_exactly_the_one_digit(tiny_split):
    images = np.stack([glyph_ceiling.glyph_input(g) for g in tiny_split.images[::7]])
    labels = tiny_split.labels[::7].astype(np.int64)
    accuracy = glyph_ceiling.string_model_accuracy(_reads_three_where_ink_is(), images, labels)
    assert 0 < accuracy < 1
    assert accuracy == np.mean(labels == 3)


def test_classifier_loss_falls(tiny_split):
    images = np.stack([glyph_ceiling.glyph_input(g) for g in tiny_split.images[::3]])[..., None] / 255.0
    labels = tiny_split.labels[::3]
    model = glyph_ceiling.build_classifier(4)
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    first = float(model.train_on_batch(images, labels))
    for _ in range(30):
        last = float(model.train_on_batch(images, labels))
    assert last < 0.5 * first


def test_main_writes_the_report(tiny_split, tmp_path):
    repeats = VALIDATION_SIZE // len(tiny_split.labels) + 2  # enough for the held-out validation digits
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.tile(tiny_split.images, (repeats, 1, 1)), y_train=np.tile(tiny_split.labels, repeats),
             x_test=tiny_split.images, y_test=tiny_split.labels)
    string_model = tmp_path / "three.keras"
    _reads_three_where_ink_is().save(string_model)
    glyph_ceiling.main(["--mnist", str(path), "--epochs", "2", "--width", "4", "--glyphs-per-epoch", "256",
                        "--batch-size", "64", "--test-glyphs", "100", "--val-glyphs", "100", "--workers", "2",
                        "--compare", str(string_model), "--out", str(tmp_path / "out")])
    report = json.loads((tmp_path / "out" / "glyph-ceiling.json").read_text())
    assert report["test_glyphs"] == {"augmented": 100, "no-wide-rotation": 100, "no-elastic-no-wide": 100,
                                     "undistorted": 200}
    assert report[str(string_model)]["undistorted"] == np.mean(tiny_split.labels == 3)
    classifier = report["classifier"]
    assert len(classifier["val_accuracy"]) == 2 and classifier["parameters"] > 0
    assert set(classifier["test"]) == set(glyph_ceiling.TEST_SETS)
    assert all(0.0 <= accuracy <= 1.0 for accuracy in classifier["test"].values())
