"""User images -> a dataset's format: MNIST-style (grey, light-on-dark, framed like the training images) or
resized like folder datasets, CIFAR-10 and SVHN (Dataset.preparation says which)."""
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from .decode import _PIL_ERRORS, MAX_PIXELS, decode_file, to_8bit
from .idx import DataError

# MNIST digits were fitted into a 20x20 box and centred by centre of mass in 28x28; Fashion-MNIST items fill it.
BOX = {"mnist": 20, "fashion-mnist": 28}


def load_image(path, dataset: str = "mnist") -> np.ndarray:
    """Any size, colour or grey, dark-on-light or light-on-dark -> uint8 (1, 28, 28) like MNIST's images.
    Whatever is wrong with the file (missing, not an image, over MAX_PIXELS, NaN pixels) is a DataError naming it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > MAX_PIXELS:  # refused before a pixel is decoded
                    raise DataError(f"{img.width}x{img.height} is over {MAX_PIXELS} pixels: refused as a possible "
                                    "decompression bomb")
                img.load()
                grey = to_8bit(_on_white(img)).convert("L")
        return frame(np.asarray(grey, dtype=np.float32), BOX.get(dataset, 28))[None]
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except DataError as err:
        raise DataError(f"{path}: {err}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{path}: over {MAX_PIXELS} pixels: refused as a possible decompression bomb") from None
    except (UnidentifiedImageError, *_PIL_ERRORS) as err:
        raise DataError(f"{path}: not a readable image ({err.__class__.__name__})") from None


def load_resized(path, shape: tuple[int, int, int]) -> np.ndarray:
    """Any image file -> uint8 (C, S, S) as a folder dataset of that shape holds it: centre crop, Lanczos resize;
    grey repeated in every channel, or colour reduced to its luma (ITU-R 601) for a grey dataset."""
    channels, size, _ = shape
    decoded = decode_file(path, (size,))
    if isinstance(decoded, str):
        raise DataError(f"{path}: {decoded}")
    pixels = decoded.pixels[size]
    if pixels.ndim == 3 and channels == 1:
        pixels = np.asarray(Image.fromarray(pixels).convert("L"))
    if pixels.ndim == 2:
        return np.repeat(pixels[None], channels, axis=0)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def _on_white(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba)
    return img


def frame(grey: np.ndarray, box: int) -> np.ndarray:
    """Make the object light on dark, crop it, fit it into box x box and centre it in 28x28."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 127:  # a light background: the dataset's objects are light on black
        grey = 255 - grey
    grey = np.clip(grey - np.median(border if np.median(border) <= 127 else 255 - border), 0, 255)
    ink = grey > 0.2 * grey.max() if grey.max() > 0 else np.zeros_like(grey, bool)
    if not ink.any():
        raise DataError("image is blank: nothing to classify")
    rows, cols = np.where(ink)
    crop = grey[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = box / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize(size, Image.LANCZOS), dtype=np.float32)
    return _centre(small, by_mass=box < 28)


def _centre(small: np.ndarray, by_mass: bool) -> np.ndarray:
    out = np.zeros((28, 28), dtype=np.float32)
    h, w = small.shape
    top, left = (28 - h) // 2, (28 - w) // 2
    if by_mass and small.sum() > 0:
        ys, xs = np.indices(small.shape)
        top = int(round(14 - (ys * small).sum() / small.sum()))
        left = int(round(14 - (xs * small).sum() / small.sum()))
        top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    out[top:top + h, left:left + w] = small
    return np.clip(out, 0, 255).astype(np.uint8)
