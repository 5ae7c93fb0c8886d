"""The verdict: controls differ from their GAN method by the GAN alone, label costs are counted, paired intervals
decide the words."""
import itertools
import json
from pathlib import Path

import pytest
import torch

from ganclf import api
from ganclf.methods import get_method
from ganclf.studies import PRESETS, verdicts
from ganclf.studies.declared import load_plan
from ganclf.studies.estimate import planned_steps
from ganclf.studies.plan import Cell

from conftest import MNIST_DIR

PLANS = Path(__file__).resolve().parents[1] / "plans"


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


STUDIES = [f"preset {name}" for name in sorted(PRESETS)] + sorted(str(p) for p in PLANS.glob("*.toml"))


@pytest.mark.parametrize("study", STUDIES)
def test_every_declared_pair_trains_its_arms_for_the_same_steps(study):
    """A GAN method and its control in a study's declared family plan equal optimizer steps in every cell, so
    neither arm wins by training longer."""
    cfg = PRESETS[study.split()[1]] if study.startswith("preset ") else load_plan(study, allow_uncommitted=True)[0]
    assert cfg.primary()
    for method, control in cfg.primary():
        for dataset, validation, labels in itertools.product(cfg.datasets, cfg.validation, cfg.labels):
            steps = [planned_steps(Cell(m, dataset, labels, cfg.first_seed, dict(cfg.settings.get(m, {})),
                                        validation=validation)) for m in (method, control)]
            # each network the GAN arm trains (augment: one per mix) takes the control's steps
            assert set(steps[0]) == set(steps[1]) and sum(steps[0]) > 0, (study, method, control, dataset, labels)
