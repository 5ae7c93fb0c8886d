"""The one classifier training loop that every method reuses (baselines, transfer, augmentation)."""
import copy
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .data.transforms import random_shift


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite, or exploded past LOSS_BOUND."""


# No loss of ours reaches this in normal training (cross-entropy of 10 classes starts near 2.3, GAN losses stay
# below ~20); a run past it has diverged even while its numbers are finite (ssl-gan at lr 1e9 reached ~3e17).
LOSS_BOUND = 1e4


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 15
    batch_size: int = 100
    optimizer: str = "sgd"  # sgd | adam | adamw
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"  # constant | onecycle
    label_smoothing: float = 0.0
    min_steps_per_epoch: int = 0  # small label budgets: an epoch is at least this many steps
    bf16: bool = True  # CPU bf16 autocast: ~5x faster matmuls on AVX-512 machines
    select_best: bool = True  # keep the weights of the epoch with the best validation accuracy
    shift: int = 0  # classical augmentation: each training image translated by up to this many pixels

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.min_steps_per_epoch < 0:
            raise ValueError(f"epochs ({self.epochs}) and batch_size ({self.batch_size}) must be at least 1")
        if self.optimizer not in ("sgd", "adam", "adamw"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose sgd, adam or adamw")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"unknown schedule {self.schedule!r}; choose constant or onecycle")
        if not 0 <= self.shift <= 8:
            raise ValueError(f"shift must be 0 to 8 pixels, not {self.shift}")
        if not self.lr > 0:
            raise ValueError(f"the learning rate must be positive, not {self.lr}")


def default_device() -> torch.device:
    """CUDA when there is a GPU, else the CPU; GANCLF_DEVICE (e.g. cpu, cuda:1) overrides."""
    return torch.device(os.environ.get("GANCLF_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu"))


def autocast(bf16: bool, device: torch.device):
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def make_optimizer(groups: list[dict], cfg: TrainConfig) -> torch.optim.Optimizer:
    """groups: [{"params": [...], "lr_scale": 1.0}, ...]; frozen parameters are left out."""
    groups = [{"params": [p for p in g["params"] if p.requires_grad], "lr": cfg.lr * g.get("lr_scale", 1.0)}
              for g in groups]
    groups = [g for g in groups if g["params"]]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                               nesterov=cfg.momentum > 0)
    if cfg.optimizer in ("adam", "adamw"):
        cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
        return cls(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose sgd, adam or adamw")


def make_schedule(optimizer, cfg: TrainConfig, total_steps: int):
    if cfg.schedule == "constant":
        return None
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in optimizer.param_groups],
                                                   total_steps=total_steps,
                                                   pct_start=0.25)
    raise ValueError(f"unknown schedule {cfg.schedule!r}; choose constant or onecycle")


@torch.no_grad()
def predict_logits(model: nn.Module, images: torch.Tensor, bf16: bool = True, batch_size: int = 1000):
    model.eval()
    device = next(model.parameters()).device
    outs = []
    for start in range(0, len(images), batch_size):
        with autocast(bf16, device):
            batch = images[start:start + batch_size].to(device).contiguous(memory_format=torch.channels_last)
            outs.append(model(batch).float().cpu())
    return torch.cat(outs)


def evaluate(model: nn.Module, images, labels, bf16: bool = True) -> dict:
    logits = predict_logits(model, images, bf16)
    labels = labels.to(logits.device)
    return {"loss": F.cross_entropy(logits, labels).item(),
            "acc": (logits.argmax(1) == labels).float().mean().item()}


def fit(model: nn.Module, train, val, cfg: TrainConfig, seed: int = 0, log=None,
        quiet: bool = False, epoch_offset: int = 0, desc: str = "train", param_groups=None,
        steps_per_epoch: int | None = None, real_rows: int | None = None) -> list[dict]:
    """Train on (images, labels) tensors, validate each epoch; returns one record per epoch, which counts its
    optimizer steps and the real images it was shown (the first `real_rows` rows of train are real, default all).

    `log` receives each record as it is made (a run directory's metrics file). With select_best the
    model ends with the weights of its best validation epoch. `param_groups` ([{"params", "lr_scale"}])
    gives parts of the model their own learning rate; frozen parameters (requires_grad False) stay put.
    `steps_per_epoch` fixes an epoch's length (default: one pass over train, at least cfg.min_steps_per_epoch),
    so a method that adds images can train exactly the steps of its control.
    """
    images, labels = train
    device = default_device()
    model.to(device, memory_format=torch.channels_last)  # channels-last: ~1.4x faster convolutions on CPU
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = steps_per_epoch or epoch_steps(len(images), cfg)
    real_rows = len(images) if real_rows is None else real_rows
    optimizer = make_optimizer(param_groups or [{"params": list(model.parameters())}], cfg)
    schedule = make_schedule(optimizer, cfg, cfg.epochs * steps_per_epoch)
    best, best_state, history = -1.0, None, []
    validate = len(val[0]) > 0  # without validation images: a fixed schedule and the last epoch's weights
    with tqdm(total=cfg.epochs * steps_per_epoch, desc=desc, disable=quiet, leave=False, unit="step") as bar:
        for epoch in range(cfg.epochs):
            start = time.time()
            train_loss, train_acc, real = _train_epoch(model, images, labels, optimizer, schedule, cfg,
                                                       steps_per_epoch, generator, device, bar, real_rows)
            record = {"epoch": epoch_offset + epoch + 1, "train_loss": train_loss, "train_acc": train_acc,
                      "steps": steps_per_epoch, "real_images": real,
                      **({f"val_{k}": v for k, v in evaluate(model, *val, cfg.bf16).items()} if validate else {}),
                      "epoch_time_s": round(time.time() - start, 3)}
            history.append(record)
            if log:
                log(record)
            bar.set_postfix(loss=f"{train_loss:.3f}", val_acc=f"{record.get('val_acc', float('nan')):.4f}")
            if cfg.select_best and validate and record["val_acc"] > best:
                best, best_state = record["val_acc"], copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def epoch_steps(images: int, cfg: TrainConfig) -> int:
    """Optimizer steps in an epoch over `images` training images: one pass, at least cfg.min_steps_per_epoch."""
    return max(math.ceil(images / cfg.batch_size), cfg.min_steps_per_epoch)


def budget(history: list[dict]) -> dict:
    """The optimizer steps and real-image presentations that epoch records add up to."""
    return {"optimizer_steps": sum(r.get("steps", 0) for r in history),
            "real_images_seen": sum(r.get("real_images", 0) for r in history)}


def _train_epoch(model, images, labels, optimizer, schedule, cfg, steps, generator, device, bar, real_rows):
    model.train()
    order = index_stream(len(images), steps * cfg.batch_size, generator)
    real = int((order < real_rows).sum())
    total_loss = total_correct = seen = 0
    for step in range(steps):
        idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
        x = random_shift(images[idx].to(device, non_blocking=True), cfg.shift).contiguous(
            memory_format=torch.channels_last)
        y = labels[idx].to(device, non_blocking=True)
        with autocast(cfg.bf16, device):
            logits = model(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
        if not torch.isfinite(loss) or loss.abs() > LOSS_BOUND:
            raise TrainingDiverged(f"classifier loss became {loss.item():.4g} at step {step}; lower the learning rate "
                                   "(--set lr=...)")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        total_loss += loss.item() * len(y)
        total_correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
        bar.update()  # steps, not epochs: the feature network's 3 epochs take minutes
    return total_loss / seen, total_correct / seen, real


def index_stream(n: int, length: int, generator) -> torch.Tensor:
    """Concatenated random permutations of range(n), at least `length` long: every image once per pass."""
    reps = math.ceil(length / n)
    return torch.cat([torch.randperm(n, generator=generator) for _ in range(reps)])[:length]
