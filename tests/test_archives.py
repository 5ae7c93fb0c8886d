"""CIFAR-10 and SVHN: their readers on tiny files in the published formats, and their registry entries."""
import dataclasses
import hashlib
import io
import tarfile

import numpy as np
import pytest
import scipy.io

from ganclf.data import DATASETS, DataError, load_dataset
from ganclf.data.archives import CIFAR_RECORD, read_svhn_mat

CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def cifar_batch(n: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    raw = b"".join(bytes([label]) + img.tobytes() for label, img in zip(labels, images))
    return raw, images, labels


def write_tar(path, members: dict, links: dict = None):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def cifar_members(per_batch=3, meta="\n".join(CIFAR_CLASSES) + "\n\n"):
    members, expected = {"cifar-10-batches-bin/batches.meta.txt": meta.encode()}, {}
    for i, name in enumerate([f"data_batch_{b}.bin" for b in range(1, 6)] + ["test_batch.bin"]):
        raw, images, labels = cifar_batch(per_batch, seed=i)
        members[f"cifar-10-batches-bin/{name}"] = raw
        expected[name] = (images, labels)
    return members, expected


def accept_local(monkeypatch, name: str, folder):
    """Point the registry's digests at the files in folder (the real ones are the publishers')."""
    info = DATASETS[name]
    digests = {f: hashlib.new(info.algorithm, (folder / f).read_bytes()).hexdigest() for f in info.files}
    sizes = {f: (folder / f).stat().st_size for f in info.files}
    monkeypatch.setitem(DATASETS, name, dataclasses.replace(info, digests=digests, sizes=sizes))


def test_the_registry_holds_the_publishers_digests():
    assert DATASETS["cifar10"].digests == {"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"}
    assert DATASETS["svhn"].digests == {"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373",
                                        "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"}
    assert DATASETS["cifar10"].algorithm == DATASETS["svhn"].algorithm == "md5"


def test_cifar10_from_a_local_archive(tmp_path, monkeypatch):
    folder = tmp_path / "cifar10"
    folder.mkdir()
    members, expected = cifar_members()
    write_tar(folder / "cifar-10-binary.tar.gz", members)
    accept_local(monkeypatch, "cifar10", folder)

    data = load_dataset("cifar10", tmp_path, download_missing=False)

    assert data.classes == CIFAR_CLASSES and data.shape == (3, 32, 32) and data.preparation == "resize"
    train = [expected[f"data_batch_{b}.bin"] for b in range(1, 6)]
    assert np.array_equal(data.train_images.numpy(), np.concatenate([images for images, _ in train]))
    assert np.array_equal(data.train_labels.numpy(), np.concatenate([labels for _, labels in train]))
    assert np.array_equal(data.test_images.numpy(), expected["test_batch.bin"][0])
    assert data.source == str(folder) and len(data.checksum) == 64


def test_cifar_record_layout_is_label_then_red_green_blue_planes(tmp_path, monkeypatch):
    members, _ = cifar_members(per_batch=1)
    record = bytearray(CIFAR_RECORD)
    record[0] = 7
    record[1 + 0 * 1024 + 2 * 32 + 5] = 11  # red, row 2, column 5
    record[1 + 2 * 1024 + 31 * 32 + 0] = 22  # blue, row 31, column 0
    members["cifar-10-batches-bin/test_batch.bin"] = bytes(record)
    (tmp_path / "cifar10").mkdir()
    write_tar(tmp_path / "cifar10" / "cifar-10-binary.tar.gz", members)
    accept_local(monkeypatch, "cifar10", tmp_path / "cifar10")
    data = load_dataset("cifar10", tmp_path, download_missing=False)
    image = data.test_images[0]
    assert data.test_labels.tolist() == [7] and image[0, 2, 5] == 11 and image[2, 31, 0] == 22
    assert image.sum() == 33


@pytest.mark.parametrize("spoil, match", [
    (lambda m: m.update({"cifar-10-batches-bin/data_batch_3.bin": m["cifar-10-batches-bin/data_batch_3.bin"][:-1]}),
     r"data_batch_3.bin: truncated"),
    (lambda m: m.update({"cifar-10-batches-bin/test_batch.bin": b""}), "test_batch.bin: truncated"),
    (lambda m: m.pop("cifar-10-batches-bin/data_batch_5.bin"), "lacks data_batch_5.bin"),
    (lambda m: m.update({"cifar-10-batches-bin/batches.meta.txt": b"cat\ndog\n"}), "not CIFAR-10's classes"),
])
def test_malformed_cifar_archives(tmp_path, monkeypatch, spoil, match):
    members, _ = cifar_members()
    spoil(members)
    (tmp_path / "cifar10").mkdir()
    write_tar(tmp_path / "cifar10" / "cifar-10-binary.tar.gz", members)
    accept_local(monkeypatch, "cifar10", tmp_path / "cifar10")
    with pytest.raises(DataError, match=match) as info:
        load_dataset("cifar10", tmp_path, download_missing=False)
    assert "\n" not in str(info.value)


def test_only_regular_members_are_read(tmp_path, monkeypatch):
    members, _ = cifar_members()
    del members["cifar-10-batches-bin/data_batch_1.bin"]
    (tmp_path / "cifar10").mkdir()
    write_tar(tmp_path / "cifar10" / "cifar-10-binary.tar.gz", members,
              links={"cifar-10-batches-bin/data_batch_1.bin": "/etc/passwd"})
    accept_local(monkeypatch, "cifar10", tmp_path / "cifar10")
    with pytest.raises(DataError, match="lacks data_batch_1.bin"):
        load_dataset("cifar10", tmp_path, download_missing=False)


def test_a_truncated_archive_and_a_foreign_archive(tmp_path, monkeypatch):
    folder = tmp_path / "cifar10"
    folder.mkdir()
    archive = write_tar(folder / "cifar-10-binary.tar.gz", cifar_members()[0])
    with pytest.raises(DataError, match="checksum mismatch.*not the published cifar10 file"):
        load_dataset("cifar10", tmp_path, download_missing=False)  # the real digest: our archive is not CIFAR's
    archive.write_bytes(archive.read_bytes()[:2000])
    accept_local(monkeypatch, "cifar10", folder)
    with pytest.raises(DataError, match="corrupt or truncated archive"):
        load_dataset("cifar10", tmp_path, download_missing=False)


def write_svhn(path, labels, seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (32, 32, 3, len(labels)), dtype=np.uint8)
    scipy.io.savemat(path, {"X": x, "y": np.array(labels, dtype=np.uint8).reshape(-1, 1)})
    return x


def test_svhn_from_local_files_maps_label_10_to_digit_0(tmp_path, monkeypatch):
    folder = tmp_path / "svhn"
    folder.mkdir()
    x = write_svhn(folder / "train_32x32.mat", [10, 1, 9, 10, 5])
    write_svhn(folder / "test_32x32.mat", [3, 10], seed=1)
    accept_local(monkeypatch, "svhn", folder)

    data = load_dataset("svhn", tmp_path, download_missing=False)

    assert data.classes == tuple("0123456789") and data.shape == (3, 32, 32)
    assert data.train_labels.tolist() == [0, 1, 9, 0, 5] and data.test_labels.tolist() == [3, 0]
    assert np.array_equal(data.train_images[2].numpy(), x[:, :, :, 2].transpose(2, 0, 1))  # X[h, w, c, n]


@pytest.mark.parametrize("content, match", [
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [4]], np.uint8)}, "outside SVHN's 1..10"),
    ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.array([[1], [4]], np.uint8)}, "not SVHN's"),
    ({"X": np.zeros((32, 32, 3, 2), np.float64), "y": np.array([[1], [4]], np.uint8)}, "not SVHN's"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [4], [5]], np.uint8)}, "not SVHN's"),
    ({"images": np.zeros((32, 32, 3, 2), np.uint8)}, "not SVHN's"),
])
def test_malformed_svhn_files(tmp_path, content, match):
    scipy.io.savemat(tmp_path / "train_32x32.mat", content)
    with pytest.raises(DataError, match=match):
        read_svhn_mat(tmp_path / "train_32x32.mat")


def test_unreadable_svhn_files(tmp_path):
    path = tmp_path / "train_32x32.mat"
    write_svhn(path, [1, 2, 3])
    for spoilt in (path.read_bytes()[:300], b"garbage" * 40):
        path.write_bytes(spoilt)
        with pytest.raises(DataError, match="not a readable MATLAB v5 file") as info:
            read_svhn_mat(path)
        assert "\n" not in str(info.value)
