"""The built-in datasets: what their files are, where they are found, and loading them as tensors.

load_dataset also takes a folder of your own images (see folder.py).
"""
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .archives import read_cifar10, read_svhn
from .dataset import Dataset, cache_dir  # cache_dir: methods/quality.py imports it from here
from .download import download, verify_file
from .folder import is_folder, load_folder
from .idx import IDX_FILES, DataError, read_idx_dataset


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    classes: tuple[str, ...]
    files: tuple[str, ...]  # every file the reader needs, as published
    digests: dict  # file name -> published hex digest
    sizes: dict  # file name -> published size in bytes; a download over twice this is refused
    reader: Callable  # (folder, info) -> train/test images (N, C, H, W) uint8 and labels
    mirrors: tuple[str, ...]
    algorithm: str = "sha256"
    of_content: bool = True  # digest of the gunzipped content, so recompressed copies verify too
    system_dirs: tuple[str, ...] = ()
    preparation: str = "resize"  # how a new image is fitted to it (Dataset.preparation)


DIGITS = tuple(str(d) for d in range(10))
DATASETS = {
    "mnist": DatasetInfo(
        name="mnist", classes=DIGITS, files=IDX_FILES, reader=read_idx_dataset, preparation="mnist",
        digests=dict(zip(IDX_FILES, (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"))),
        sizes=dict(zip(IDX_FILES, (9912422, 28881, 1648877, 4542))),
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist", files=IDX_FILES, reader=read_idx_dataset, preparation="mnist",
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        digests=dict(zip(IDX_FILES, (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"))),
        sizes=dict(zip(IDX_FILES, (26421880, 29515, 4422102, 5148))),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
    "cifar10": DatasetInfo(
        name="cifar10", files=("cifar-10-binary.tar.gz",), reader=read_cifar10,
        classes=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        # The publisher's MD5 of the archive as published (the binary version; the python one is never read).
        algorithm="md5", of_content=False,
        digests={"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"},
        sizes={"cifar-10-binary.tar.gz": 170052171},
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
    ),
    "svhn": DatasetInfo(
        name="svhn", classes=DIGITS, files=("train_32x32.mat", "test_32x32.mat"), reader=read_svhn,
        algorithm="md5", of_content=False,
        digests={"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373",
                 "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"},
        sizes={"train_32x32.mat": 182040794, "test_32x32.mat": 64275384},
        mirrors=("http://ufldl.stanford.edu/housenumbers/",),
    ),
}


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)} or give a folder of images")
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
        if all((d / f).is_file() for f in info.files):
            return d
    return None


def _download_dir(info: DatasetInfo, data_dir=None) -> Path:
    """An explicit --data-dir receives downloads; otherwise the user cache ($GANCLF_DATA is only searched)."""
    return Path(data_dir) / info.name if data_dir else cache_dir() / info.name


def load_dataset(name: str = "mnist", data_dir=None, download_missing: bool = True, mirrors=None,
                 image_size: int | None = None, skip_bad: bool = False) -> Dataset:
    """A built-in dataset by name, from the first place that has it (downloading into the cache if allowed),
    or a folder of your own images by path (image_size and skip_bad apply to folders only)."""
    if name not in DATASETS and is_folder(name):  # a built-in name wins; write ./mnist for a folder of that name
        return load_folder(name, image_size=image_size, skip_bad=skip_bad)
    info = dataset_info(name)
    found = locate(info, data_dir)
    if found is None:
        if not download_missing:
            places = ", ".join(str(d) for d in search_dirs(info, data_dir))
            raise DataError(f"{name} not found (looked in {places}) and downloading is off")
        found = download(info, _download_dir(info, data_dir), mirrors)
    arrays = info.reader(found, info)  # parsed first: a truncated file is named as such, not as a checksum error
    for fname in info.files:
        verify_file(found / fname, fname, info, source=str(found / fname))
    return _as_dataset(info, arrays, found)


def _as_dataset(info: DatasetInfo, a: dict, found: Path) -> Dataset:
    for split in ("train", "test"):
        images, labels = a[f"{split}_images"], a[f"{split}_labels"]
        if images.ndim != 4 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{info.name} {split}: images {images.shape} and labels {labels.shape} do not match")
        if labels.max() >= len(info.classes):
            raise DataError(f"{info.name} {split}: label {labels.max()} out of range")
    t = {k: torch.from_numpy(np.require(v, requirements="CW")) for k, v in a.items()}  # copies only if needed
    return Dataset(info.name, info.classes, t["train_images"], t["train_labels"].long(),
                   t["test_images"], t["test_labels"].long(), checksum=_published_checksum(info),
                   source=str(found), preparation=info.preparation)


def _published_checksum(info: DatasetInfo) -> str:
    """Every file was verified against its published digest, so those digests name the content."""
    listing = "".join(f"{f} {info.algorithm}:{info.digests[f]}\n" for f in info.files)
    return hashlib.sha256(listing.encode()).hexdigest()
