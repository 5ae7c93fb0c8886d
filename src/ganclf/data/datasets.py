"""MNIST-style datasets: where their files are, fetching them, and loading them as tensors."""
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..files import write_atomic
from .dataset import Dataset, cache_dir, to_float  # noqa: F401  (re-exported: callers import them from here)
from .idx import DataError, gunzip, parse_idx, read_bytes

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
# Both datasets publish the same four file names (hence one folder per dataset).
IDX_FILES = dict(zip(ROLES, ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")))


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    classes: tuple[str, ...]
    files: dict  # role -> file name
    sha256: dict  # file name -> SHA-256 of the *uncompressed* content, so recompressed copies verify too
    mirrors: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()


DATASETS = {
    "mnist": DatasetInfo(
        name="mnist",
        classes=tuple(str(d) for d in range(10)),
        files=IDX_FILES,
        sha256={
            "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        files=IDX_FILES,
        sha256={
            "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    return DATASETS[name]


def search_dirs(info: DatasetInfo, data_dir=None) -> list[Path]:
    """Where to look, in order: --data-dir (or its <name> subfolder), $GANCLF_DATA/<name>, system copies, cache.

    Only an explicit --data-dir may hold the files directly: MNIST and Fashion-MNIST share file names.
    """
    dirs = [Path(data_dir) / info.name, Path(data_dir)] if data_dir else []
    if os.environ.get("GANCLF_DATA"):
        dirs.append(Path(os.environ["GANCLF_DATA"]) / info.name)
    return dirs + [Path(d) for d in info.system_dirs] + [cache_dir() / info.name]


def locate(info: DatasetInfo, data_dir=None) -> Path | None:
    for d in search_dirs(info, data_dir):
        if all((d / f).is_file() for f in info.files.values()):
            return d
    return None


def _download_dir(info: DatasetInfo, data_dir=None) -> Path:
    """An explicit --data-dir receives downloads; otherwise the user cache ($GANCLF_DATA is only searched)."""
    return Path(data_dir) / info.name if data_dir else cache_dir() / info.name


def download(info: DatasetInfo, target: Path, mirrors=None, timeout: float = 30.0) -> Path:
    """Fetch every missing file into target, trying each mirror, verifying content before it lands."""
    target.mkdir(parents=True, exist_ok=True)
    for fname in info.files.values():
        if (target / fname).is_file():
            continue
        errors = []
        for mirror in mirrors or info.mirrors:
            try:
                with urllib.request.urlopen(mirror + fname, timeout=timeout) as response:
                    payload = response.read()
                verify(payload, fname, info, source=mirror + fname)
            except (urllib.error.URLError, OSError, DataError) as err:
                errors.append(f"{mirror}: {getattr(err, 'reason', err)}")
                continue
            write_atomic(target / fname, payload)
            break
        else:
            raise DataError(f"could not download {fname} for {info.name}: " + "; ".join(errors))
    return target


def verify(payload: bytes, fname: str, info: DatasetInfo, source: str) -> bytes:
    """Check compressed payload against the known content hash; return the uncompressed bytes."""
    content = gunzip(payload, source)
    digest = hashlib.sha256(content).hexdigest()
    if digest != info.sha256[fname]:
        raise DataError(f"{source}: checksum mismatch (sha256 {digest[:12]}..., expected {info.sha256[fname][:12]}...)")
    return content


def load_dataset(name: str = "mnist", data_dir=None, download_missing: bool = True, mirrors=None) -> Dataset:
    """Load a dataset from the first place that has it, downloading into the cache if allowed."""
    info = dataset_info(name)
    found = locate(info, data_dir)
    if found is None:
        if not download_missing:
            places = ", ".join(str(d) for d in search_dirs(info, data_dir))
            raise DataError(f"{name} not found (looked in {places}) and downloading is off")
        found = download(info, _download_dir(info, data_dir), mirrors)
    arrays = {role: _read_checked(found / fname, info) for role, fname in info.files.items()}
    for split in ("train", "test"):
        arrays[f"{split}_images"] = arrays[f"{split}_images"][:, None]  # IDX images have no channel axis
    return _as_dataset(info, arrays, found)


def _read_checked(path: Path, info: DatasetInfo) -> np.ndarray:
    content = read_bytes(path)
    array = parse_idx(content, str(path))
    if hashlib.sha256(content).hexdigest() != info.sha256[path.name]:
        raise DataError(f"{path}: content does not match the published {info.name} file (checksum mismatch)")
    return array


def _as_dataset(info: DatasetInfo, a: dict, found: Path) -> Dataset:
    for split in ("train", "test"):
        images, labels = a[f"{split}_images"], a[f"{split}_labels"]
        if images.ndim != 4 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{info.name} {split}: images {images.shape} and labels {labels.shape} do not match")
        if labels.max() >= len(info.classes):
            raise DataError(f"{info.name} {split}: label {labels.max()} out of range")
    t = {k: torch.from_numpy(v.copy()) for k, v in a.items()}
    return Dataset(info.name, info.classes, t["train_images"], t["train_labels"].long(),
                   t["test_images"], t["test_labels"].long(), source=str(found))

