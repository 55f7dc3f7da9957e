"""Image files a user may send: awkward but readable ones, and ones that cannot be read at all."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from pillow_heif import register_heif_opener

from tests.conftest import draw_number

register_heif_opener()  # to write HEIC files, whether or not `recognizer` (which registers it too) is imported


def canvas_png(path: Path, text: str) -> None:
    """A browser canvas: black RGB everywhere, the strokes only in alpha."""
    gray = draw_number(text, height=100, thickness=10)
    rgba = np.zeros(gray.shape + (4,), np.uint8)
    rgba[..., 3] = 255 - gray
    Image.fromarray(rgba).save(path)


def photo_jpg(path: Path, text: str) -> None:
    """A 640x480 photo of `text` on ruled paper, light falling off, JPEG."""
    number = draw_number(text, height=90, thickness=7).astype(np.float32)
    page = np.full((480, 640), 225.0, np.float32)
    page[::36] = 175  # ruled paper
    h, w = number.shape
    page[180 : 180 + h, 100 : 100 + w] = np.minimum(page[180 : 180 + h, 100 : 100 + w], number * 0.85)
    page *= np.linspace(1.0, 0.7, 640)[None, :]  # light falling off
    cv2.imwrite(str(path), page.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])


def webcam_png(path: Path, text: str) -> None:
    """A 640x480 low-contrast, noisy webcam frame of `text`."""
    number = draw_number(text, height=70, thickness=6).astype(np.float32)
    frame = np.full((480, 640), 150.0, np.float32)
    h, w = number.shape
    frame[200 : 200 + h, 200 : 200 + w] = 150 - (255 - number) * 0.35  # low contrast
    frame += np.random.default_rng(0).normal(0, 4, frame.shape)
    cv2.imwrite(str(path), np.clip(frame, 0, 255).astype(np.uint8))


def awkward_files(folder: Path, text: str) -> dict[str, Path]:
    """Readable files holding `text` in formats that trip naive readers, by name."""
    gray = draw_number(text, height=80, thickness=8)
    ink = 255 - gray
    files = {}

    def save(name: str, image: Image.Image, **options) -> None:
        files[name] = folder / name
        image.save(files[name], **options)

    save("16-bit.png", Image.fromarray(gray.astype(np.uint16) * 257))
    save("gray-alpha.png", Image.fromarray(np.stack([np.zeros_like(gray), ink], -1), "LA"))
    palette = Image.fromarray(np.where(ink > 127, 1, 0).astype(np.uint8), "P")
    palette.putpalette([0, 0, 0, 20, 20, 20] + [0] * 762)
    save("palette-transparent.png", palette, transparency=0)  # index 0 (black) is see-through
    save("cmyk.jpg", Image.fromarray(gray).convert("CMYK"), quality=95)
    frames = [Image.fromarray(gray)] + [Image.fromarray(np.full_like(gray, 255))] * 2
    save("animated.gif", frames[0], save_all=True, append_images=frames[1:], duration=100, loop=0)
    sideways = Image.fromarray(np.rot90(gray).copy())  # stored turned left; the tag says "turn right"
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif-rotated.jpg", sideways, exif=exif, quality=95)
    save("webp.webp", Image.fromarray(gray), quality=90)
    save("heic.heic", Image.fromarray(gray).convert("RGB"), quality=90)  # iPhone photos (pillow-heif)
    save("exif-rotated.avif", sideways, exif=exif, quality=90)
    save("bitmap.bmp", Image.fromarray(gray).convert("RGB"))
    return files


def unreadable_files(folder: Path) -> dict[str, Path]:
    """Files that are not usable images, by name."""
    number = draw_number("42")
    png, jpeg = io.BytesIO(), io.BytesIO()
    Image.fromarray(number).save(png, "PNG")
    Image.fromarray(number).save(jpeg, "JPEG")
    bomb = io.BytesIO()  # 20000 x 20000 pixels in a few kilobytes
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")
    contents = {
        "truncated.png": png.getvalue()[: len(png.getvalue()) // 2],
        "truncated.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "text.png": b"this is a shopping list, not a picture\n",
        "empty.png": b"",
        "bomb.png": bomb.getvalue(),
    }
    files = {}
    for name, data in contents.items():
        files[name] = folder / name
        files[name].write_bytes(data)
    return files


#: Arrays the Python API and the app's handlers may be given that hold no usable image.
BAD_ARRAYS = {
    "nan": np.full((40, 80), np.nan, np.float32),
    "inf": np.full((40, 80, 3), np.inf),
    "1-D": np.zeros(100, np.uint8),
    "4-D": np.zeros((2, 40, 80, 3), np.uint8),
    "5 channels": np.zeros((40, 80, 5), np.uint8),
    "strings": np.array([["a", "b"], ["c", "d"]]),
    "objects": np.array([[None, 1]], dtype=object),
    "complex": np.zeros((40, 80), np.complex64),
    "empty": np.zeros((0, 80), np.uint8),
}
