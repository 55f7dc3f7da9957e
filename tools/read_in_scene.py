"""How well a number is read when its sheet fills only part of the picture: a sheet held up to a webcam in a room,
a note photographed on a busy desk.

Paper photos and webcam frames of validation digits (the synthesis' own renderings, which are cut to the sheet)
are each read alone, then pasted, turned up to 8 degrees, at 30-70 % of the width of a 640x480 picture of
something else (the photos that ship with Gradio and Matplotlib: animals, a tower, a portrait), and read again one
by one, timed: as the recognizer reads (looking for the sheet where the whole picture reads as no digits), and whole.

    python tools/read_in_scene.py --mnist ../shared/datasets/mnist.npz --count 200
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import cv2
import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from recognizer.decoding import Prediction
from recognizer.inference import Recognizer
from training.mnist import load_mnist
from training.synth import StringSynth, first_config


def backgrounds() -> list[np.ndarray]:
    """The RGB photos bundled with Gradio and Matplotlib."""
    import gradio
    import matplotlib

    paths = [*pathlib.Path(gradio.__file__).parent.glob("media_assets/images/*.jp*g"),
             pathlib.Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"]
    return [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in sorted(paths) if path.is_file()]


def held_up(scene: np.ndarray, sheet: np.ndarray, corner: tuple[float, float], degrees: float) -> np.ndarray:
    """`sheet` turned by `degrees` about its middle and pasted onto `scene` (both gray, or both RGB), its top left
    moved to `corner`."""
    h, w = sheet.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turn[:, 2] += corner
    size = scene.shape[1::-1]
    cover = cv2.warpAffine(np.ones((h, w), np.float32), turn, size)
    cover = cover[..., None] if scene.ndim == 3 else cover
    pasted = cv2.warpAffine(sheet, turn, size).astype(np.float32)
    return (scene * (1 - cover) + pasted * cover).astype(np.uint8)


def in_scene(rng: np.random.Generator, sheet: np.ndarray, background: np.ndarray) -> np.ndarray:
    """`sheet` (RGB) turned and pasted onto `background` cut or squeezed to 640x480."""
    if rng.random() < 0.5:
        scene = cv2.resize(background, (640, 480), interpolation=cv2.INTER_AREA)
    else:
        zoom = 1.2 * max(640 / background.shape[1], 480 / background.shape[0])
        scene = np.ascontiguousarray(cv2.resize(background, None, fx=zoom, fy=zoom)[:480, :640])
    scale = min(rng.uniform(0.3, 0.7) * 640 / sheet.shape[1], 400 / sheet.shape[0])
    sheet = cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = sheet.shape[:2]
    degrees = rng.uniform(-8, 8)
    return held_up(scene, sheet, (rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)), degrees)


def read_timed(recognizer: Recognizer, pictures: list[np.ndarray]) -> tuple[list[Prediction], float]:
    """The pictures read one by one, and the seconds a picture took."""
    start = time.perf_counter()
    readings = [recognizer.predict(picture) for picture in pictures]
    return readings, (time.perf_counter() - start) / len(pictures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", help="local mnist.npz (default: MNIST_NPZ or Keras' download)")
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--count", type=int, default=200, help="images of each style")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    synth = StringSynth(load_mnist(args.mnist)["val"], first_config(negative_rate=0.0, printed_rate=0.0))
    photos = backgrounds()
    sets = {}
    for style in ("paper", "webcam"):
        items = []
        for _ in tqdm(range(args.count), desc=f"{style} photos"):
            ink, label = synth.ink_string(rng)
            sheet = synth.render(rng, ink, style)
            items.append((sheet, in_scene(rng, sheet, photos[rng.integers(len(photos))]), label))
        sets[style] = items
    for name in args.model:
        recognizer = Recognizer.load(name)
        for style, items in sets.items():
            alone = recognizer.predict_batch([sheet for sheet, _, _ in items])
            scene, searched = read_timed(recognizer, [picture for _, picture, _ in items])
            recognizer.read_sheets = False
            whole, unsearched = read_timed(recognizer, [picture for _, picture, _ in items])
            recognizer.read_sheets = True
            right = [100 * sum(p.digits == label for p, (_, _, label) in zip(reads, items)) / len(items)
                     for reads in (alone, scene, whole)]
            print(f"{name} {style}: read right alone {right[0]:.1f} %, in a scene {right[1]:.1f} % "
                  f"({1000 * searched:.0f} ms a picture; read whole, no sheet looked for: {right[2]:.1f} %, "
                  f"{1000 * unsearched:.0f} ms; {len(items)} images)")


if __name__ == "__main__":
    main()
