"""Folder datasets: your own images in train/<class>/, optional test/<class>/ and unlabelled/, decoded once and cached.

Layout (torchvision's ImageFolder convention; class names are the sorted subfolder names of train/):

    PATH/train/<class>/**/<image>    labelled images (nested folders inside a class are fine)
    PATH/test/<class>/**/<image>     optional; the same class folders as train/
    PATH/unlabelled/**/<image>       optional, any nesting

Files are read when Pillow reads their extension; hidden names (starting with '.') are skipped.
"""
import hashlib
import json
import numbers
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import PIL
from PIL import Image

from ..files import atomic_file
from .dataset import Dataset, cache_dir
from .decode import FORMATS, Decoded, decode_all
from .idx import DataError

SPLITS = ("train", "test", "unlabelled")
# Without test/, this share of each class is held out as the test set, drawn with a fixed seed so that every
# method and every split seed is tested on the same images.
HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 20240601
IMAGE_SIZES = (28, 32)  # the default size: 28 when the median image side is at most 28, else 32
SIZE_RANGE = (8, 256)
CACHE_VERSION = 1  # part of every cache key: raise it when decoding changes


@dataclass(frozen=True)
class Entry:
    rel: str  # path relative to the dataset folder, with '/' separators
    split: str
    label: int  # -1 for unlabelled images
    size: int
    mtime_ns: int


def is_folder(name) -> bool:
    """A path (not a built-in dataset's name): a PathLike, a name with a separator, or an existing folder."""
    return isinstance(name, os.PathLike) or "/" in str(name) or os.sep in str(name) or Path(name).is_dir()


def load_folder(path, image_size: int | None = None, skip_bad: bool = False) -> Dataset:
    """A folder of images as a Dataset of uint8 (N, C, S, S) images, read from the cache when the folder's
    listing (names, sizes, modification times) is unchanged."""
    root = Path(path).expanduser().resolve()
    if image_size is not None:
        image_size = _checked_size(image_size)
    classes, entries = list_folder(root)
    cached = cache_dir() / "folders" / f"{listing_key(entries, image_size, skip_bad)}.npz"
    arrays, meta = read_cache(cached)
    if arrays is None:
        arrays, meta = build_arrays(root, classes, entries, image_size, skip_bad)
        write_cache(cached, arrays, meta)
    if meta["skipped"]:
        warnings.warn(f"{root}: skipped {meta['skipped']} unreadable images ({meta['first_skipped']})",
                      stacklevel=2)
    t = {k: torch.from_numpy(v) for k, v in arrays.items()}
    return Dataset(root.name, tuple(classes), t["train_images"], t["train_labels"], t["test_images"],
                   t["test_labels"], unlabelled_images=t["unlabelled_images"], checksum=meta["checksum"],
                   source=str(root), holdout_test=meta["holdout_test"], skipped=meta["skipped"],
                   preparation="resize")


def _checked_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not \
            SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise DataError(f"image_size must be a whole number from {SIZE_RANGE[0]} to {SIZE_RANGE[1]}, got {size!r}")
    return int(size)


# --- listing: what the folder holds -------------------------------------------------------------------------

def list_folder(root: Path) -> tuple[list[str], list[Entry]]:
    """Class names and every image file, in a fixed order: train by class, test by class, unlabelled."""
    _utf8(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    if not (root / "train").is_dir():
        raise DataError(f"{root}: no train/ folder (expected train/<class>/<images>)")
    extra = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and p.name not in SPLITS)
    if extra:
        raise DataError(f"{root}: unexpected folder {extra[0]}/ (expected only train/, test/ and unlabelled/)")
    classes = _class_names(root / "train")
    if len(classes) < 2:
        raise DataError(f"{root / 'train'}: {len(classes)} class folder(s); a classifier needs at least two")
    entries = _labelled(root, "train", classes)
    if (root / "test").is_dir():
        test_classes = _class_names(root / "test")
        if test_classes != classes:
            raise DataError(f"{root / 'test'}: class folders {test_classes} differ from train/'s {classes}")
        entries += _labelled(root, "test", classes)
    if (root / "unlabelled").is_dir():
        entries += [Entry(rel, "unlabelled", -1, *stat) for rel, stat in _images_under(root, "unlabelled")]
    return classes, entries


def _class_names(split_dir: Path) -> list[str]:
    stray = next((p for p in sorted(split_dir.iterdir()) if p.is_file() and _is_image(p.name)), None)
    if stray is not None:
        raise DataError(f"{stray}: an image directly in {split_dir.name}/ (images go in {split_dir.name}/<class>/)")
    names = sorted(p.name for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in names:
        _utf8(split_dir / name)
    return names


def _labelled(root: Path, split: str, classes: list[str]) -> list[Entry]:
    entries = []
    for label, name in enumerate(classes):
        found = _images_under(root, f"{split}/{name}")
        if not found:
            raise DataError(f"{root / split / name}: class folder holds no images")
        entries += [Entry(rel, split, label, *stat) for rel, stat in found]
    return entries


def _images_under(root: Path, sub: str) -> list[tuple[str, tuple[int, int]]]:
    """(relative path, (size, mtime_ns)) of every image file below root/sub, sorted; links to folders are
    not followed (a link loop cannot hang the listing)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root / sub, onerror=_unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            if _is_image(name) and not name.startswith("."):
                _utf8(os.path.join(dirpath, name))
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError as err:  # e.g. a dangling link
                    _unreadable(err)
                found.append((f"{rel_dir}/{name}", (st.st_size, st.st_mtime_ns)))
    return found


def _utf8(path) -> None:
    """A name that is not UTF-8 cannot be recorded in JSON; the message shows its bytes escaped, so it prints."""
    try:
        str(path).encode()
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise DataError(f"{shown}: a file name that is not UTF-8; rename it") from None


def _unreadable(err: OSError):
    """os.walk would skip a folder it cannot list; a dataset that silently lost a folder is worse than an error."""
    raise DataError(f"{err.filename}: cannot read ({err.strerror})")


_EXTENSIONS = {ext for ext, fmt in Image.registered_extensions().items() if fmt in FORMATS}


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in _EXTENSIONS


def listing_key(entries: list[Entry], image_size: int | None, skip_bad: bool) -> str:
    """The cache key: a hash of the settings, the Pillow version (its resizing may change) and every file's name,
    size and modification time."""
    settings = f"v{CACHE_VERSION} pillow={PIL.__version__} size={image_size} skip_bad={skip_bad}\n"
    digest = hashlib.sha256(settings.encode())
    for e in entries:
        digest.update(f"{e.rel}\0{e.size}\0{e.mtime_ns}\n".encode())
    return digest.hexdigest()


# --- decoding: the folder's images as arrays ----------------------------------------------------------------

def build_arrays(root: Path, classes: list[str], entries: list[Entry], image_size: int | None,
                 skip_bad: bool) -> tuple[dict, dict]:
    """Decode every image (in parallel) and assemble the dataset's arrays and metadata."""
    sizes = (image_size,) if image_size else IMAGE_SIZES
    decoded = decode_all([root / e.rel for e in entries], sizes)
    good = [(e, d) for e, d in zip(entries, decoded) if not isinstance(d, str)]
    bad = [(e, d) for e, d in zip(entries, decoded) if isinstance(d, str)]
    if bad and not skip_bad:
        more = f" (and {len(bad) - 1} more bad images; skip_bad=True leaves them out)" if len(bad) > 1 else ""
        raise DataError(f"{root / bad[0][0].rel}: {bad[0][1]}{more}")
    _check_classes_survive(root, classes, good, {e.split for e in entries})
    arrays = _assemble(good, image_size or _default_size(d for _, d in good))
    holdout = 0
    if not any(e.split == "test" for e in entries):
        arrays, holdout = hold_out_test(arrays)
    meta = {"checksum": content_checksum(good), "holdout_test": holdout, "skipped": len(bad),
            "first_skipped": f"{bad[0][0].rel}: {bad[0][1]}" if bad else ""}
    return arrays, meta


def _assemble(good: list, size: int) -> dict:
    """Images of every split as uint8 (N, C, S, S): one channel if every image is grey, else three."""
    channels = 1 if all(d.grey for _, d in good) else 3
    arrays = {f"{s}_images": _stack([d.pixels[size] for e, d in good if e.split == s], channels, size)
              for s in SPLITS}
    arrays.update({f"{s}_labels": np.array([e.label for e, _ in good if e.split == s], dtype=np.int64)
                   for s in ("train", "test")})
    return arrays


def _check_classes_survive(root: Path, classes: list[str], good: list, splits: set) -> None:
    for split in splits - {"unlabelled"}:
        present = {e.label for e, _ in good if e.split == split}
        for label, name in enumerate(classes):
            if label not in present:
                raise DataError(f"{root / split / name}: no readable images left in this class folder")


def _default_size(decoded) -> int:
    median_side = float(np.median([min(d.width, d.height) for d in decoded]))
    return IMAGE_SIZES[0] if median_side <= IMAGE_SIZES[0] else IMAGE_SIZES[1]


def _stack(pixels: list[np.ndarray], channels: int, size: int) -> np.ndarray:
    """(S, S) grey or (S, S, 3) colour arrays -> uint8 (N, C, S, S); grey images repeat in every channel."""
    out = np.empty((len(pixels), channels, size, size), dtype=np.uint8)
    for i, p in enumerate(pixels):
        out[i] = p if p.ndim == 2 else p.transpose(2, 0, 1)
    return out


def hold_out_test(arrays: dict) -> tuple[dict, int]:
    """Move a stratified HOLDOUT_FRACTION of the labelled images into the test set (fixed seed); every class
    keeps at least one training image."""
    labels = arrays["train_labels"]
    rng = np.random.default_rng(HOLDOUT_SEED)
    test = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        count = min(len(members) - 1, max(1, round(HOLDOUT_FRACTION * len(members))))
        test.append(rng.permutation(members)[:count])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    images = arrays["train_images"]
    return {**arrays, "train_images": images[train], "train_labels": labels[train],
            "test_images": images[test], "test_labels": labels[test]}, len(test)


def content_checksum(good: list[tuple[Entry, Decoded]]) -> str:
    """SHA-256 over every used file's relative path, size and bytes (their own SHA-256): the data's identity."""
    digest = hashlib.sha256()
    for e, d in good:
        digest.update(f"{e.rel}\0{e.size}\0{d.sha256}\n".encode())
    return digest.hexdigest()


# --- the cache: one .npz per folder listing ------------------------------------------------------------------

ARRAYS = ("train_images", "train_labels", "test_images", "test_labels", "unlabelled_images")


def read_cache(path: Path) -> tuple[dict | None, dict | None]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ARRAYS}
            meta = json.loads(npz["meta"].tobytes())
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:  # damaged: rebuilt, not trusted
        warnings.warn(f"{path}: unreadable cache entry, decoding the folder again ({err})", stacklevel=3)
        return None, None
    return arrays, meta


def write_cache(path: Path, arrays: dict, meta: dict) -> None:
    """Uncompressed .npz (reading it back is what makes a second load fast), written atomically."""
    with atomic_file(path) as f:
        np.savez(f, **arrays, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
