import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from ganclf import api
from ganclf.methods.gan import GANConfig, d_loss, g_loss, load_gan, sample
from ganclf.models.gans import GANS, build_gan
from ganclf.runs import load_checkpoint

from conftest import MNIST_DIR

TINY = dict(labels="200", epochs=2, batch_size=50, min_steps_per_epoch=0, quiet=True)  # 4 steps an epoch: seconds


def cli(*args):
    return subprocess.run([sys.executable, "-m", "ganclf", *args], capture_output=True, text=True)


@pytest.mark.parametrize("model, preset", sorted(GANS))
def test_every_registered_gan_has_matching_shapes(model, preset):
    g, d = build_gan(model, preset)
    y = torch.arange(4) if g.conditional else None
    images = g(torch.randn(4, g.z_dim), y)
    assert images.shape == (4, 1, 28, 28) and images.abs().max() <= 1
    assert d(images, y).shape == (4,)
    assert d.features(images).shape == (4, d.feature_dim)  # no label: what transfer learning sees


def test_conditional_generator_needs_labels():
    g, _ = build_gan("cdcgan")
    with pytest.raises(ValueError, match="needs labels"):
        g(torch.randn(2, g.z_dim))


def test_losses_match_their_formulas():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    sigmoid = torch.sigmoid
    expected = -(torch.log(sigmoid(real)).mean() + torch.log(1 - sigmoid(fake)).mean())
    assert torch.allclose(d_loss(real, fake, GANConfig()), expected)
    assert torch.allclose(g_loss(fake, GANConfig()), -torch.log(sigmoid(fake)).mean())
    hinge = GANConfig(loss="hinge")
    assert torch.allclose(d_loss(real, fake, hinge), torch.tensor((0 + 2) / 2 + (1.5 + 0) / 2))
    assert torch.allclose(g_loss(fake, hinge), torch.tensor(1.25))


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "dcgan"
    return out, api.train_gan("dcgan", out=out, seed=3, data_dir=MNIST_DIR, **TINY)


@pytest.fixture(scope="module")
def cdcgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "cdcgan"
    return out, api.train_gan("cdcgan", out=out, seed=0, data_dir=MNIST_DIR, **TINY)


def test_gan_run_writes_samples_curves_checkpoint(dcgan_run):
    out, results = dcgan_run
    assert {"checkpoint.safetensors", "losses.png", "samples.png", "metrics.jsonl", "results.json"} <= \
        {p.name for p in out.iterdir()}
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch0001.png", "epoch0002.png"]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert all(0 <= r["d_real_acc"] <= 1 and np.isfinite(r["g_loss"]) for r in records)
    assert results["epochs"] == 2 and results["n_labelled"] == 200


def test_resume_gives_the_uninterrupted_numbers(tmp_path, dcgan_run, monkeypatch):
    out, _ = dcgan_run
    from ganclf.methods import gan
    save_grid = gan.save_grid

    def interrupt_in_epoch_two(images, path, nrow):  # after epoch 2's steps, before its checkpoint
        if "epoch0002" in str(path):
            raise KeyboardInterrupt
        save_grid(images, path, nrow)

    monkeypatch.setattr(gan, "save_grid", interrupt_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        api.train_gan("dcgan", out=tmp_path / "r", seed=3, **TINY)
    monkeypatch.setattr(gan, "save_grid", save_grid)
    api.train_gan(resume=tmp_path / "r", quiet=True)
    resumed, meta = load_checkpoint(tmp_path / "r" / "checkpoint.safetensors")
    straight, _ = load_checkpoint(out / "checkpoint.safetensors")
    assert meta["epoch"] == 2
    for name in ("G", "D", "G_ema"):
        for key, value in straight["modules"][name].items():
            assert torch.equal(value, resumed["modules"][name][key]), (name, key)
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_a_finished_run_is_not_extended(tmp_path, dcgan_run):
    result = cli("train-gan", "--resume", str(dcgan_run[0]), "--epochs", "5", "--quiet")
    assert result.returncode != 0 and "already holds a finished run" in result.stderr


@pytest.mark.slow
def test_sigkilled_run_resumes_from_its_last_checkpoint(tmp_path):
    out = tmp_path / "killed"
    args = ["train-gan", "--model", "gan", "--labels", "200", "--batch-size", "50", "--epochs", "200",
            "--quiet", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "ganclf", *args])
    deadline = time.time() + 120
    while not (out / "checkpoint.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _, meta = load_checkpoint(out / "checkpoint.safetensors")  # complete, whatever moment the kill came
    result = cli("train-gan", "--resume", str(out), "--epochs", str(meta["epoch"] + 1), "--quiet")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, meta["epoch"] + 2))


def test_diverging_gan_stops_and_keeps_its_last_good_checkpoint(tmp_path, monkeypatch):
    api.train_gan("dcgan", out=tmp_path / "d", **{**TINY, "epochs": 1})
    (tmp_path / "d" / "results.json").unlink()  # as if it had been stopped after its first epoch
    before, _ = load_checkpoint(tmp_path / "d" / "checkpoint.safetensors")
    monkeypatch.setattr("ganclf.methods.gan.g_loss", lambda logit, cfg: logit.mean() * float("nan"))
    result = None
    with pytest.raises(Exception, match="non-finite") as err:
        result = api.train_gan(resume=tmp_path / "d", epochs=2, quiet=True)
    assert result is None and "TrainingDiverged" in type(err.value).__name__
    after, meta = load_checkpoint(tmp_path / "d" / "checkpoint.safetensors")
    assert meta["epoch"] == 1 and torch.equal(before["modules"]["G"]["stem.0.weight"], after["modules"]["G"]["stem.0.weight"])


def test_sampling_is_seeded_and_class_balanced(cdcgan_run):
    out, _ = cdcgan_run
    g, _, meta = load_gan(out)
    a, labels = sample(g, 50, seed=1)
    b, _ = sample(g, 50, seed=1)
    assert torch.equal(a, b) and np.bincount(labels.numpy()).tolist() == [5] * 10
    sevens, labels = sample(g, 4, labels=7)
    assert labels.tolist() == [7] * 4 and meta["model"] == "cdcgan"


def test_sample_command_writes_grid_and_arrays(tmp_path, cdcgan_run, dcgan_run):
    out, _ = cdcgan_run
    result = cli("sample", "--run", str(out), "--n", "20", "--label", "3", "--out", str(tmp_path / "g.png"),
                 "--npz", str(tmp_path / "s.npz"))
    assert result.returncode == 0, result.stderr
    arrays = np.load(tmp_path / "s.npz")
    assert arrays["images"].shape == (20, 28, 28) and arrays["images"].dtype == np.uint8
    assert arrays["labels"].tolist() == [3] * 20
    assert Image.open(tmp_path / "g.png").size[0] > 28 * 10
    result = cli("sample", "--run", str(dcgan_run[0]), "--label", "3")
    assert result.returncode != 0 and "needs a cdcgan" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["train-gan", "--model", "vae"], "unknown train-gan preset"),
    (["train-gan", "--loss", "wasserstein"], "unknown GAN loss"),
    (["train-gan", "--resume", "/nonexistent"], "not a run directory"),
    (["sample", "--run", "/nonexistent"], "no GAN checkpoint"),
    (["transfer", "--gan", "/nonexistent"], "no GAN checkpoint"),
])
def test_gan_cli_errors_are_one_line(args, message):
    result = cli(*args)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_transfer_end_to_end_and_predict(tmp_path, dcgan_run):
    out, _ = dcgan_run
    results = api.transfer(out, labels="100", out=tmp_path / "t", epochs=2, unfreeze_after=1, compare=False,
                           quiet=True)
    assert results["test_accuracy"] > 0.2 and results["transfer_config"]["unfreeze_after"] == 1
    records = [json.loads(line) for line in (tmp_path / "t" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 13:16] = 255
    Image.fromarray(digit).save(tmp_path / "one.png")
    [prediction] = api.predict(tmp_path / "t", [tmp_path / "one.png"])
    assert prediction["class"] in [str(c) for c in range(10)]


def test_transfer_frozen_body_stays_put(tmp_path, dcgan_run):
    out, _ = dcgan_run
    api.transfer(out, labels="100", out=tmp_path / "t", preset="original-trial1", epochs=1, compare=False, quiet=True)
    trained, _ = load_checkpoint(tmp_path / "t" / "model.safetensors")
    gan, _ = load_checkpoint(out / "checkpoint.safetensors")
    body = {k[len("discriminator."):]: v for k, v in trained["model"].items() if k.startswith("discriminator.")}
    assert all(torch.equal(v, gan["modules"]["D"][k]) for k, v in body.items())


@pytest.mark.slow
def test_augment_compares_three_mixes(tmp_path, cdcgan_run):
    out, _ = cdcgan_run
    from ganclf.methods import augment
    results = api.augment(out, labels="200", out=tmp_path / "a", synthetic=200, epochs=1, quiet=True)
    assert set(results["mixes"]) == set(augment.MIXES)
    assert results["gan_labels_inside_budget"]  # same seed, same budget: the cGAN saw only these labels
    assert all(0 <= m["test_accuracy"] <= 1 for m in results["mixes"].values())
    assert (tmp_path / "a" / "real_gen" / "results.json").exists()


def test_augment_refuses_an_unconditional_gan(dcgan_run):
    with pytest.raises(ValueError, match="needs labelled samples"):
        api.augment(dcgan_run[0])


def test_evaluate_gan_stores_quality_in_results(cdcgan_run, monkeypatch):
    from ganclf.methods import quality as q
    feature_network, cas = q.feature_network, q.classification_accuracy_score
    # quicker, weaker networks than the real ones: this checks the plumbing, not the numbers
    monkeypatch.setattr(q, "feature_network", lambda data, quiet: feature_network(data, epochs=1, max_images=1000))
    monkeypatch.setattr(q, "classification_accuracy_score", lambda *args, epochs=None: cas(*args, epochs=1))
    out, _ = cdcgan_run
    quality = api.evaluate_gan(out, n=500, quiet=True)
    assert quality["fid"] > 0 and 0 <= quality["precision"] <= 1 and 0 <= quality["recall"] <= 1
    assert 0 <= quality["cas"] <= 1 and 0 <= quality["label_accuracy"] <= 1
    assert json.loads((out / "results.json").read_text())["quality"]["n_samples"] == 500


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                    reason="needs Debian's dataset-fashion-mnist (.ci/run installs it)")
def test_fashion_mnist_needs_no_code_change(tmp_path):
    results = api.train_gan("cdcgan", dataset="fashion-mnist", labels="200", epochs=1, batch_size=50,
                            min_steps_per_epoch=4, out=tmp_path / "g", quiet=True)
    g, _, meta = load_gan(tmp_path / "g")
    assert results["dataset"] == "fashion-mnist" and "Sneaker" in meta["classes"]
    transferred = api.transfer(tmp_path / "g", labels="100", out=tmp_path / "t", epochs=1, compare=False, quiet=True)
    assert transferred["dataset"] == "fashion-mnist" and 0 <= transferred["test_accuracy"] <= 1


@pytest.mark.slow
def test_interrupted_augment_reads_finished_mixes(tmp_path, cdcgan_run, monkeypatch):
    out, _ = cdcgan_run
    from ganclf.methods import augment
    train_mix = augment._train_mix

    def stop_after_real(mix, *args):
        if mix != "real":
            raise KeyboardInterrupt
        return train_mix(mix, *args)

    monkeypatch.setattr(augment, "_train_mix", stop_after_real)
    with pytest.raises(KeyboardInterrupt):
        api.augment(out, labels="200", out=tmp_path / "a", synthetic=100, epochs=1, quiet=True)
    monkeypatch.setattr(augment, "_train_mix", train_mix)
    real = json.loads((tmp_path / "a" / "real" / "results.json").read_text())
    results = api.augment(out, labels="200", out=tmp_path / "a", synthetic=100, epochs=1, resume=True, quiet=True)
    assert results["mixes"]["real"]["test_accuracy"] == real["test_accuracy"] and "gen" in results["mixes"]


@pytest.mark.parametrize("share, real_copies", [(0.5, 10), (0.25, 3), (0, 1), (None, 1)])
def test_real_share_repeats_the_real_images(share, real_copies):
    from ganclf.methods.augment import _mix_real
    real = (torch.zeros(100, 1, 28, 28), torch.zeros(100, dtype=torch.long))
    synthetic = (torch.ones(1000, 1, 28, 28), torch.ones(1000, dtype=torch.long))
    (images, labels), real_rows = _mix_real(real, synthetic, share)
    assert real_rows == 100 * real_copies and len(images) == 100 * real_copies + 1000 and int((labels == 0).sum()) == 100 * real_copies
    assert int(images.sum()) == 1000 * 28 * 28  # the generated images, each once
