import json
import subprocess
import sys

import cv2

from tests.conftest import ROOT, draw_number


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recognizer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_json_lines_and_a_file_that_is_not_an_image(tmp_path):
    number, blank, text = tmp_path / "number.png", tmp_path / "blank.png", tmp_path / "notes.png"
    cv2.imwrite(str(number), draw_number("305"))
    cv2.imwrite(str(blank), draw_number(" ", height=60))
    text.write_text("this is not an image")
    result = run_cli("predict", str(number), str(text), str(blank), "--model", "gru", "--json")
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(number), str(blank)]
    for line in lines:
        assert set(line) == {"path", "digits", "confidence", "probabilities"}
        assert len(line["probabilities"]) == len(line["digits"])
        assert all(len(row) == 10 for row in line["probabilities"])
    assert lines[1]["digits"] == ""
    assert str(text) in result.stderr and "not a readable image" in result.stderr
    assert "Traceback" not in result.stderr


def test_plain_output_and_success_exit(tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), draw_number(" ", height=60))
    result = run_cli("predict", str(blank))
    assert result.returncode == 0
    assert result.stdout.strip().split("\t")[:2] == [str(blank), "no digits"]


def test_a_folder_is_read_image_by_image(tmp_path):
    for name, text in (("b.png", "42"), ("a.jpg", "7")):
        cv2.imwrite(str(tmp_path / name), draw_number(text))
    (tmp_path / "notes.txt").write_text("not an image, and not named like one: left alone")
    (tmp_path / "inner").mkdir()
    cv2.imwrite(str(tmp_path / "inner" / "c.png"), draw_number("9"))  # subfolders are not searched
    result = run_cli("predict", str(tmp_path), "--model", "gru")
    assert result.returncode == 0, result.stderr
    readings = [line.split("\t")[:2] for line in result.stdout.splitlines()]
    assert readings == [[str(tmp_path / "a.jpg"), "7"], [str(tmp_path / "b.png"), "42"]]
