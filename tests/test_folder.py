"""Folder datasets: layouts, image kinds, refusals, the cache."""
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganclf.data import DataError, load_dataset
from ganclf.data import decode, folder

RNG = np.random.default_rng(0)


def save(path: Path, pixels, fmt=None) -> Path:
    """uint8 (H, W) or (H, W, 3), uint16 (mode I;16) or float32 (mode F) pixels as an image file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels)).save(path, fmt)
    return path


def grey(h=28, w=28):
    return RNG.integers(0, 256, (h, w), dtype=np.uint8)


def colour(h=32, w=32):
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def make(root: Path, classes=("cat", "dog"), per_class=5, image=grey, splits=("train",)) -> Path:
    for split in splits:
        for c in classes:
            for i in range(per_class):
                save(root / split / c / f"{i:03d}.png", image())
    return root


def one_line_error(root, match, **kwargs) -> str:
    with pytest.raises(DataError, match=match) as info:
        load_dataset(root, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# --- layouts --------------------------------------------------------------------------------------------------

def test_train_test_and_nested_unlabelled(tmp_path):
    root = make(tmp_path / "pets", per_class=3, splits=("train", "test"))
    save(root / "train" / "dog" / "puppies" / "deep" / "x.png", grey())  # nesting inside a class is allowed
    for i in range(4):
        save(root / "unlabelled" / f"batch{i % 2}" / "more" / f"{i}.png", grey())
    (root / "train" / "cat" / "notes.txt").write_text("not an image: ignored")
    save(root / "train" / "cat" / ".hidden.png", grey())  # hidden: ignored

    data = load_dataset(root)

    assert data.name == "pets" and data.classes == ("cat", "dog") and data.source == str(root.resolve())
    assert data.shape == (1, 28, 28) and data.preparation == "resize"
    assert data.train_labels.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert data.test_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.unlabelled_images.shape == (4, 1, 28, 28) and data.holdout_test == 0 and data.skipped == 0


def test_without_test_a_fixed_stratified_share_is_held_out(tmp_path):
    a = make(tmp_path / "a", classes=("x", "y", "z"), per_class=10)
    data = load_dataset(a)
    assert data.holdout_test == 6 and data.test_labels.bincount().tolist() == [2, 2, 2]
    assert data.train_labels.bincount().tolist() == [8, 8, 8]
    assert data.unlabelled_images.shape == (0, 1, 28, 28)
    every = {bytes(img.numpy()) for img in (*data.train_images, *data.test_images)}
    assert len(every) == 30  # nothing lost, nothing twice
    again = load_dataset(shutil.copytree(a, tmp_path / "b"))  # a fresh decode picks the same test images
    assert data.test_images.equal(again.test_images)


def test_a_tiny_class_keeps_a_training_image(tmp_path):
    root = make(tmp_path / "d", per_class=1)
    data = load_dataset(root)
    assert data.train_labels.tolist() == [0, 1] and len(data.test_labels) == 0 and data.holdout_test == 0


def test_colour_mixed_sizes_centre_crop_and_default_size_32(tmp_path):
    root = tmp_path / "c"
    wide = np.zeros((40, 60, 3), np.uint8)
    wide[:, :, 2] = 255  # blue margins ...
    wide[:, 10:50] = (255, 0, 0)  # ... around a red centred 40x40 square
    save(root / "train" / "a" / "wide.png", wide)
    save(root / "train" / "a" / "big.jpg", colour(64, 48))
    save(root / "train" / "b" / "grey.bmp", np.full((50, 50), 77, np.uint8))
    save(root / "train" / "b" / "small.png", colour(20, 20))

    data = load_dataset(root)

    assert data.shape == (3, 32, 32)  # median side 44 > 28; one colour image makes three channels
    images = {label: [] for label in (0, 1)}
    for img, label in zip((*data.train_images, *data.test_images), (*data.train_labels, *data.test_labels)):
        images[int(label)].append(img)
    red = [img for img in images[0] if img[0].float().mean() > 200]
    assert len(red) == 1 and red[0][2].max() <= 8  # the crop kept only the red square
    flat = [img for img in images[1] if (img == 77).all()]
    assert len(flat) == 1  # grey repeated in every channel


def test_large_jpegs_decode_at_reduced_scale_to_the_same_picture(tmp_path):
    ys, xs = np.mgrid[0:300, 0:400]
    smooth = np.stack([xs * 255 // 399, ys * 255 // 299, (xs + ys) * 255 // 698], axis=2).astype(np.uint8)
    save(tmp_path / "photo.jpg", smooth)
    decoded = decode.decode_file(tmp_path / "photo.jpg", (32,))
    full = Image.open(tmp_path / "photo.jpg").convert("RGB").resize((32, 32), Image.LANCZOS, box=(50, 0, 350, 300))
    assert decoded.width == 400 and np.abs(decoded.pixels[32].astype(int) - np.asarray(full)).max() <= 6


def test_default_size_is_28_when_the_median_side_is_small(tmp_path):
    root = make(tmp_path / "s", per_class=3, image=lambda: grey(24, 26))
    save(root / "train" / "cat" / "large.png", grey(100, 100))
    assert load_dataset(root).shape == (1, 28, 28)


def test_explicit_image_size_and_grey_stored_as_rgb(tmp_path):
    root = make(tmp_path / "g", per_class=3, image=lambda: np.repeat(grey(40, 40)[..., None], 3, axis=2))
    data = load_dataset(root, image_size=np.int64(16))
    assert data.shape == (1, 16, 16)


@pytest.mark.parametrize("size", [7, 257, "32", 20.0, True])
def test_image_size_out_of_range(tmp_path, size):
    one_line_error(make(tmp_path / "r"), "image_size", image_size=size)


def test_sixteen_bit_and_float_images(tmp_path):
    root = tmp_path / "deep"
    save(root / "train" / "a" / "16.png", np.full((28, 28), 65535, np.uint16))
    save(root / "train" / "a" / "16dark.png", np.full((28, 28), 257 * 10, np.uint16))
    save(root / "train" / "b" / "f.tif", np.full((28, 28), 99.6, np.float32))
    save(root / "train" / "b" / "f2.tif", np.full((28, 28), 300.0, np.float32))
    data = load_dataset(root, image_size=28)
    values = sorted(int(img[0, 0, 0]) for img in (*data.train_images, *data.test_images))
    assert values == [10, 100, 255, 255]


def test_mnist_like_folder_has_exactly_the_idx_pixels(tmp_path, mnist):
    images, labels = mnist.train_images[:300].numpy(), mnist.train_labels[:300].numpy()
    root = tmp_path / "digits"
    for i, (img, label) in enumerate(zip(images, labels)):
        split = "train" if i < 240 else "test"
        save(root / split / str(label) / f"{i:05d}.png", img[0])

    data = load_dataset(root)

    assert data.shape == (1, 28, 28) and data.classes == tuple(str(d) for d in range(10))
    for split, part in (("train", slice(0, 240)), ("test", slice(240, 300))):
        order = np.argsort(labels[part], kind="stable")  # folder order: by class, then by file name
        assert np.array_equal(getattr(data, f"{split}_images").numpy(), images[part][order])
        assert np.array_equal(getattr(data, f"{split}_labels").numpy(), labels[part][order])


def test_parallel_decoding_matches_serial(tmp_path, monkeypatch):
    root = make(tmp_path / "p", per_class=20, image=lambda: colour(40, 36))
    paths = sorted(root.rglob("*.png"))
    monkeypatch.setattr(decode, "SERIAL_BELOW", 0)
    parallel = decode.decode_all(paths, (28, 32), workers=2)
    serial = decode.decode_all(paths, (28, 32), workers=1)
    assert [d.sha256 for d in parallel] == [d.sha256 for d in serial]
    assert all(np.array_equal(p.pixels[32], s.pixels[32]) for p, s in zip(parallel, serial))


def test_names_and_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path / "mnist")  # a folder named like a built-in dataset ...
    assert load_dataset("mnist", download_missing=False).name == "mnist"  # ... does not shadow it
    assert load_dataset("./mnist").train_images.shape[1:] == (1, 28, 28)  # unless written as a path
    make(tmp_path / "mine")
    assert load_dataset("mine").source == str(tmp_path / "mine")
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("nothing-here")


# --- refusals ---------------------------------------------------------------------------------------------------

def png_claiming(width, height) -> bytes:
    """A PNG whose header declares width x height (with almost no pixel data): the shape of a decompression bomb."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 10)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def truncated_png(path):
    save(path, grey())
    path.write_bytes(path.read_bytes()[:-60])


def nan_tiff(path):
    values = np.zeros((28, 28), np.float32)
    values[3, 4] = np.nan
    save(path, values, "TIFF")  # content, not the name, decides how a file is read


@pytest.mark.parametrize("spoil, match", [
    (lambda p: p.write_bytes(b"this is not an image"), "not an image format"),
    (truncated_png, "truncated"),
    (lambda p: p.write_bytes(png_claiming(7000, 7000)), "7000x7000 is over 40000000 pixels"),  # our cap
    (lambda p: p.write_bytes(png_claiming(10000, 10000)), "decompression bomb"),  # Pillow's warning
    (lambda p: p.write_bytes(png_claiming(20000, 20000)), "decompression bomb"),  # Pillow's error
    (nan_tiff, "NaN or infinite"),
])
def test_a_bad_image_is_an_error_naming_it(tmp_path, spoil, match):
    root = make(tmp_path / "bad")
    bad = root / "train" / "dog" / "002.png"
    spoil(bad)
    message = one_line_error(root, match)
    assert str(bad.resolve()) in message


def test_skip_bad_counts_and_warns(tmp_path):
    root = make(tmp_path / "skip", splits=("train", "test"))
    (root / "train" / "dog" / "001.png").write_bytes(b"junk")
    (root / "test" / "cat" / "000.png").write_bytes(b"junk")
    one_line_error(root, "and 1 more bad images")
    with pytest.warns(UserWarning, match="skipped 2 unreadable images"):
        data = load_dataset(root, skip_bad=True)
    assert data.skipped == 2 and len(data.train_labels) == 9 and len(data.test_labels) == 9


def test_skipping_every_image_of_a_class_is_an_error(tmp_path):
    root = make(tmp_path / "gone", per_class=2)
    for p in (root / "train" / "dog").iterdir():
        p.write_bytes(b"junk")
    one_line_error(root, r"dog: no readable images", skip_bad=True)


@pytest.mark.parametrize("arrange, match", [
    (lambda r: shutil.rmtree(r / "train"), "no train/ folder"),
    (lambda r: shutil.rmtree(r), "no such folder"),
    (lambda r: shutil.rmtree(r / "train" / "dog"), "1 class folder"),
    (lambda r: [p.unlink() for p in (r / "train" / "dog").iterdir()], "dog: class folder holds no images"),
    (lambda r: os.rename(r / "test" / "dog", r / "test" / "wolf"), "differ from train"),
    (lambda r: (r / "validation").mkdir(), "unexpected folder validation"),
    (lambda r: save(r / "train" / "loose.png", grey()), "directly in train"),
    (lambda r: (r / "train" / "cat" / "gone.png").symlink_to(r / "nowhere.png"), "gone.png: cannot read"),
])
def test_bad_layouts(tmp_path, arrange, match):
    root = make(tmp_path / "layout", splits=("train", "test"))
    arrange(root)
    assert str(root.resolve()) in one_line_error(root, match)


# --- the cache ----------------------------------------------------------------------------------------------------

def refuse_to_decode(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("decoded again instead of reading the cache")
    monkeypatch.setattr(folder, "decode_all", fail)


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    root = make(tmp_path / "cached", per_class=4, image=lambda: colour(40, 40))
    first = load_dataset(root)
    refuse_to_decode(monkeypatch)
    second = load_dataset(root)
    for part in ("train_images", "train_labels", "test_images", "test_labels", "unlabelled_images"):
        assert getattr(first, part).equal(getattr(second, part))
    assert (second.checksum, second.holdout_test, second.shape) == (first.checksum, first.holdout_test, first.shape)
    assert len(list((Path(os.environ["XDG_CACHE_HOME"]) / "ganclf" / "folders").glob("*.npz"))) == 1


def test_a_changed_folder_is_decoded_again(tmp_path, monkeypatch):
    root = make(tmp_path / "changing", per_class=4)
    first = load_dataset(root)
    image = root / "train" / "cat" / "000.png"
    save(image, grey())
    os.utime(image, ns=(1, 1))  # a distinct modification time, however coarse the file system's clock
    second = load_dataset(root)
    assert second.checksum != first.checksum
    save(root / "unlabelled" / "new.png", grey())
    assert len(load_dataset(root).unlabelled_images) == 1
    refuse_to_decode(monkeypatch)
    assert load_dataset(root).checksum == load_dataset(root).checksum


def test_checksum_names_content_not_times_or_places(tmp_path):
    a = make(tmp_path / "a")
    b = shutil.copytree(a, tmp_path / "b")  # new modification times: a cache miss, the same content
    for p in b.rglob("*.png"):
        os.utime(p, ns=(5, 5))
    assert load_dataset(a).checksum == load_dataset(b).checksum
    assert load_dataset(a, image_size=16).checksum == load_dataset(a).checksum


def test_a_damaged_cache_entry_is_rebuilt(tmp_path):
    root = make(tmp_path / "damaged")
    first = load_dataset(root)
    (entry,) = (Path(os.environ["XDG_CACHE_HOME"]) / "ganclf" / "folders").glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.warns(UserWarning, match="unreadable cache entry"):
        again = load_dataset(root)
    assert again.train_images.equal(first.train_images)
