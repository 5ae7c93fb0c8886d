"""Reading the IDX format of MNIST-style datasets, with every header field checked."""
import gzip
import zlib
from pathlib import Path

import numpy as np

# IDX magic: two zero bytes, a type code, the number of dimensions.
_UBYTE = 0x08


class DataError(ValueError):
    """A data file is missing, corrupt, truncated or not what it claims to be."""


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it ends in .gz."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    return gunzip(raw, str(path))


def gunzip(raw: bytes, name: str) -> bytes:
    if not name.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{name}: corrupt or truncated gzip data ({err})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse unsigned-byte IDX content into an array of its declared shape."""
    if len(data) < 4:
        raise DataError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] != _UBYTE:
        raise DataError(f"{name}: bad IDX magic number {data[:4].hex()} (expected 000008xx)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{name}: IDX header declares {ndim} dimensions but is truncated")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(f"{name}: {kind}: header says shape {shape} ({expected} bytes), file has {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_idx(path: Path) -> np.ndarray:
    return parse_idx(read_bytes(path), str(path))


# MNIST and Fashion-MNIST publish the same four file names (hence one folder per dataset).
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
ROLES = ("train_images", "train_labels", "test_images", "test_labels")


def read_idx_dataset(folder: Path, info=None) -> dict:
    """The four IDX files of an MNIST-style dataset; images gain their channel axis: (N, 1, 28, 28)."""
    arrays = {role: read_idx(Path(folder) / fname) for role, fname in zip(ROLES, IDX_FILES)}
    for split in ("train", "test"):
        if arrays[f"{split}_images"].ndim == 3:
            arrays[f"{split}_images"] = arrays[f"{split}_images"][:, None]
    return arrays
