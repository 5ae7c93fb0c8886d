"""The verdict: controls differ from their GAN method by the GAN alone, label costs are counted, paired intervals
decide the words."""
import json

import pytest
import torch

from ganclf import api
from ganclf.methods import get_method
from ganclf.studies import PRESETS, verdicts

from conftest import MNIST_DIR


def _rows(method, accuracies, labels="100"):
    return [{"dataset": "mnist", "validation": None, "n_validation": 5000, "method": method, "labels": labels,
             "seed": seed, "n_labelled": 100, "labels_used": 5100, "test_accuracy": acc}
            for seed, acc in enumerate(accuracies)]


def test_a_method_identical_to_its_control_is_no_detectable_difference():
    same = [0.91, 0.93, 0.90, 0.92, 0.94]
    [row] = verdicts(_rows("ssl-gan", same) + _rows("pi-model", same), [("ssl-gan", "pi-model")])
    assert row["verdict"] == "no detectable difference" and row["n"] == 5 and row["labels_used"] == 5100


def test_a_clearly_better_method_helps_and_the_sentence_counts_validation_labels():
    control = [0.90, 0.92, 0.89, 0.91, 0.93]
    better = [a + 0.05 + 0.002 * i for i, a in enumerate(control)]
    [row] = verdicts(_rows("ssl-gan", better) + _rows("pi-model", control), [("ssl-gan", "pi-model")])
    assert row["verdict"] == "helps" and row["ci_low"] > 0
    assert "helps" in row["sentence"] and "5,000 validation" in row["sentence"]


def test_each_gan_method_has_a_control_that_differs_by_the_gan_alone():
    from dataclasses import replace
    for method, control, setting in (("ssl-gan", "pi-model", {"generator": False}),
                                     ("transfer", "transfer-scratch", {"pretrained": False})):
        m, c = get_method(method), get_method(control)
        assert m.control == control
        for name, cfg in m.presets.items():
            assert c.presets[name] == replace(cfg, **setting), (method, name)
    cnn, shifted = get_method("cnn").presets["default"], get_method("cnn-shift").presets["default"]
    assert replace(shifted, train=replace(shifted.train, shift=0)) == cnn and shifted.train.shift > 0
    verdict = PRESETS["verdict"]
    assert ("augment", "cnn-shift") in verdict.pairs()
    assert verdict.settings["augment"]["shift"] == shifted.train.shift  # augment shifts as its control does


def _tiny_ssl(monkeypatch):
    from ganclf.methods import ssl_gan as S
    tiny = S.SSLConfig(epochs=1, batch_size=100, bf16=False, shift=1, consistency_weight=1.0)
    monkeypatch.setitem(S.PRESETS, "tiny", tiny)
    monkeypatch.setitem(get_method("pi-model").presets, "tiny", S.replace(tiny, generator=False))
    monkeypatch.setattr(S, "_steps_per_epoch", lambda n_unl, cfg: 3)


def test_pi_model_trains_without_a_generator(tmp_path, monkeypatch):
    _tiny_ssl(monkeypatch)
    r = api.run("pi-model", labels="100", out=tmp_path / "pi", preset="tiny", data_dir=MNIST_DIR, quiet=True)
    assert r["method"] == "pi-model" and 0 <= r["test_accuracy"] <= 1
    assert not (tmp_path / "pi" / "samples.png").exists()
    [record] = [json.loads(line) for line in (tmp_path / "pi" / "metrics.jsonl").read_text().splitlines()]
    assert record["loss_unl"] == 0 and record["loss_gen"] == 0
    assert record["loss_cons"] > 0  # logged, so a consistency collapse (it falls to ~0) can be seen


@pytest.mark.slow
def test_transfer_scratch_needs_no_gan_and_shares_the_head_initialisation(tmp_path):
    r = api.run("transfer-scratch", labels="100", out=tmp_path / "t", epochs=1, data_dir=MNIST_DIR, quiet=True)
    assert r["method"] == "transfer-scratch" and r["transfer_config"]["pretrained"] is False
    assert 0 <= r["test_accuracy"] <= 1


def test_without_validation_the_budget_is_every_label_used(tmp_path):
    r = api.run("cnn", labels="100", validation=0, out=tmp_path / "c", epochs=1, data_dir=MNIST_DIR, quiet=True)
    assert r["n_validation"] == 0 and r["labels_used"] == 100 and r["val_accuracy"] is None
    assert r["split"].endswith(".val0")
    assert r["provenance"]["threads"] == torch.get_num_threads() and r["dataset_checksum"]


@pytest.mark.parametrize("bad", [-1, 60000])
def test_impossible_validation_sizes_are_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="validation size"):
        api.run("cnn", labels="100", validation=bad, out=tmp_path / "c", data_dir=MNIST_DIR, quiet=True)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_study_preset_trains_a_control_as_its_gan_method(name):
    """A preset that shortens a GAN method shortens its control alike, or the pair differs by more than the GAN."""
    cfg = PRESETS[name]
    for method, control in (("ssl-gan", "pi-model"), ("transfer", "transfer-scratch")):
        if method in cfg.methods and control in cfg.methods:
            assert cfg.settings.get(method) == cfg.settings.get(control), (name, method)
