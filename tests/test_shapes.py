"""Every network takes the dataset's (C, H, W), and every method runs end to end on a colour 32x32 folder."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from ganclf import api
from ganclf.config import ConfigError
from ganclf.data import BudgetError, load_dataset
from ganclf.methods import REGISTRY, method_names
from ganclf.methods.classify import load_classifier
from ganclf.models.classifiers import CLASSIFIERS, build_classifier
from ganclf.models.gans import GANS, build_gan
from ganclf.models.ssl_nets import DISCRIMINATORS, Generator, build_discriminator
from ganclf.runs import RunError

SHAPES = [(1, 28, 28), (3, 32, 32), (1, 32, 32), (3, 28, 28)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_every_classifier_takes_the_shape(name, shape):
    model = build_classifier(name, 7, shape).eval()
    assert model(torch.rand(3, *shape) * 2 - 1).shape == (3, 7)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("model, networks", sorted(GANS))
def test_every_gan_makes_and_takes_the_shape(model, networks, shape):
    g, d = build_gan(model, networks, 10, shape)
    y = torch.arange(4) if g.conditional else None
    images = g(torch.randn(4, g.z_dim), y)
    assert images.shape == (4, *shape) and images.abs().max() <= 1
    assert d(images, y).shape == (4,)
    assert d.features(images).shape == (4, d.feature_dim)  # no label: what transfer learning sees


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("arch", sorted(DISCRIMINATORS))
def test_ssl_networks_take_the_shape(arch, shape):
    d, g = build_discriminator(arch, 10, shape), Generator(shape=shape)
    images = g(g.sample_z(4))
    assert images.shape == (4, *shape)
    logits, features = d(images, with_features=True)
    assert logits.shape == (4, 10) and features.ndim == 2


def test_sizes_a_network_cannot_take_are_refused_by_name():
    with pytest.raises(ValueError, match="multiple of 4"):
        build_gan("dcgan", "default", 10, (3, 30, 30))
    with pytest.raises(ValueError, match="square"):
        build_gan("gan", "default", 10, (1, 28, 32))
    with pytest.raises(ValueError, match="at least 10"):
        build_classifier("cnn-original", 10, (1, 8, 8))


def test_layouts_at_28_and_32():
    assert build_classifier("cnn-original", 10)[7].in_features == 1600  # original 004's Linear(1600, 128)
    assert build_classifier("cnn-original", 10, (3, 32, 32))[7].in_features == 2304
    for shape, stem in (((1, 28, 28), 7), ((3, 32, 32), 8)):
        g, d = build_gan("dcgan", "default", 0, shape)
        assert g.shape[1:] == (stem, stem) and d.feature_dim == 4 * 64 * 4 * 4  # D ends at 4x4 either way
        g, d = build_gan("cdcgan", "seed", 10, shape)
        assert g.body[0].kernel_size == (stem // 2,) * 2  # 1x1 -> 3x3 -> 7x7 (seed 001) or 1 -> 4 -> 8 (DCGAN)
        assert d.plane.embedding_dim == shape[1] * shape[2]


# ---- a colour 32x32 folder dataset, every method end to end ------------------------------------------------

PER_CLASS = {"train": 30, "test": 10}
UNLABELLED = 200


def colour_digits(digits: np.ndarray, rng) -> np.ndarray:
    """MNIST digits (N, 28, 28) -> (N, 32, 32, 3): a random background colour, a foreground colour at least 88
    levels away in every channel, padded by 2 pixels of background."""
    background = rng.integers(0, 256, (len(digits), 1, 1, 3))
    foreground = (background + 128 + rng.integers(-40, 41, background.shape)) % 256
    ink = np.pad(digits, ((0, 0), (2, 2), (2, 2)))[..., None] / 255.0
    return np.round(background * (1 - ink) + foreground * ink).astype(np.uint8)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, mnist):
    root = tmp_path_factory.mktemp("data") / "colour-digits"
    rng = np.random.default_rng(0)
    labels = mnist.train_labels.numpy()
    start = 0
    for split, n in PER_CLASS.items():
        for c in range(10):
            members = np.flatnonzero(labels == c)[start:start + n]
            (root / split / str(c)).mkdir(parents=True)
            for i, image in zip(members, colour_digits(mnist.train_images[members, 0].numpy(), rng)):
                Image.fromarray(image).save(root / split / str(c) / f"{i:05d}.png")
        start += n
    (root / "unlabelled").mkdir()
    for i, image in enumerate(colour_digits(mnist.test_images[:UNLABELLED, 0].numpy(), rng)):
        Image.fromarray(image).save(root / "unlabelled" / f"{i:05d}.png")
    return root


@pytest.fixture(scope="module")
def gans(folder, tmp_path_factory):
    """A tiny dcgan and cdcgan trained on the folder (a private cache: module fixtures run before offline_data)."""
    root = tmp_path_factory.mktemp("gans")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("XDG_CACHE_HOME", str(root / "cache"))
        for preset in ("dcgan", "cdcgan"):
            api.run("train-gan", dataset=str(folder), labels="100", out=root / preset, preset=preset, epochs=1,
                    batch_size=50, min_steps_per_epoch=0, quiet=True)
    return {preset: root / preset for preset in ("dcgan", "cdcgan")}


TINY = {  # a few steps of each method; a method not listed here runs one epoch of its default preset
    "cnn": {"epochs": 1, "min_steps_per_epoch": 0},
    "cnn-shift": {"epochs": 1, "min_steps_per_epoch": 0},
    "cnn-original": {"epochs": 1},
    "pca-knn": {},
    "transfer": {"epochs": 2, "min_steps_per_epoch": 0, "gan": "dcgan"},  # one epoch frozen, one fine-tuned
    "transfer-scratch": {"epochs": 2, "min_steps_per_epoch": 0},
    "augment": {"epochs": 1, "synthetic": 100, "mixes": ["real+gen"], "gan": "cdcgan"},
    "ssl-gan": {"epochs": 1, "batch_size": 50, "labelled_batch": 50},
    "pi-model": {"epochs": 1, "batch_size": 50, "labelled_batch": 50},
    "fixmatch": {"steps": 2, "batch_size": 16, "mu": 2},
    "mean-teacher": {"steps": 2, "batch_size": 16, "mu": 2},
}


def test_the_folder_is_a_colour_32x32_dataset(folder):
    data = load_dataset(str(folder))
    assert data.shape == (3, 32, 32) and data.preparation == "resize"
    assert len(data.train_images) == 300 and len(data.test_images) == 100 and len(data.unlabelled_images) == 200


@pytest.mark.parametrize("method", method_names("classifier"))
def test_every_method_runs_on_a_colour_folder(method, folder, gans, tmp_path):
    settings = dict(TINY.get(method, {"epochs": 1}))
    if "gan" in settings:
        settings["gan"] = str(gans[settings["gan"]])
    out = tmp_path / method
    results = api.run(method, dataset=str(folder), labels="100", out=out, quiet=True, **settings)
    assert 0 <= results["test_accuracy"] <= 1 and results["n_labelled"] == 100
    assert method == "pca-knn" or any(out.rglob("model.safetensors"))
    data = load_dataset(str(folder))
    config = json.loads((out / "config.json").read_text())
    for record in (config, results):  # the folder's absolute path and the checksum of its files
        assert record["dataset"] == str(folder) and record["dataset_checksum"] == data.checksum
    for weights in out.rglob("model.safetensors"):  # augment: one per mix, in sub-directories
        model, meta = load_classifier(weights)
        assert meta["shape"] == [3, 32, 32] and meta["preparation"] == "resize"
        assert model.eval()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.slow
def test_semi_supervised_methods_also_train_on_unlabelled_images(folder, monkeypatch, tmp_path):
    from ganclf.methods import ssl_gan
    seen = []
    real = ssl_gan._unlabelled
    monkeypatch.setattr(ssl_gan, "_unlabelled", lambda *a: seen.append(real(*a)) or seen[-1])
    api.run("ssl-gan", dataset=str(folder), labels="100", out=tmp_path / "s", quiet=True, **TINY["ssl-gan"])
    split = json.loads((tmp_path / "s" / "split.json").read_text())
    n_pool = 300 - len(split["labelled"]) - len(split["validation"])
    assert len(seen[0]) == n_pool + UNLABELLED


def test_gans_on_the_folder_sample_its_shape(gans, folder, tmp_path):
    from ganclf.methods.gan import load_gan, sample
    for preset, run_dir in gans.items():
        g, _, meta = load_gan(run_dir)
        assert meta["shape"] == [3, 32, 32] and meta["dataset_ref"] == str(folder)
        images, labels = sample(g, 20, seed=1)
        assert images.shape == (20, 3, 32, 32) and (labels is not None) == (preset == "cdcgan")
    info = api.sample(gans["cdcgan"], n=20, out=tmp_path / "grid.png", npz=tmp_path / "s.npz")
    assert info["n"] == 20 and np.load(tmp_path / "s.npz")["images"].shape == (20, 32, 32, 3)
    assert Image.open(tmp_path / "grid.png").mode in ("RGB", "RGBA")


@pytest.mark.slow
def test_quality_measures_take_the_folder_shape(gans, folder):
    from ganclf.methods.gan import load_gan, sample
    from ganclf.methods.quality import classification_accuracy_score, feature_network, gan_quality
    data = load_dataset(str(folder))
    net = feature_network(data, epochs=1)
    images, labels = sample(load_gan(gans["cdcgan"])[0], 100, seed=0)
    quality = gan_quality(images, labels, data, net)
    assert np.isfinite(quality["fid"]) and 0 <= quality["label_accuracy"] <= 1
    assert 0 <= classification_accuracy_score(images, labels, data, epochs=1)["cas"] <= 1
    with pytest.raises(ValueError, match="3, 32, 32"):
        gan_quality(images[:, :1], labels, data, net)


def test_predict_prepares_images_as_the_folder_was(folder, tmp_path):
    out = tmp_path / "cnn"
    api.run("cnn", dataset=str(folder), labels="100", out=out, quiet=True, **TINY["cnn"])
    paths = sorted((folder / "test").glob("*/*.png"))[::7]
    answers = api.predict(out, paths)
    model, _ = load_classifier(out / "model.safetensors")
    data = load_dataset(str(folder))
    from ganclf.data import to_float
    from ganclf.train import predict_logits
    expected = predict_logits(model, to_float(data.test_images[::7])).argmax(1)
    # the test images are listed by class and name, as sorted() lists the files
    assert [a["index"] for a in answers] == expected.tolist()
    assert all(a["class"] == data.classes[a["index"]] for a in answers)


@pytest.mark.slow
def test_cli_trains_on_a_folder(folder, tmp_path):
    result = subprocess.run([sys.executable, "-m", "ganclf", "baseline", "--method", "pca-knn", "--dataset",
                             str(folder), "--labels", "100", "--out", str(tmp_path / "pk"), "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "pk" / "results.json").read_text())["dataset"] == str(folder)


def test_a_changed_folder_is_refused_when_its_run_is_reused(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    api.run("pca-knn", dataset=str(copy), labels="100", out=tmp_path / "pk", quiet=True)
    assert api.run("pca-knn", dataset=str(copy), labels="100", out=tmp_path / "pk", quiet=True, reuse=True)
    image = next((copy / "train" / "3").iterdir())
    Image.fromarray(255 - np.asarray(Image.open(image))).save(image)
    with pytest.raises(RunError, match="checksum differs"):
        api.run("pca-knn", dataset=str(copy), labels="100", out=tmp_path / "pk", quiet=True, reuse=True)


def test_budgets_and_unlabelled_images_a_folder_cannot_give_are_one_line_errors(folder, tmp_path):
    with pytest.raises(BudgetError, match="exceeds"):
        api.run("cnn", dataset=str(folder), labels="1000", out=tmp_path / "big", quiet=True)
    only_train = tmp_path / "only-train"
    shutil.copytree(folder / "train", only_train / "train")
    with pytest.raises(ConfigError, match="needs unlabelled images"):
        api.run("ssl-gan", dataset=str(only_train), labels="all", out=tmp_path / "ssl", quiet=True)
    assert not (tmp_path / "ssl").exists()  # refused before a run directory was made
    if "pi-model" in REGISTRY:
        with pytest.raises(ConfigError, match="needs unlabelled images"):
            api.run("pi-model", dataset=str(only_train), labels="all", out=tmp_path / "pi", quiet=True)


def test_checkpoints_without_a_shape_are_mnist_ones():
    from ganclf.methods.classify import image_shape
    assert image_shape({"classifier": "cnn"}) == (1, 28, 28)  # written before shapes were recorded
    assert image_shape({"shape": [3, 32, 32]}) == (3, 32, 32)
