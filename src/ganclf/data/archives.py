"""Readers for the published files of CIFAR-10 (the binary version) and SVHN (cropped digits, MATLAB v5)."""
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from .idx import DataError

CIFAR_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR_TEST = "test_batch.bin"
CIFAR_META = "batches.meta.txt"
CIFAR_RECORD = 1 + 3 * 32 * 32  # a label byte, then the R, G and B planes of a 32x32 image


def read_cifar10(folder: Path, info) -> dict:
    """The train and test arrays of cifar-10-binary.tar.gz, read from the archive without extracting it."""
    path = folder / info.files[0]
    members = _tar_members(path, {*CIFAR_TRAIN, CIFAR_TEST, CIFAR_META})
    names = tuple(line.strip() for line in members[CIFAR_META].decode("ascii", "replace").splitlines())
    if tuple(n for n in names if n) != info.classes:
        raise DataError(f"{path}: {CIFAR_META} lists {[n for n in names if n]}, not CIFAR-10's classes")
    train = [parse_cifar_batch(members[n], f"{path}:{n}") for n in CIFAR_TRAIN]
    test_images, test_labels = parse_cifar_batch(members[CIFAR_TEST], f"{path}:{CIFAR_TEST}")
    return {"train_images": np.concatenate([images for images, _ in train]),
            "train_labels": np.concatenate([labels for _, labels in train]),
            "test_images": test_images, "test_labels": test_labels}


def _tar_members(path: Path, wanted: set) -> dict:
    """Basename -> bytes of the wanted regular files. Members are read in memory and never written out,
    so a hostile name such as ../../x cannot place a file anywhere."""
    found = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = PurePosixPath(member.name).name
                if member.isfile() and name in wanted:
                    found[name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: corrupt or truncated archive ({err})") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err})") from None
    missing = sorted(wanted - set(found))
    if missing:
        raise DataError(f"{path}: archive lacks {', '.join(missing)}")
    return found


def parse_cifar_batch(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 binary batch -> uint8 images (N, 3, 32, 32) and labels (N,)."""
    if not raw or len(raw) % CIFAR_RECORD:
        raise DataError(f"{name}: truncated: {len(raw)} bytes is not a whole number of {CIFAR_RECORD}-byte records")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0]


def read_svhn(folder: Path, info) -> dict:
    """The train and test arrays of SVHN's train_32x32.mat and test_32x32.mat."""
    arrays = {}
    for split in ("train", "test"):
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = read_svhn_mat(folder / f"{split}_32x32.mat")
    return arrays


def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """X (32, 32, 3, N) uint8 and y (N, 1) in 1..10 -> images (N, 3, 32, 32) and labels 0..9 (10 is the digit 0)."""
    import scipy.io  # here, not at the top: it adds a third of a second to every start of ganclf

    # loadmat reports malformed input through many exception types; MATLAB v5 files hold data only, no code.
    errors = (ValueError, TypeError, LookupError, NotImplementedError, OSError, zlib.error,
              scipy.io.matlab.MatReadError)
    try:
        mat = scipy.io.loadmat(path, variable_names=("X", "y"))
    except errors as err:
        raise DataError(f"{path}: not a readable MATLAB v5 file ({err.__class__.__name__}: {err})") from None
    x, y = mat.get("X"), mat.get("y")
    if x is None or y is None or x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3) \
            or x.shape[3] == 0 or y.size != x.shape[3]:
        raise DataError(f"{path}: not SVHN's cropped-digit format (X uint8 (32, 32, 3, N) and y (N, 1))")
    labels = y.reshape(-1).astype(np.int64)
    if labels.min() < 1 or labels.max() > 10:
        raise DataError(f"{path}: labels {labels.min()}..{labels.max()} outside SVHN's 1..10")
    return np.ascontiguousarray(x.transpose(3, 2, 0, 1)), labels % 10
