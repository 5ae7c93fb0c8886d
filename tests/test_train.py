import pytest
import torch
from torch import nn

from ganclf.train import TrainConfig, TrainingDiverged, fit


def blobs(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = torch.randn(n, 1, 4, 4, generator=g) + labels.view(-1, 1, 1, 1) * 2.0
    return images, labels


def tiny_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 2))


def test_fit_learns_and_logs_every_epoch():
    logged = []
    history = fit(tiny_model(), blobs(), blobs(seed=1), TrainConfig(epochs=3, lr=0.5), log=logged.append, quiet=True)
    assert [r["epoch"] for r in history] == [1, 2, 3] and logged == history
    assert history[-1]["val_acc"] > 0.9
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_same_seed_same_numbers():
    runs = [fit(tiny_model(), blobs(), blobs(seed=1), TrainConfig(epochs=2, lr=0.5), seed=5, quiet=True)
            for _ in range(2)]
    assert runs[0][-1]["val_loss"] == runs[1][-1]["val_loss"]


def test_min_steps_stretches_small_budgets():
    small = blobs(n=20)
    plain, stretched = (fit(tiny_model(), small, blobs(seed=1), TrainConfig(epochs=2, batch_size=10, lr=0.5,
                                                                              min_steps_per_epoch=steps),
                                quiet=True)
                        for steps in (0, 20))
    assert len(stretched) == 2  # still two epochs, of 20 steps each instead of 2
    assert stretched[-1]["train_loss"] < plain[-1]["train_loss"] / 3  # ten times the steps fit 20 images far better


def test_nan_loss_raises_a_clear_error():
    model = tiny_model()
    with torch.no_grad():
        model[1].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="loss became nan"):
        fit(model, blobs(), blobs(seed=1), TrainConfig(epochs=1), quiet=True)


def test_every_epoch_counts_its_steps_and_real_images():
    from ganclf.train import budget
    cfg = TrainConfig(epochs=2, batch_size=10, lr=0.5, min_steps_per_epoch=5)
    plain = fit(tiny_model(), blobs(n=20), blobs(seed=1), cfg, quiet=True)
    assert budget(plain) == {"optimizer_steps": 10, "real_images_seen": 100}
    # 20 real rows first, then 180 generated ones: the steps are fixed, the real share is what was drawn
    mixed = fit(tiny_model(), blobs(n=200), blobs(seed=1), cfg, quiet=True, steps_per_epoch=5, real_rows=20)
    counted = budget(mixed)
    assert counted["optimizer_steps"] == 10 and 0 < counted["real_images_seen"] < 100
