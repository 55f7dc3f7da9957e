"""Command line: python -m recognizer predict IMAGE... --model cnn|gru [--json]"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow (on import) and TensorFlow Lite (on loading) write notices straight to file descriptor 2:
    keep them off the CLI's stderr, which is for the user's error messages."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _native_stderr_silenced():
    from recognizer.architectures import ARCHITECTURES
    from recognizer.inference import SHIPPED, Recognizer


#: What a folder given on the command line is searched for (its other files are left alone).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}


def _image_paths(paths: list[str]) -> list[str]:
    """The paths given, each folder replaced by the image files in it (by name, not its subfolders)."""
    expanded = []
    for path in paths:
        folder = Path(path)
        if folder.is_dir():
            expanded += sorted(str(p) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            expanded.append(path)
    return expanded


def _predict(args: argparse.Namespace) -> int:
    try:
        with _native_stderr_silenced():
            recognizer = Recognizer.load(args.model, args.weights)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in _image_paths(args.images):
        try:
            prediction = recognizer.predict(path)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            print(json.dumps({"path": path, **prediction.to_dict()}), flush=True)
        else:
            reading = prediction.digits or "no digits"
            print(f"{path}\t{reading}\t{prediction.confidence:.3f}", flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer", description="Read handwritten numbers in images.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="read the number in each image (one line per image)")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files, or folders of them")
    predict.add_argument("--model", choices=sorted(ARCHITECTURES), default=SHIPPED[0])
    predict.add_argument("--weights", help="a .keras file (default: the shipped weights of --model)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line: path, digits, "
                         "confidence, probabilities")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return _predict(args)
