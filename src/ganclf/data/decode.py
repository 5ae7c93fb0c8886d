"""Image files -> fixed-size uint8 arrays: centre crop to a square, Lanczos resize, grey or colour.

Centre crop then resize keeps the aspect ratio (nothing is stretched) and fills the whole frame (nothing is
padded); Lanczos is the sharpest of Pillow's filters without visible ringing, and for downscaling it averages
over the whole footprint (antialiasing).
"""
import hashlib
import io
import math
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .idx import DataError

MAX_PIXELS = 40_000_000  # a larger image is refused before it is decoded (a decompression bomb)
# Pillow's own cap, set explicitly (its default opens up to 179 Mpx): beyond 80 Mpx it warns (an error where ganclf
# reads images) and beyond 160 Mpx it refuses to open the file; below that our check refuses with the image's size.
Image.MAX_IMAGE_PIXELS = 2 * MAX_PIXELS
Image.init()
# Every format Pillow opens itself, the common ones first (Image.open tries them in order); EPS is left out
# because Pillow hands it to Ghostscript, an external program.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP",
           *sorted(set(Image.OPEN) - {"PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "EPS"}))
SERIAL_BELOW = 1000  # fewer images are decoded in this process: starting workers would cost more than it saves
# Pillow's plugins report malformed files through many exception types.
_PIL_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError,
               MemoryError)


@dataclass(frozen=True)
class Decoded:
    sha256: str  # of the file's bytes
    width: int
    height: int
    grey: bool
    pixels: dict  # size -> uint8 (size, size) if grey else (size, size, 3)


def decode_file(path, sizes: tuple[int, ...]) -> Decoded | str:
    """The image fitted to each of sizes, or a one-line reason why it cannot be used."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        return f"cannot read ({err.strerror})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=FORMATS) as img:
                return _decode(img, sizes, hashlib.sha256(raw).hexdigest())
    except DataError as err:
        return str(err)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"over {MAX_PIXELS} pixels: refused as a possible decompression bomb"
    except UnidentifiedImageError:
        return "not an image format Pillow can read"
    except _PIL_ERRORS as err:
        reason = " ".join(str(err).split())
        return f"not a readable image ({err.__class__.__name__}{': ' + reason if reason else ''})"


def _decode(img: Image.Image, sizes: tuple[int, ...], sha256: str) -> Decoded:
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise DataError(f"{width}x{height} is over {MAX_PIXELS} pixels: refused as a possible decompression bomb")
    side = min(width, height)
    # JPEG only: decode at 1/2, 1/4 or 1/8 scale (in the DCT, several times faster) while that still covers
    # the largest size asked for.
    img.draft(None, (math.ceil(max(sizes) * width / side), math.ceil(max(sizes) * height / side)))
    img = to_8bit(img)
    return Decoded(sha256, width, height, img.mode == "L", {s: fit(img, s) for s in sizes})


def to_8bit(img: Image.Image) -> Image.Image:
    """Mode L if every pixel is grey (a grey mode, or RGB with R == G == B), else RGB; alpha is dropped.
    16- and 32-bit integer images are read as 16-bit (PNG and TIFF store 16-bit grey so); float images as
    0-255 values, clipped, and refused when a value is NaN or infinite."""
    if img.mode == "F":
        values = np.asarray(img)
        if not np.isfinite(values).all():
            raise DataError("NaN or infinite pixel values")
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
    if img.mode.startswith("I"):
        values = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
        return Image.fromarray(((values * 255 + 32767) // 65535).astype(np.uint8))
    if img.mode in ("1", "L", "LA", "La"):
        return img.convert("L")
    rgb = np.asarray(img.convert("RGB"))
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        return Image.fromarray(np.ascontiguousarray(rgb[..., 0]))
    return Image.fromarray(rgb)


def fit(img: Image.Image, size: int) -> np.ndarray:
    """The centred square of img, resized to size x size with Lanczos (only cropped when it is that size)."""
    width, height = img.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    box = (left, top, left + side, top + side)
    square = img.crop(box) if side == size else img.resize((size, size), Image.LANCZOS, box=box)
    return np.asarray(square, dtype=np.uint8)


def decode_all(paths: list[Path], sizes: tuple[int, ...], workers: int | None = None) -> list:
    """decode_file over every path, in order, in worker processes (one per core).

    Processes, not threads: for small images most of the time is Pillow's Python code, which holds the GIL
    (threads decoded 28x28 PNGs slower than one process in benchmarks/folder_load.py)."""
    workers = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    if workers == 1 or len(paths) < SERIAL_BELOW:
        return [decode_file(p, sizes) for p in paths]
    chunk = max(16, min(512, len(paths) // (8 * workers)))
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        return [d for part in pool.map(_decode_chunk, chunks, [sizes] * len(chunks)) for d in part]


def _context():
    """fork where there is one: workers start in milliseconds instead of importing torch again, and they run
    only Pillow and numpy."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _decode_chunk(paths: list[Path], sizes: tuple[int, ...]) -> list:
    return [decode_file(p, sizes) for p in paths]
