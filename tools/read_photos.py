"""How often photos without digits are read as digits: the sample photos that ship with scikit-image (a dev
requirement), Gradio and Matplotlib (a cat, coins, a rocket, a retina, a lion, a portrait, logos), each read whole
and in random crops of 20-70 % of its height, as a webcam or a phone aimed at something else would see it.

    python tools/read_photos.py --crops 8
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import sys

import numpy as np
from PIL import Image
from tqdm import tqdm

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from recognizer.inference import UNSURE_BELOW, Recognizer

#: scikit-image's sample images that hold handwriting (`text.png`: formulas with digits), or are too small to crop.
NOT_PHOTOS = {"text.png"}
MIN_SIDE = 64


def sample_photos() -> list[tuple[str, np.ndarray]]:
    """(file name, RGB uint8 array) of every PNG and JPEG sample photo of scikit-image (where it is installed),
    Gradio and Matplotlib, in a fixed order."""
    import gradio
    import matplotlib

    folders = [pathlib.Path(gradio.__file__).parent / "media_assets" / "images",
               pathlib.Path(matplotlib.get_data_path()) / "sample_data"]
    try:
        import skimage

        folders.insert(0, pathlib.Path(skimage.__file__).parent / "data")
    except ImportError:
        logging.warning("scikit-image is not installed (pip install -r requirements-dev.txt): its photos are left out")
    photos = []
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.suffix.lower() not in {".png", ".jpg", ".jpeg"} or path.name in NOT_PHOTOS:
                continue
            with Image.open(path) as image:
                photo = np.asarray(image.convert("RGB"))
            if min(photo.shape[:2]) >= MIN_SIDE:
                photos.append((path.name, photo))
    return photos


def crops(rng: np.random.Generator, photo: np.ndarray, count: int) -> list[np.ndarray]:
    """`count` random crops of `photo`, each 20-70 % of its height and 0.7-1.4 times that share of its width."""
    h, w = photo.shape[:2]
    out = []
    for _ in range(count):
        share = rng.uniform(0.2, 0.7)
        ch, cw = int(h * share), min(w, int(w * share * rng.uniform(0.7, 1.4)))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        out.append(photo[y : y + ch, x : x + cw])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=["cnn", "gru"])
    parser.add_argument("--crops", type=int, default=8, help="random crops of each photo, besides the whole photo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--list", action="store_true", help="print every reading that is not 'no digits'")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    images = []
    for name, photo in sample_photos():
        images += [(name, photo)] + [(f"{name} crop {k}", crop) for k, crop in enumerate(crops(rng, photo, args.crops))]
    whole = sum("crop" not in name for name, _ in images)
    for model in args.model:
        recognizer = Recognizer.load(model)
        read = [(name, p) for name, image in tqdm(images, desc=model) if (p := recognizer.predict(image)).digits]
        sure = sum(p.confidence >= UNSURE_BELOW for _, p in read)
        read_whole = sum("crop" not in name for name, _ in read)
        print(f"{model}: {len(images) - len(read)} of {len(images)} answered 'no digits' "
              f"({100 * (1 - len(read) / len(images)):.1f} %; whole photos {whole - read_whole} of {whole}); "
              f"of the {len(read)} read, {sure} at {UNSURE_BELOW:.0%} or more")
        if args.list:
            for name, p in read:
                print(f"  {name}: {p.digits} ({p.confidence:.2f})")


if __name__ == "__main__":
    main()
