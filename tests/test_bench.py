"""`python -m bench --quick` on tiny sets: the report has its shape and a row for every reader (not the numbers)."""

import json
import shutil

import pytest

from recognizer.architectures import ARCHITECTURES


def test_quick_benchmark_report(tmp_path, mnist_path):
    from bench.run import main

    seed_folder = tmp_path / "seed"
    seed_folder.mkdir()
    for name in ("seed-cnn", "seed-gru"):  # untrained: the test checks the report, not the numbers
        ARCHITECTURES[name].build().save(seed_folder / f"{name}.keras")
    tesseract = shutil.which("tesseract") is not None
    if not tesseract and __import__("os").environ.get("CI"):
        pytest.fail("CI must have tesseract-ocr")
    main(["--quick", "--mnist", mnist_path, "--seed-weights", str(seed_folder), "--out", str(tmp_path)]
         + ([] if tesseract else ["--no-tesseract"]))
    report = json.loads((tmp_path / "results.json").read_text())
    readers = ["cnn", "gru", "seed-cnn", "seed-gru"] + (["tesseract"] if tesseract else [])
    assert list(report["readers"]) == readers
    for row in report["readers"].values():
        assert set(row["sets"]) == set(report["set_sizes"])
        assert 0 <= row["sets"]["mnist-strings"]["accuracy"] <= 1 and row["sets"]["mnist-strings"]["cer"] >= 0
        assert 0 <= row["sets"]["no-digits"]["false_digits"] <= 1
        assert row["photo_ms_p50"] > 0 and row["images_per_s"] > 0 and row["peak_memory_mb"] > 0
    for model in ("cnn", "gru"):
        options = {r["option"]: r for r in report["backends"][model]}
        assert "model.predict per image" in options and all("median_ms" in r or "error" in r for r in options.values())
    markdown = (tmp_path / "RESULTS.md").read_text()
    assert all(f"| {name} |" in markdown for name in readers)
    assert (tmp_path / "chart.png").stat().st_size > 10_000
