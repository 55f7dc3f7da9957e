"""Turn any supported image source into a float gray array (1.0 = white paper)."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from recognizer.limits import MAX_FILE_BYTES, MAX_PIXELS

ImageSource = Union[str, Path, bytes, Image.Image, np.ndarray]

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
register_heif_opener()  # HEIC, the format iPhones save photos in (upright: libheif applies their rotation)


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ValueError(f"image of {width}x{height} pixels is larger than the limit of {MAX_PIXELS:,} pixels")


def _pil_to_array(img: Image.Image) -> np.ndarray:
    """Decode a PIL image (first frame, upright per EXIF) into an array."""
    _check_pixels(img.width, img.height)
    img.seek(0)
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(img.convert("I"), dtype=np.int64).astype(np.float64) / 65535.0
    if img.mode == "F":
        return np.asarray(img, dtype=np.float64)
    has_alpha = "A" in img.getbands() or "transparency" in img.info
    if img.mode == "L" and not has_alpha:
        return np.asarray(img)
    return np.asarray(img.convert("RGBA" if has_alpha else "RGB"))


def _decode_smaller(img: Image.Image, max_side: int) -> None:
    """Have a JPEG decoded in gray at a half, a quarter or an eighth of its size where it stays at least
    `max_side` on its longer side: a phone's photo decodes several times faster, and is shrunk to `max_side`
    anyway. Other formats decode as they are."""
    scale = max_side / max(img.size)
    if scale <= 0.5:
        img.draft("L", (math.ceil(img.width * scale), math.ceil(img.height * scale)))


def _reduced(img: Image.Image, max_side: int) -> Image.Image:
    """A decoded image at least twice `max_side` on its longer side, of 8-bit samples without alpha (a HEIC, PNG or
    WebP photo or screenshot), in gray and shrunk by that whole factor (a box average): it stays at least `max_side`,
    and the float copies and the shrink that follow cost a fraction of what they would at full size."""
    factor = max(img.size) // max_side
    if factor < 2 or img.mode not in ("RGB", "L", "CMYK") or "transparency" in img.info:
        return img
    return img.convert("L").reduce(factor)


def read_image(source: ImageSource, max_side: int | None = None) -> np.ndarray:
    """Read a path, encoded bytes, PIL image or array into an array; ValueError if it is not an image. A file
    that will be shrunk to `max_side` may come back smaller and gray (`_decode_smaller`, `_reduced`)."""
    if isinstance(source, np.ndarray):
        return source
    if isinstance(source, Image.Image):
        return _pil_to_array(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"{path}: {'a folder, not an image' if path.is_dir() else 'no such file'}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{path}: file larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
        name = str(path)
    elif isinstance(source, (bytes, bytearray)):
        if len(source) > MAX_FILE_BYTES:
            raise ValueError(f"image data larger than {MAX_FILE_BYTES // 2**20} MB")
        data, name = bytes(source), "image bytes"
    else:
        raise ValueError(f"unsupported image source of type {type(source).__name__}")
    if not data:
        raise ValueError(f"{name}: empty file")
    try:
        with Image.open(io.BytesIO(data)) as img:
            _check_pixels(img.width, img.height)  # before decoding anything
            if max_side:
                _decode_smaller(img, max_side)
            img.load()
            return _pil_to_array(_reduced(img, max_side) if max_side else img)
    except Image.DecompressionBombError:
        raise ValueError(f"{name}: image larger than the limit of {MAX_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        formats = "PNG, JPEG, HEIC, WebP, AVIF, BMP, GIF, TIFF or the like"
        raise ValueError(f"{name}: not a readable image (not {formats})") from None
    except ValueError:
        raise
    except Exception as exc:  # whatever a broken or hostile file makes the decoder raise
        raise ValueError(f"{name}: not a readable image ({exc})") from None


def _to_unit_range(arr: np.ndarray) -> np.ndarray:
    """Scale any numeric dtype to float32 in [0, 1]."""
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        eight_bit = arr.dtype.itemsize == 1 or (arr.dtype != np.uint16 and arr.max(initial=0) <= 255)
        top = 255.0 if eight_bit else 65535.0
        return np.clip(arr.astype(np.float32) / top, 0.0, 1.0)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("image contains NaN or infinite values")
        top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        return np.clip(arr.astype(np.float32) / top, 0.0, 1.0)
    raise ValueError(f"unsupported pixel type {arr.dtype}")


def to_gray(source: ImageSource, max_side: int | None = None) -> np.ndarray:
    """Any image → float32 (H, W) gray in [0, 1], alpha composited on white (`max_side`: as `read_image`)."""
    arr = read_image(source, max_side)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)):
        raise ValueError(f"unsupported image shape {arr.shape}: expected (H, W) or (H, W, 1|2|3|4)")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"empty image of shape {arr.shape}")
    _check_pixels(arr.shape[1], arr.shape[0])
    if arr.ndim == 2:
        return np.ascontiguousarray(_to_unit_range(arr))
    channels = arr.shape[2]
    if arr.dtype == np.uint8 and channels in (3, 4):  # the common case, done by OpenCV
        color = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    else:
        arr = _to_unit_range(arr)
        color = arr[:, :, 0] if channels == 2 else arr[:, :, :3] @ np.float32([0.299, 0.587, 0.114])
    if channels in (2, 4):
        alpha = _to_unit_range(arr[:, :, -1])
        color = color * alpha + (1.0 - alpha)
    return np.ascontiguousarray(color, dtype=np.float32)
