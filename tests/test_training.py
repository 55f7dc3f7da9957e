import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from recognizer.architectures import ARCHITECTURES
from recognizer.inference import Recognizer
from tests.conftest import ROOT, draw_number
from training.dataset import SyntheticStrings
from training.synth import StringSynth
from training.train import compile_model, ctc_loss, early_stopping, main, rendering_version, synth_config


def test_ctc_loss_counts_the_alignments_of_padded_labels():
    # Uniform logits over 11 classes and 2 frames: each path has probability 1/121. "3" has three alignments
    # (33, 3-, -3), "" one (--), "37" one (37); the -1 padding must not count as a label.
    logits = np.zeros((3, 2, 11), np.float32)
    labels = np.array([[3, -1, -1], [-1, -1, -1], [3, 7, -1]])
    expected = [np.log(121 / 3), np.log(121), np.log(121)]
    np.testing.assert_allclose(np.asarray(ctc_loss(labels, logits)), expected, rtol=1e-4)


def test_ctc_loss_ignores_labels_that_cannot_be_aligned():
    # Three frames hold "12" or "121" but not "111" (its repeats need blanks between them: five frames), which
    # must add no loss (nor, through it, any gradient) instead of an infinite or huge one.
    logits = np.random.default_rng(0).normal(size=(3, 3, 11)).astype(np.float32)
    labels = np.array([[1, 2, -1], [1, 2, 1], [1, 1, 1]])
    losses = np.asarray(ctc_loss(labels, logits))
    assert np.all(losses[:2] > 0) and np.all(np.isfinite(losses[:2]))
    assert losses[2] == 0.0


def test_early_stopping_waits_for_the_second_half_of_the_schedule():
    model = ARCHITECTURES["seed-gru"].build()
    model.stop_training = False
    accuracies = [0.5, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.75, 0.74, 0.73, 0.72]  # a swing, then a stall
    stops = []
    for epochs in (20, 10):
        callback = early_stopping(epochs, patience=3)
        callback.set_model(model)
        callback.on_train_begin()
        for epoch, accuracy in enumerate(accuracies):
            callback.on_epoch_end(epoch, {"val_string_acc": accuracy})
            if model.stop_training:
                stops.append(epoch)
                model.stop_training = False
                break
        else:
            stops.append(None)
    # Judged from epoch 0, the stall after 0.8 would stop at epoch 4. 20 epochs: epochs 0-9 are never judged;
    # 10 epochs: judged from epoch 5, best 0.75 at epoch 7, three epochs without a gain: stopped at epoch 10.
    assert stops == [None, 10]


def test_cnn_loss_falls_on_a_fixed_batch(tiny_split):
    arch = ARCHITECTURES["cnn"]
    x, y = SyntheticStrings(StringSynth(tiny_split), arch.spec, 8, batch_size=16, batches=1, seed=0)[0]
    model = compile_model(arch, 3e-3)
    first = float(model.train_on_batch(x, y))
    for _ in range(25):
        last = float(model.train_on_batch(x, y))
    assert np.isfinite(first) and last < 0.6 * first


def test_seed_gru_matches_the_published_size_and_trains(tiny_split):
    arch = ARCHITECTURES["seed-gru"]
    config = synth_config("seed-gru", 15.0)
    assert config.fixed_len == 4
    x, y = SyntheticStrings(StringSynth(tiny_split, config), arch.spec, 4, batch_size=8, batches=1, seed=0)[0]
    model = compile_model(arch, 1e-2)
    assert model.count_params() == 29_990
    assert x.shape == (8, 64, 208, 1) and y.shape == (8, 4)
    first = float(model.train_on_batch(x, y))
    for _ in range(15):
        last = float(model.train_on_batch(x, y))
    assert last < first


def test_seed_cnn_layout():
    model = ARCHITECTURES["seed-cnn"].build()
    assert model.output_shape == (None, 4, 10)
    assert 3_300_000 < model.count_params() < 3_500_000


def test_train_command_writes_weights_report_and_curves(tmp_path, mnist_path):
    out = tmp_path / "out"
    main(["--model", "gru", "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "8", "--val-samples", "16",
          "--mnist", mnist_path, "--out", str(out), "--cache", str(tmp_path / "cache"), "--cache-samples", "32",
          "--workers", "1", "--no-progress"])
    report = json.loads((out / "gru.json").read_text())
    assert report["epochs_run"] == 2 and len(report["history"]["val_string_acc"]) == 2
    assert report["val_string_acc"] == max(report["history"]["val_string_acc"])  # the epoch kept
    assert report["data"]["max_len"] == 8 and report["data"]["seed"] == 1
    assert (out / "gru.keras").stat().st_size > 10_000
    assert (out / "gru-curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "cache" / f"ctc-32x256-rot15-n32-b8-seed1-{rendering_version()}-train" / "images.npy").exists()

    # Fine-tuning starts from those weights: its first epoch's loss is already far below a fresh start's.
    tuned = tmp_path / "tuned"
    main(["--model", "gru", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8", "--val-samples", "16",
          "--mnist", mnist_path, "--out", str(tuned), "--cache", str(tmp_path / "cache"), "--cache-samples", "32",
          "--workers", "1", "--no-progress", "--init", str(out / "gru.keras"), "--learning-rate", "1e-4"])
    again = json.loads((tuned / "gru.json").read_text())
    assert again["initialised_from"] == str(out / "gru.keras")
    assert again["history"]["val_loss"][0] < report["history"]["val_loss"][0]


@pytest.mark.parametrize("name, shipped, doubled", [("cnn", 169_467, 665_579), ("gru", 224_411, 882_987)])
def test_widen_multiplies_channels_and_units(name, shipped, doubled):
    assert ARCHITECTURES[name].build().count_params() == shipped  # recognizer/weights' models (README, Models)
    wide = ARCHITECTURES[name].build(widen=2)
    assert wide.count_params() == doubled  # about four times: most weights join two widened layers
    assert wide(np.zeros((1, 32, 64, 1), np.float32)).shape == (1, 16, 11)  # one step per 4 columns, as before
    with pytest.raises(ValueError, match="as the seed article publishes"):
        ARCHITECTURES["seed-cnn"].build(widen=2)


def test_train_command_trains_a_widened_model_that_is_read(tmp_path, mnist_path):
    main(["--model", "cnn", "--widen", "0.5", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8",
          "--val-samples", "8", "--mnist", mnist_path, "--out", str(tmp_path), "--workers", "1", "--no-progress"])
    report = json.loads((tmp_path / "cnn.json").read_text())
    assert report["widen"] == 0.5 and report["parameters"] < 169_467 / 3
    recognizer = Recognizer.load("cnn", tmp_path / "cnn.keras")
    assert recognizer.model.count_params() == report["parameters"]
    assert recognizer.predict(draw_number("42")).probabilities.shape[1] == 10
    with pytest.raises(SystemExit):  # the seed models are built only as published
        main(["--model", "seed-cnn", "--widen", "2", "--mnist", mnist_path, "--out", str(tmp_path)])
    # Fine-tuning from them needs the same --widen, and says so before rendering any data.
    with pytest.raises(SystemExit, match="are not laid out as cnn's at --widen 1"):
        main(["--model", "cnn", "--init", str(tmp_path / "cnn.keras"), "--mnist", mnist_path, "--out",
              str(tmp_path / "tuned"), "--cache", str(tmp_path / "cache")])
    (tmp_path / "notes.keras").write_text("not a model")
    with pytest.raises(SystemExit, match="notes.keras could not be loaded"):
        main(["--model", "cnn", "--init", str(tmp_path / "notes.keras"), "--mnist", mnist_path, "--out",
              str(tmp_path / "tuned"), "--cache", str(tmp_path / "cache")])
    assert not (tmp_path / "cache").exists()


def test_train_command_streams_without_a_cache(tmp_path, mnist_path):
    main(["--model", "seed-gru", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8", "--val-samples", "8",
          "--mnist", mnist_path, "--out", str(tmp_path), "--workers", "1", "--no-progress"])
    report = json.loads((tmp_path / "seed-gru.json").read_text())
    assert report["epochs_run"] == 1 and report["data"]["cache_samples"] is None
    assert report["data"]["fixed_len"] == 4


@pytest.mark.parametrize("setting, onednn", [(None, "on"), ("0", "off")])
def test_training_steps_run_with_onednn_kernels_unless_the_user_says_not(setting, onednn):
    """TensorFlow leaves its oneDNN kernels off on AMD CPUs, where they halve a training step; `recognizer` turns
    them on before TensorFlow loads, unless TF_ENABLE_ONEDNN_OPTS is set. The step timer says which it ran with."""
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    command = [sys.executable, "tools/time_training_step.py", "--model", "seed-gru", "--batch-size", "4",
               "--steps", "2"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.fullmatch(r"seed-gru \(widen 1, 29,990 parameters\): [0-9.]+ s per training step of 4 "
                        rf"\(median of 2; oneDNN {onednn}\)", run.stdout.strip().splitlines()[-1])
