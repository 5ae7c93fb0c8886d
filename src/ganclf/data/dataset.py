"""The in-memory record every loader returns, its float scale, and where derived data is cached."""
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .idx import DataError


@dataclass(frozen=True)
class Dataset:
    """A whole dataset in memory: uint8 images (N, C, H, W) and int64 labels."""
    name: str
    classes: tuple[str, ...]
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    unlabelled_images: torch.Tensor | None = None  # (N_u, C, H, W) without labels; None becomes an empty tensor
    checksum: str = ""  # SHA-256 naming the content (the files' bytes), so a run can tell which data it saw
    source: str = ""  # the folder the files were read from
    holdout_test: int = 0  # test images taken out of train/ (a folder dataset without test/)
    skipped: int = 0  # unreadable images left out because skip_bad was asked for
    preparation: str = "mnist"  # how a new image is fitted to it: 'mnist' (images.load_image) or 'resize'

    def __post_init__(self):
        if self.unlabelled_images is None:
            object.__setattr__(self, "unlabelled_images", self.train_images.new_zeros((0, *self.shape)))
        for part in ("train_images", "test_images", "unlabelled_images"):
            images = getattr(self, part)
            if images.dtype != torch.uint8 or images.ndim != 4 or tuple(images.shape[1:]) != self.shape:
                raise DataError(f"{self.name} {part}: expected uint8 (N, {', '.join(map(str, self.shape))}), "
                                f"got {images.dtype} {tuple(images.shape)}")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of every image."""
        return tuple(self.train_images.shape[1:])


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float in [-1, 1], the scale every model here uses."""
    return images.float().div_(127.5).sub_(1.0)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ganclf"
