import json
import math

import pytest
import torch

from ganclf import api
from ganclf.cli import main
from ganclf.methods import ssl_gan as S
from ganclf.models.ssl_nets import (DISCRIMINATORS, Generator, WNLinear, build_discriminator,
                                    data_dependent_init)

from conftest import interrupt_in_second_epoch


def _direct_unsupervised(l_unl, l_fake):
    """The paper's form with an explicit (K+1)-th logit fixed at 0: -log(1 - p_fake(real)) - log p_fake(fake)."""
    def p_fake_class(logits):
        return torch.cat([logits, torch.zeros(len(logits), 1, dtype=logits.dtype)], 1).softmax(1)[:, -1]

    p_unl, p_fake = p_fake_class(l_unl), p_fake_class(l_fake)
    return 0.5 * (-torch.log(1 - p_unl).mean() - torch.log(p_fake).mean())


def test_unsupervised_loss_matches_the_k_plus_one_softmax():
    torch.manual_seed(0)
    l_unl, l_fake = torch.randn(64, 10, dtype=torch.float64) * 3, torch.randn(32, 10, dtype=torch.float64) * 3
    assert torch.allclose(S.unsupervised_loss(l_unl, l_fake), _direct_unsupervised(l_unl, l_fake))


def test_unsupervised_loss_rewards_confident_real_and_low_fake_logits():
    real_high, fake_low = torch.full((4, 10), 10.0), torch.full((4, 10), -10.0)
    assert S.unsupervised_loss(real_high, fake_low) < 0.01
    assert S.unsupervised_loss(fake_low, real_high) > 5


def test_supervised_loss_is_cross_entropy_over_k_classes():
    logits, y = torch.randn(8, 10), torch.randint(0, 10, (8,))
    direct = -(logits.gather(1, y[:, None]).squeeze(1) - torch.logsumexp(logits, 1)).mean()
    assert torch.allclose(S.supervised_loss(logits, y), direct)


def test_generator_losses():
    real, fake = torch.randn(16, 5, requires_grad=True), torch.randn(16, 5, requires_grad=True)
    loss = S.feature_matching_loss(fake, real)
    assert torch.allclose(loss, ((fake.mean(0) - real.mean(0)) ** 2).mean())
    loss.backward()
    assert real.grad is None  # the real features are a target
    l_fake = torch.randn(8, 10)
    d_fake = torch.sigmoid(torch.logsumexp(l_fake, 1))  # D(x) = Z / (Z + 1)
    assert torch.allclose(S.minimax_generator_loss(l_fake), -torch.log(d_fake).mean(), atol=1e-6)


def test_conditional_entropy():
    assert torch.isclose(S.conditional_entropy(torch.zeros(3, 10)), torch.tensor(math.log(10)))
    assert S.conditional_entropy(torch.tensor([[50.0, 0, 0]])) < 1e-6


def test_lr_schedule_constant_then_linear_to_zero():
    cfg = S.SSLConfig(decay_start=0.5)
    assert S.lr_factor(cfg, 0, 100) == 1.0 and S.lr_factor(cfg, 49, 100) == 1.0
    assert math.isclose(S.lr_factor(cfg, 75, 100), 0.5) and S.lr_factor(cfg, 100, 100) == 0.0


def test_consistency_ramps_up_and_can_compare_probabilities():
    assert S.rampup_factor(S.SSLConfig(), 0, 100) == 1.0  # no ramp-up: full weight from the start
    cfg = S.SSLConfig(consistency_rampup=2)
    assert math.isclose(S.rampup_factor(cfg, 0, 100), math.exp(-5)) and S.rampup_factor(cfg, 200, 100) == 1.0
    assert S.rampup_factor(cfg, 100, 100) < S.rampup_factor(cfg, 150, 100) < 1.0
    a, b = torch.full((2, 10), 50.0), torch.zeros(2, 10)  # the same class ranking, far apart as logits
    assert S.consistency_loss(a, b, "probabilities") == 0 and S.consistency_loss(a, b) == 2500
    with pytest.raises(ValueError, match="consistency target"):
        S.SSLConfig(consistency_on="softmax")


def test_weight_norm_init_gives_unit_preactivations_and_scale_invariance():
    torch.manual_seed(0)
    layer = WNLinear(20, 7)
    x = torch.randn(500, 20) * 3 + 1
    data_dependent_init(layer, x)
    out = layer(x)
    assert torch.allclose(out.mean(0), torch.zeros(7), atol=1e-4)
    assert torch.allclose(out.std(0, unbiased=False), torch.ones(7), atol=1e-3)
    with torch.no_grad():
        layer.v.mul_(5.0)  # the direction's length does not change the output
    assert torch.allclose(layer(x), out, atol=1e-4)
    assert not layer.g.requires_grad  # hidden scales stay as the init set them


@pytest.mark.parametrize("arch", sorted(DISCRIMINATORS))
def test_discriminators_give_k_logits_and_features(arch):
    torch.manual_seed(0)
    D = build_discriminator(arch, 10)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    data_dependent_init(D, x)
    logits, features = D(x, with_features=True)
    assert logits.shape == (6, 10) and features.ndim == 2 and len(features) == 6
    D.eval()
    assert torch.equal(D(x), D(x))  # noise off when evaluating
    assert D.out.g.requires_grad


def test_conv_head_starts_with_small_logits():
    torch.manual_seed(0)
    D = build_discriminator("conv", 10).eval()
    x = torch.rand(200, 1, 28, 28) * 2 - 1
    data_dependent_init(D, x)
    assert torch.allclose(D(x).std(0, unbiased=False), torch.full((10,), 0.1), atol=1e-3)


def test_generator_output_range_and_shape():
    G = Generator()
    images = G(G.sample_z(8))
    assert images.shape == (8, 1, 28, 28) and images.min() >= -1 and images.max() <= 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="preset"):
        S.make_config("nope")
    with pytest.raises(ValueError, match="generator loss"):
        S.make_config(gen_loss="wasserstein")
    with pytest.raises(ValueError, match="architecture"):
        build_discriminator("resnet")
    with pytest.raises(ValueError, match="positive"):
        S.make_config(epochs=0)
    with pytest.raises(ValueError, match="unknown ssl-gan setting"):
        S.make_config(lerning_rate=1e-3)
    with pytest.raises(ValueError, match="shift"):
        S.make_config(shift=-1)


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ssl-gan", "--labels", "5", "--out", str(tmp_path / "r")])
    assert "ganclf: error:" in str(exit_.value) and "\n" not in str(exit_.value)
    with pytest.raises(SystemExit):
        main(["ssl-gan", "--arch", "transformer"])
    with pytest.raises(SystemExit) as exit_:
        main(["ssl-gan", "--shift", "-2", "--out", str(tmp_path / "r")])
    assert "shift" in str(exit_.value) and "\n" not in str(exit_.value)


def _tiny(monkeypatch):
    # A tiny, fast preset for end-to-end tests: few steps, no bf16 so numbers are exactly reproducible.
    # Shift and consistency on, so that resuming must restore the random streams they draw from too.
    monkeypatch.setitem(S.PRESETS, "tiny", S.SSLConfig(epochs=2, batch_size=100, sample_every=1, bf16=False,
                                                       shift=1, consistency_weight=1.0))
    monkeypatch.setattr(S, "_steps_per_epoch", lambda n_unl, cfg: 5)


@pytest.mark.slow
def test_end_to_end_and_resume_gives_identical_numbers(tmp_path, monkeypatch):
    _tiny(monkeypatch)
    full = api.ssl_gan(labels="100", seed=0, out=tmp_path / "full", preset="tiny", quiet=True)
    assert full["method"] == "ssl-gan" and 0 <= full["test_accuracy"] <= 1
    assert full["n_labelled"] == 100 and full["n_unlabelled"] == 55000 - 100
    run = tmp_path / "full"
    for name in ("results.json", "metrics.jsonl", "split.json", "checkpoint.safetensors", "model.safetensors",
                 "samples/epoch0001.png", "samples/epoch0002.png", "losses.png", "confusion.png"):
        assert (run / name).exists(), name
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2] and all(0 <= r["val_acc"] <= 1 for r in lines)

    # Interrupt during the second epoch, then resume: the same numbers as the uninterrupted run.
    interrupt_in_second_epoch(monkeypatch, S, lambda: api.ssl_gan(labels="100", seed=0, out=tmp_path / "part",
                                                                  preset="tiny", quiet=True))
    resumed = api.ssl_gan(labels="100", seed=0, out=tmp_path / "part", preset="tiny", resume=True, quiet=True)
    assert resumed["test_accuracy"] == full["test_accuracy"]
    assert resumed["val_accuracy"] == full["val_accuracy"]
    resumed_lines = [json.loads(x) for x in (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()]
    drop = lambda r: {k: v for k, v in r.items() if k != "epoch_time_s"}  # noqa: E731
    assert [drop(r) for r in resumed_lines] == [drop(r) for r in lines]


@pytest.mark.slow
def test_checkpoint_is_never_resumed_unasked(tmp_path, monkeypatch):
    _tiny(monkeypatch)
    api.ssl_gan(labels="100", seed=0, out=tmp_path / "r", preset="tiny", quiet=True)
    (tmp_path / "r" / "results.json").unlink()
    from ganclf.runs import RunError
    with pytest.raises(RunError, match="interrupted run"):  # a checkpoint is never resumed unasked
        api.ssl_gan(labels="100", seed=0, out=tmp_path / "r", preset="tiny", quiet=True)


def test_nan_raises_training_diverged(tmp_path, monkeypatch):
    from ganclf.train import TrainingDiverged
    _tiny(monkeypatch)
    monkeypatch.setattr(S, "unsupervised_loss", lambda a, b: torch.tensor(float("nan"), requires_grad=True))
    with pytest.raises(TrainingDiverged):
        api.ssl_gan(labels="100", seed=0, out=tmp_path / "r", preset="tiny", quiet=True)
