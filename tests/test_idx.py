import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganclf.data import DataError, load_dataset
from ganclf.data.idx import parse_idx, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_round_trip():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(parse_idx(idx_bytes(array)), array)


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b"\x00\x00\x0d\x03" + b[4:], "magic"),  # float type code, not unsigned bytes
    (lambda b: b"\x01" + b[1:], "magic"),
    (lambda b: b[:-5], "truncated"),
    (lambda b: b + b"\x00", "trailing"),
    (lambda b: b[:6], "truncated"),
    (lambda b: b[:2], "too short"),
])
def test_malformed_content_is_a_clear_error(mutate, message):
    good = idx_bytes(np.zeros((2, 3, 4)))
    with pytest.raises(DataError, match=message):
        parse_idx(mutate(good), "x.idx")


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 28, 28))))[:-10])
    with pytest.raises(DataError, match=str(path)):
        read_idx(path)


def test_real_mnist_shapes(mnist):
    assert mnist.train_images.shape == (60000, 1, 28, 28)
    assert mnist.test_images.shape == (10000, 1, 28, 28)
    assert mnist.train_labels.bincount().tolist()[:3] == [5923, 6742, 5958]


def copy_mnist(src, dst):
    dst.mkdir()
    for f in src.glob("*.gz"):
        shutil.copy(f, dst / f.name)
    return dst


def test_truncated_dataset_file_is_reported(tmp_path):
    from conftest import MNIST_DIR
    data = copy_mnist(MNIST_DIR, tmp_path / "m")
    labels = data / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-100]))
    with pytest.raises(DataError, match="t10k-labels.*truncated"):
        load_dataset("mnist", data, download_missing=False)


def test_valid_but_different_file_fails_checksum(tmp_path):
    from conftest import MNIST_DIR
    data = copy_mnist(MNIST_DIR, tmp_path / "m")
    labels = data / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[-1] = (content[-1] + 1) % 10  # still a well-formed IDX file, but not MNIST's
    labels.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match="checksum"):
        load_dataset("mnist", data, download_missing=False)


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("cifar-11")


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file(),
                    reason="needs Debian's dataset-fashion-mnist (.ci/run installs it)")
def test_fashion_mnist_is_found_where_debian_installs_it():
    # GANCLF_DATA (MNIST only) must not shadow it.
    data = load_dataset("fashion-mnist", download_missing=False)
    assert data.train_images.shape == (60000, 1, 28, 28) and data.classes[9] == "Ankle boot"
