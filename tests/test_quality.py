import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm

from ganclf.metrics import frechet_distance, precision_recall


def _exact_gaussian(n, cov, mean, seed):
    """Samples whose sample mean and covariance are exactly `mean` and `cov` (whitened, then coloured)."""
    x = np.random.default_rng(seed).standard_normal((n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T))).T
    return x @ np.linalg.cholesky(cov).T + mean


def test_frechet_distance_of_identical_sets_is_zero():
    feats = torch.randn(2000, 32, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(feats, feats.clone()[torch.randperm(2000)]) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_shifted_scaled_gaussians_matches_closed_form():
    # N(0, I) vs N(mu, 4I): |mu|^2 + tr(I + 4I - 2*2I) = |mu|^2 + d
    d, mu = 6, np.full(6, 0.5)
    a, b = _exact_gaussian(500, np.eye(d), np.zeros(d), 0), _exact_gaussian(700, 4 * np.eye(d), mu, 1)
    assert frechet_distance(a, b) == pytest.approx(mu @ mu + d, rel=1e-9)


def test_frechet_distance_with_non_commuting_covariances_matches_sqrtm():
    rng = np.random.default_rng(2)
    m1, m2 = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(5), m2 @ m2.T + 0.1 * np.eye(5)
    mean = rng.standard_normal(5)
    a, b = _exact_gaussian(400, s1, np.zeros(5), 3), _exact_gaussian(400, s2, mean, 4)
    expected = mean @ mean + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
    assert frechet_distance(torch.tensor(a, dtype=torch.float32), b) == pytest.approx(expected, rel=1e-5)


def test_precision_recall_of_identical_and_far_apart_sets():
    real = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real, real) == (1.0, 1.0)
    assert precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_precision_recall_separates_fidelity_from_coverage():
    # Fakes collapsed onto a quarter of the real cloud: faithful (high precision) but not covering (low recall).
    real = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    tail = real[real[:, 0] > 0.7]
    collapsed = tail + 0.01 * torch.randn(tail.shape, generator=torch.Generator().manual_seed(1))
    precision, recall = precision_recall(real, collapsed, chunk=300)
    assert precision > 0.95 and recall < 0.5


# --- the feature network and the metrics computed in its features (real MNIST, a quick network) ---

@pytest.fixture(scope="module")
def net(mnist, tmp_path_factory):
    from ganclf.methods.quality import feature_network
    return feature_network(mnist, cache_dir=tmp_path_factory.mktemp("features"), epochs=1, max_images=5000)


@pytest.fixture(scope="module")
def reference(mnist, net):
    from ganclf.data import to_float
    from ganclf.methods.quality import embed
    return embed(net, to_float(mnist.test_images[:2000]))


def test_real_images_score_as_real_and_noise_does_not(mnist, net, reference):
    from ganclf.data import to_float
    from ganclf.methods.quality import gan_quality
    real = gan_quality(to_float(mnist.train_images[:2000]), None, mnist, net, reference)
    noise = gan_quality(torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1,
                        None, mnist, net, reference)
    assert real["fid"] < 10 and noise["fid"] > 100 * real["fid"]
    assert real["precision"] > 0.7 and real["recall"] > 0.7
    assert noise["precision"] == 0.0 and noise["recall"] == 0.0


def test_identical_image_sets_score_perfectly(mnist, net, reference):
    from ganclf.data import to_float
    from ganclf.methods.quality import gan_quality
    quality = gan_quality(to_float(mnist.test_images[:2000]), None, mnist, net, reference)
    assert quality == pytest.approx({"fid": 0.0, "precision": 1.0, "recall": 1.0}, abs=1e-6)


def test_label_accuracy_checks_the_intended_classes(mnist, net, reference):
    from ganclf.data import to_float
    from ganclf.methods.quality import gan_quality
    images, labels = to_float(mnist.train_images[:1000]), mnist.train_labels[:1000]
    assert gan_quality(images, labels, mnist, net, reference)["label_accuracy"] > 0.8
    assert gan_quality(images, (labels + 1) % 10, mnist, net, reference)["label_accuracy"] < 0.1


def test_embed_gives_the_input_of_the_final_layer(mnist, net):
    from ganclf.data import to_float
    from ganclf.methods.quality import embed
    images = to_float(mnist.test_images[:50])
    feats = embed(net, images)
    assert feats.shape == (50, net[-1].in_features) and feats.dtype == torch.float32
    torch.testing.assert_close(net[-1](feats), net(images))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        embed(net, images[:, 0])


def test_feature_network_is_cached_and_reloaded(mnist, monkeypatch):
    import os
    from ganclf.methods import quality
    first = quality.feature_network(mnist, epochs=1, max_images=500)
    name = f"mnist.seed0@500-1ep-{mnist.checksum[:16]}.safetensors"  # two folders of one name never share one
    path = os.path.join(os.environ["XDG_CACHE_HOME"], "ganclf", "features", name)
    assert os.path.isfile(path)  # in the tests' private cache, never the user's
    monkeypatch.setattr(quality, "fit", lambda *a, **k: pytest.fail("a cached feature network was retrained"))
    second = quality.feature_network(mnist, epochs=1, max_images=500)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_feature_network_from_another_recipe_is_retrained(mnist, tmp_path):
    from ganclf.methods import quality
    from ganclf.runs import load_checkpoint, save_checkpoint
    quality.feature_network(mnist, cache_dir=tmp_path, epochs=1, max_images=500)
    path = tmp_path / f"mnist.seed0@500-1ep-{mnist.checksum[:16]}.safetensors"
    state, metadata = load_checkpoint(path)
    save_checkpoint(path, state, {**metadata, "classifier_kwargs": {"width": 8}})
    with pytest.warns(UserWarning, match="another recipe"):
        quality.feature_network(mnist, cache_dir=tmp_path, epochs=1, max_images=500)
    assert load_checkpoint(path)[1]["classifier_kwargs"] == {"width": 16}


@pytest.mark.slow
def test_classification_accuracy_score(mnist):
    from ganclf.data import to_float
    from ganclf.methods.quality import classification_accuracy_score
    images, labels = to_float(mnist.train_images[:2000]), mnist.train_labels[:2000]
    good = classification_accuracy_score(images, labels, mnist, epochs=2)  # a "generator" as good as the data
    shuffled = classification_accuracy_score(images[:1000], labels[torch.randperm(1000)], mnist, epochs=1)
    assert good["cas"] > 0.8 and shuffled["cas"] < 0.3
    assert set(good) == {"cas", "cas_val_accuracy"}


@pytest.mark.slow
def test_training_the_feature_network_says_so_once_with_a_bar_that_quiet_silences(mnist, tmp_path, capsys):
    import logging
    from ganclf.methods.quality import feature_network
    notices = []
    handler = logging.Handler()
    handler.emit = notices.append
    quality_log = logging.getLogger("ganclf.quality")
    quality_log.addHandler(handler)
    quality_log.setLevel(logging.INFO)  # as an application that listens sets it
    try:
        feature_network(mnist, cache_dir=tmp_path / "a", epochs=1, max_images=500, quiet=True)
        assert capsys.readouterr().err == ""  # quiet: no bar
        feature_network(mnist, cache_dir=tmp_path / "b", epochs=1, max_images=500, quiet=False)
        assert "features" in capsys.readouterr().err  # the progress bar, on stderr
        feature_network(mnist, cache_dir=tmp_path / "b", epochs=1, max_images=500, quiet=False)  # cached
    finally:
        quality_log.removeHandler(handler)
        quality_log.setLevel(logging.NOTSET)
    messages = [r.getMessage() for r in notices]
    assert len(messages) == 2 and all(m.startswith("training the feature network for FID on mnist") for m in messages)
    assert str(tmp_path / "b") in messages[1] and "once, cached in" in messages[1]


# --- the feature networks shipped with ganclf (benchmarks/feature_networks.py) ---

@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_the_shipped_feature_networks_are_of_the_current_recipe_and_small(name):
    """A recipe change without retraining them would leave every fresh machine training its own network."""
    import hashlib
    import json
    from dataclasses import asdict
    from ganclf.data.datasets import DATASETS, _published_checksum
    from ganclf.methods import quality
    meta = json.loads((quality.SHIPPED / f"{name}.json").read_text())
    path = quality.SHIPPED / f"{name}.safetensors"
    arch, kwargs, cfg = quality._recipe(quality.FEATURE_EPOCHS)
    assert (meta["classifier"], meta["classifier_kwargs"], meta["train_config"]) == (arch, kwargs, asdict(cfg))
    assert meta["dataset_checksum"] == _published_checksum(DATASETS[name]) and meta["seed"] == quality.SEED
    assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and path.stat().st_size < 1_000_000
    assert meta["val_accuracy"] > (0.98 if name == "mnist" else 0.88)


def test_the_shipped_feature_network_is_used_without_training(mnist, monkeypatch):
    from ganclf.data import to_float
    from ganclf.methods import quality
    from ganclf.runs import load_checkpoint
    monkeypatch.setattr(quality, "fit", lambda *a, **k: pytest.fail("the shipped feature network was retrained"))
    net = quality.feature_network(mnist)
    shipped, _ = load_checkpoint(quality.SHIPPED / "mnist.safetensors")
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, shipped["model"][key])
    with torch.no_grad():
        predicted = net(to_float(mnist.test_images[:1000])).argmax(1)
    assert (predicted == mnist.test_labels[:1000]).float().mean() > 0.97


@pytest.fixture
def trained(monkeypatch):
    """Training the feature network, stubbed (the real one takes minutes): the calls it got."""
    from ganclf.methods import quality
    calls = []
    monkeypatch.setattr(quality, "_train", lambda model, *a: calls.append(1) or (model.state_dict(), {}))
    return calls


def test_a_shipped_file_that_is_not_the_one_recorded_is_not_used(mnist, tmp_path, monkeypatch, trained):
    import shutil
    from ganclf.methods import quality
    shutil.copytree(quality.SHIPPED, tmp_path / "features")
    monkeypatch.setattr(quality, "SHIPPED", tmp_path / "features")
    path = tmp_path / "features" / "mnist.safetensors"
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")  # one weight changed
    with pytest.warns(UserWarning, match="not the file ganclf shipped"):
        quality.feature_network(mnist, cache_dir=tmp_path / "cache")
    assert trained == [1] and (tmp_path / "cache" / f"mnist-{mnist.checksum[:16]}.safetensors").is_file()


@pytest.mark.parametrize("change", ["recipe", "data"])
def test_a_shipped_file_of_another_recipe_or_data_is_not_used(mnist, tmp_path, monkeypatch, trained, change):
    from dataclasses import replace
    from ganclf.methods import quality
    if change == "recipe":
        monkeypatch.setattr(quality, "FEATURE_EPOCHS", quality.FEATURE_EPOCHS + 1)
    dataset = replace(mnist, checksum="0" * 64) if change == "data" else mnist  # e.g. a folder named mnist
    quality.feature_network(dataset, cache_dir=tmp_path)
    assert trained == [1]
