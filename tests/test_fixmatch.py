import json
import math
import sys

import pytest
import torch

from ganclf import api
from ganclf.cli import main
from ganclf.config import ConfigError
from ganclf.methods import semi as S

from conftest import interrupt_in_second_epoch


def test_pseudo_labels_pass_only_confident_weak_predictions():
    logits = torch.tensor([[10.0, 0, 0], [1.0, 1.2, 0], [0, 0, 9.0]])
    labels, mask = S.pseudo_labels(logits, 0.95)
    assert labels.tolist() == [0, 1, 2] and mask.tolist() == [1.0, 0.0, 1.0]
    assert S.pseudo_labels(logits, 0.3)[1].tolist() == [1.0, 1.0, 1.0]


def test_fixmatch_loss_is_masked_cross_entropy_over_the_whole_batch():
    torch.manual_seed(0)
    strong = torch.randn(4, 3, requires_grad=True)
    weak = torch.tensor([[10.0, 0, 0], [0, 0, 0], [0, 10.0, 0], [0, 0, 0]], requires_grad=True)
    loss, share = S.fixmatch_loss(strong, weak, 0.95)
    ce = torch.nn.functional.cross_entropy(strong.detach(), torch.tensor([0, 0, 1, 0]), reduction="none")
    assert torch.isclose(loss, (ce[0] + ce[2]) / 4) and share == 0.5  # divided by all 4, not the 2 kept
    loss.backward()
    assert weak.grad is None and strong.grad[1].abs().sum() == 0  # the weak view is a target; masked rows learn nothing
    assert S.fixmatch_loss(strong, torch.zeros(4, 3), 0.95)[0] == 0  # nothing confident: no loss


def test_mean_teacher_loss_rampup_and_schedules():
    a, b = torch.full((2, 4), 50.0), torch.zeros(2, 4)
    assert S.mean_teacher_loss(a, a + 3) == 0  # the same softmax
    expected = ((a.softmax(1) - b.softmax(1)) ** 2).mean()
    assert torch.isclose(S.mean_teacher_loss(a, b), expected)
    assert S.rampup_factor(0, 0) == 1.0 and math.isclose(S.rampup_factor(0, 100), math.exp(-5))
    assert S.rampup_factor(50, 100) < S.rampup_factor(100, 100) == 1.0 == S.rampup_factor(500, 100)
    assert S.lr_factor(0, 100) == 1.0 and math.isclose(S.lr_factor(100, 100), math.cos(7 * math.pi / 16))
    cfg = S.SemiConfig()
    assert S.ema_decay(cfg, 0) == 0 and S.ema_decay(cfg, 9) == 0.9 and S.ema_decay(cfg, 10 ** 6) == cfg.ema


@pytest.mark.parametrize("channels", [1, 3])
def test_strong_augmentation_keeps_shape_and_range(channels):
    torch.manual_seed(0)
    images = torch.rand(64, channels, 28, 28) * 2 - 1
    cfg = S.SemiConfig(flip=True)
    out = S.strong_view(images, cfg, S.strong_augmentation(channels))
    assert out.shape == images.shape and out.dtype == images.dtype
    assert out.min() >= -1 and out.max() <= 1 and not torch.equal(out, images)
    weak = S.weak_view(images, cfg)
    assert weak.shape == images.shape and weak.min() >= -1 and weak.max() <= 1


def test_a_missing_kornia_is_a_one_line_error_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "kornia", None)  # import kornia.augmentation now fails
    with pytest.raises(SystemExit) as exit_:
        main(["run", "fixmatch", "--out", str(tmp_path / "r"), "--quiet"])
    assert "pip install 'ganclf[fixmatch]'" in str(exit_.value) and "\n" not in str(exit_.value)
    assert not (tmp_path / "r").exists()
    S.check(S.MT_PRESETS["default"])  # mean-teacher needs no strong augmentation


def test_too_few_unlabelled_images_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match="fewer than one batch of 448"):
        api.run("fixmatch", labels="all", out=tmp_path / "r", quiet=True)
    assert not (tmp_path / "r").exists()
    with pytest.raises(SystemExit) as exit_:
        main(["run", "mean-teacher", "--labels", "all", "--out", str(tmp_path / "m"), "--quiet"])
    assert "needs unlabelled images" in str(exit_.value) and "\n" not in str(exit_.value)


# A few steps of small batches on a narrow cnn (testing 10,000 images at full width takes ~10 s on one thread),
# threshold low enough that the pseudo-label path runs, fp32 so numbers are exact.
TINY = {"steps": 4, "steps_per_epoch": 2, "batch_size": 16, "mu": 2, "threshold": 0.1, "bf16": False, "width": 4}


def _run(method, out, **extra):
    return api.run(method, **{"labels": "100", "seed": 0, "out": out, "validation": 500, "quiet": True, **TINY,
                              **extra})


def _lines(run):
    drop = lambda r: {k: v for k, v in r.items() if k != "epoch_time_s"}  # noqa: E731
    return [drop(json.loads(x)) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_mean_teacher_same_seed_same_numbers(tmp_path):
    first, second = (_run("mean-teacher", tmp_path / d, rampup=0.25) for d in "ab")
    assert first["test_accuracy"] == second["test_accuracy"] and _lines(tmp_path / "a") == _lines(tmp_path / "b")
    assert _lines(tmp_path / "a")[-1]["weight_unl"] == S.MT_PRESETS["default"].unlabelled_weight  # ramped up


def test_fixmatch_same_seed_same_numbers_and_resume_after_an_interruption(tmp_path, monkeypatch):
    full, again = _run("fixmatch", tmp_path / "full"), _run("fixmatch", tmp_path / "again")
    lines = _lines(tmp_path / "full")
    assert full["test_accuracy"] == again["test_accuracy"] and lines == _lines(tmp_path / "again")
    assert full["steps"] == 4 and full["labelled_images_shown"] == 64 and full["unlabelled_images_shown"] == 128
    assert full["real_images"] == 192 and [r["steps"] for r in lines] == [2, 2]
    assert all(r["mask"] == 1.0 for r in lines)  # every image passed the low threshold: the strong path ran

    interrupt_in_second_epoch(monkeypatch, S, lambda: _run("fixmatch", tmp_path / "part"))
    assert len(_lines(tmp_path / "part")) == 1
    resumed = _run("fixmatch", tmp_path / "part", resume=True)
    assert resumed["test_accuracy"] == full["test_accuracy"] and resumed["val_accuracy"] == full["val_accuracy"]
    assert _lines(tmp_path / "part") == lines and resumed["steps"] == 4

    from ganclf.methods.classify import load_classifier  # predict's way of reading the run
    model, meta = load_classifier(tmp_path / "full" / "model.safetensors")
    assert meta["classifier"] == "cnn" and meta["classifier_kwargs"] == {"width": 4}
    assert model.eval()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_the_average_covers_batchnorm_statistics():
    model, ema = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    model.train()(torch.randn(64, 3) + 5)  # the model's running mean moves towards 5
    S.average_into(ema, model, 0.75)
    assert torch.allclose(ema.running_mean, 0.25 * model.running_mean) and ema.running_mean.abs().min() > 0.05
