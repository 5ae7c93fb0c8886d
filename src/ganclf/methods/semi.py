"""The rivals a practitioner would pick instead of a GAN: FixMatch (Sohn et al. 2020) and Mean Teacher (Tarvainen &
Valpola 2017), both training the cnn method's network on the labelled images and the unlabelled pool.

One loop for both; they differ only in the unlabelled loss. FixMatch: the model's prediction on a weakly augmented
view of an unlabelled image becomes its pseudo-label where the top probability reaches `threshold`, learned by
cross-entropy on a strongly augmented view (RandAugment-style operations plus Cutout, from kornia). Mean Teacher: the
squared difference between the student's softmax on one weak view and the weight-averaged teacher's on another,
its weight ramped up. The classifier tested is the weight average (EMA), as both papers evaluate it.
"""
import copy
import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from ..config import ConfigError, config_to_dict
from ..data import Dataset, Split, to_float
from ..data.transforms import random_shift
from ..gan_loop import GANState, resume, train_epochs
from ..models.classifiers import CLASSIFIERS, MNIST_SHAPE, build_classifier
from ..report.figures import plot_history
from ..runs import Run
from ..train import autocast, default_device, index_stream, predict_logits
from . import Method
from .baseline import SHIFT
from .classify import report_classifier
from .ssl_gan import check_pool, unlabelled_images

UNLABELLED_LOSSES = ("fixmatch", "mean-teacher")
KORNIA_MISSING = "fixmatch's strong augmentation needs kornia: pip install 'ganclf[fixmatch]'"


@dataclass(frozen=True)
class SemiConfig:
    unlabelled_loss: str = "fixmatch"  # or "mean-teacher"
    arch: str = "cnn"  # the cnn method's network and width
    width: int | None = 16
    steps: int = 1200  # optimizer steps in all: set it to match another method's budget
    steps_per_epoch: int = 100  # an epoch: validation, selection of the EMA weights and a checkpoint
    batch_size: int = 64  # labelled images a step (the paper's B)
    mu: int = 7  # unlabelled images a step are mu x batch_size (the paper's mu)
    threshold: float = 0.95  # fixmatch: the confidence a pseudo-label needs
    unlabelled_weight: float = 1.0  # fixmatch's lambda_u; mean-teacher's consistency weight after ramp-up
    rampup: float = 0.0  # mean-teacher: the weight rises as exp(-5 (1 - t)^2) over this share of the steps
    lr: float = 0.03  # SGD with Nesterov momentum, lr * cos(7 pi k / 16 K) at step k of K (the paper)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    # The weight average tested (and mean-teacher's teacher). 0.99, not the paper's 0.999 (a horizon of 1/1000 of its
    # 2^20 steps, nearly all of ours): on validation (fixmatch_val.json, 600 steps) 0.99 led by 2.0, 1.1, 0.8 and
    # 0.2 points after 200-500 steps and tied at the end (0.9770 against 0.9768).
    ema: float = 0.99
    shift: int = SHIFT  # weak augmentation: random shifts of up to this many pixels
    flip: bool = False  # weak augmentation: random horizontal flips too (photos; never digits)
    bf16: bool = True

    def __post_init__(self):
        if self.unlabelled_loss not in UNLABELLED_LOSSES:
            raise ConfigError(f"unknown unlabelled loss {self.unlabelled_loss!r}; choose from "
                              f"{', '.join(UNLABELLED_LOSSES)}")
        if self.arch not in CLASSIFIERS:
            raise ConfigError(f"unknown classifier {self.arch!r}; choose from {', '.join(CLASSIFIERS)}")
        if min(self.steps, self.steps_per_epoch, self.batch_size, self.mu) < 1 or self.lr <= 0:
            raise ConfigError("steps, steps_per_epoch, batch_size, mu and the learning rate must be positive")
        if not 0 < self.threshold <= 1 or not 0 <= self.ema < 1 or not 0 <= self.rampup <= 1:
            raise ConfigError("threshold must be in (0, 1], ema in [0, 1) and rampup in [0, 1]")
        if not 0 <= self.shift <= 8:
            raise ConfigError(f"shift must be 0 to 8 pixels, not {self.shift}")

    @property
    def epochs(self) -> int:
        return math.ceil(self.steps / self.steps_per_epoch)

    def build(self, num_classes: int, shape: tuple = MNIST_SHAPE):
        return build_classifier(self.arch, num_classes, shape, **self.kwargs())

    def kwargs(self) -> dict:
        return {} if self.width is None else {"width": self.width}


# Step budget: a fixmatch step (64 labelled + 2 x 448 unlabelled views through one forward and backward) takes 0.38 s
# on one CPU thread (benchmarks/results/fixmatch_cost.json; mean-teacher 0.23 s, ssl-gan 0.058 s), so 1,200 steps
# train a 100-label MNIST run in ~7.7 minutes, under the issue's ~10 with evaluation (a whole run with validation=0
# took 609 s wall, 8.1 min of CPU, beside other jobs at load ~4.5). That is 77k labelled and 538k unlabelled
# presentations (~10 passes over the pool), against the paper's 2^20 steps on a GPU.
# The rest is the paper's recipe, but for the average's decay (chosen on validation labels; see `ema`).
PRESETS = {
    "default": SemiConfig(),
    "quick": SemiConfig(steps=12, steps_per_epoch=6),  # a demonstration in seconds, not a result
}
# Mean Teacher: the consistency weight (on the mean squared softmax difference) ramped up over the first quarter of the
# steps; the same network, optimizer, budget and selection as fixmatch. 10, not its CIFAR-10 recipe's 100: on
# validation (mean_teacher_val.json, 600 steps) 0.9282 against 0.9162, ahead after every 100 steps.
MT_PRESETS = {name: replace(cfg, unlabelled_loss="mean-teacher", unlabelled_weight=10.0, rampup=0.25)
              for name, cfg in PRESETS.items()}


# ---- losses (pure functions of the logits) ----

def pseudo_labels(logits_weak, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(the weak view's predicted classes, a float mask: 1 where the top probability reaches the threshold)."""
    confidence, labels = logits_weak.detach().softmax(1).max(1)
    return labels, (confidence >= threshold).float()


def fixmatch_loss(logits_strong, logits_weak, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(cross-entropy of the strong view against the confident weak pseudo-labels, averaged over the whole
    unlabelled batch as in the paper, so the loss grows as more images pass the threshold; the mask's mean)."""
    labels, mask = pseudo_labels(logits_weak, threshold)
    return (F.cross_entropy(logits_strong, labels, reduction="none") * mask).mean(), mask.mean()


def mean_teacher_loss(logits_student, logits_teacher) -> torch.Tensor:
    """Mean squared difference of the student's and the teacher's softmax (the teacher is a target)."""
    return (logits_student.softmax(1) - logits_teacher.detach().softmax(1)).square().mean()


def lr_factor(step: int, total: int) -> float:
    """FixMatch's cosine decay: cos(7 pi k / 16 K), from 1 to ~0.2."""
    return math.cos(7 * math.pi * step / (16 * total))


def rampup_factor(step: int, rampup_steps: int) -> float:
    """Mean Teacher's sigmoid-shaped ramp-up, exp(-5 (1 - t)^2) over rampup_steps; 1 without one."""
    if not rampup_steps:
        return 1.0
    return math.exp(-5 * (1 - min(1.0, step / rampup_steps)) ** 2)


def ema_decay(cfg: SemiConfig, step: int) -> float:
    """Mean Teacher's code: min(1 - 1 / (step + 1), decay), so the early average is a plain mean, not the init."""
    return min(1 - 1 / (step + 1), cfg.ema)


@torch.no_grad()
def average_into(ema, model, decay: float) -> None:
    """ema <- decay ema + (1 - decay) model, for the weights and BatchNorm's running statistics alike, as the FixMatch
    code's average covers both: statistics copied from the current model do not fit averaged weights (with them the
    average scored 0.68 on validation where the model scored 0.97, 200 steps in)."""
    pairs = [(e, m) for e, m in zip(ema.state_dict().values(), model.state_dict().values()) if e.is_floating_point()]
    torch._foreach_lerp_([e for e, _ in pairs], [m for _, m in pairs], 1 - decay)


# ---- augmentation ----

def weak_view(images, cfg: SemiConfig):
    """Random shifts (and horizontal flips where `flip`), each image its own, in [-1, 1]."""
    images = random_shift(images, cfg.shift)
    if cfg.flip:
        flip = torch.rand(len(images), 1, 1, 1, device=images.device) < 0.5
        images = torch.where(flip, images.flip(3), images)
    return images


def strong_augmentation(channels: int):
    """RandAugment-style operations, each applied to an image with probability 2/len (two an image on average, at a
    random magnitude each, as FixMatch's RandAugment variant), then Cutout (a grey square of up to half the side).
    Operations that work for grey and colour alike; saturation only for colour. Images in [0, 1]."""
    try:
        import kornia.augmentation as K
    except ImportError:
        raise ConfigError(KORNIA_MISSING) from None
    ops = [K.RandomAutoContrast(), K.RandomEqualize(), K.RandomPosterize(bits=(4, 8)),
           K.RandomSolarize(thresholds=0.5, additions=0.0), K.RandomSharpness(sharpness=(0.05, 0.95)),
           K.ColorJiggle(brightness=0.45, contrast=0.45), K.RandomRotation(degrees=30.0),
           K.RandomAffine(degrees=0.0, shear=(-17.0, 17.0, -17.0, 17.0)),  # shear 0.3 as RandAugment's
           K.RandomAffine(degrees=0.0, translate=(0.3, 0.3))]
    if channels == 3:
        ops.append(K.ColorJiggle(saturation=0.9))
    for op in ops:
        op.p = 2 / len(ops)
    cutout = K.RandomErasing(scale=(0.0, 0.25), ratio=(1.0, 1.0), value=0.5, p=1.0)
    return torch.nn.Sequential(*ops, cutout)


def strong_view(images, cfg: SemiConfig, augment):
    """The weak view, then the strong augmentation, back in [-1, 1] (kornia draws from torch's global stream)."""
    return augment((weak_view(images, cfg) + 1) / 2).clamp(0, 1) * 2 - 1


def check(cfg: SemiConfig) -> None:
    """A missing kornia is a one-line error before anything is written."""
    if cfg.unlabelled_loss == "fixmatch":
        strong_augmentation(1)


def check_data(dataset: Dataset, split: Split, cfg: SemiConfig) -> None:
    check_pool(dataset, split, cfg.mu * cfg.batch_size)


# ---- training ----

class _State(GANState):
    """The network, its weight average, the optimizer and the data-order stream; the best average so far in
    `tensors`. Augmentation draws from torch's global stream, which the checkpoint restores too."""

    def __init__(self, cfg: SemiConfig, num_classes: int, seed: int, device, shape: tuple):
        torch.manual_seed(seed)  # the cnn method's initial weights, and every augmentation after
        self.model = cfg.build(num_classes, shape).to(device, memory_format=torch.channels_last)
        self.ema = copy.deepcopy(self.model).requires_grad_(False)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True,
                                   weight_decay=cfg.weight_decay)
        self.order = torch.Generator().manual_seed(seed)
        super().__init__({"model": self.model, "ema": self.ema}, {"model": self.opt}, {"order": self.order}, device)
        self.values["best_val"] = -1.0
        self.tensors["best"] = copy.deepcopy(self.ema.state_dict())


def train_semi(dataset: Dataset, split: Split, run: Run, cfg: SemiConfig, seed: int = 0, quiet: bool = False) -> dict:
    """Train (resuming the run's checkpoint if it has one), test the chosen weight average once."""
    device = default_device()
    images = to_float(dataset.train_images).to(device)
    lab = (images[split.labelled], dataset.train_labels[split.labelled].to(device))
    check_data(dataset, split, cfg)
    unl = unlabelled_images(dataset, split, images)
    val = (images[split.validation], dataset.train_labels[split.validation])
    augment = strong_augmentation(dataset.shape[0]) if cfg.unlabelled_loss == "fixmatch" else None
    st = _State(cfg, dataset.num_classes, seed, device, dataset.shape)
    resume(st, run, cfg.unlabelled_loss)

    def epoch() -> dict:
        record = _train_epoch(st, cfg, lab, unl, augment)
        if not len(val[0]):  # no validation images: a fixed schedule, the final average is tested
            return record
        val_acc, val_loss = _evaluate(st.ema, val, cfg.bf16)
        if val_acc > st.values["best_val"]:
            st.values["best_val"], st.tensors["best"] = val_acc, copy.deepcopy(st.ema.state_dict())
        return {**record, "val_acc": val_acc, "val_loss": val_loss,
                "val_acc_raw": _evaluate(st.model, val, cfg.bf16)[0]}

    history = train_epochs(st, run, cfg.epochs, epoch, kind=cfg.unlabelled_loss,
                           meta={"config": config_to_dict(cfg), "seed": seed}, draw_samples=lambda path: None,
                           sample_every=cfg.epochs, quiet=quiet, desc=cfg.unlabelled_loss,
                           show=("loss_unl", "mask", "val_acc"))
    plot_history(history, run.file("losses.png"), {"loss": ("loss_lab", "loss_unl"),
                                                    "accuracy": ("val_acc", "val_acc_raw", "mask")})
    model = cfg.build(dataset.num_classes, dataset.shape)
    chosen = st.tensors["best"] if len(val[0]) else st.ema.state_dict()
    model.load_state_dict({k: v.cpu() for k, v in chosen.items()})
    data = {"test": (to_float(dataset.test_images), dataset.test_labels), "val": (val[0].cpu(), val[1])}
    meta = {"classifier": cfg.arch, "classifier_kwargs": cfg.kwargs(), "num_classes": dataset.num_classes}
    results = report_classifier(model, data, dataset, history, run, meta, cfg.bf16)
    best_epoch = max(history, key=lambda r: r.get("val_acc", r["epoch"]))["epoch"]
    return {"method": run.config.get("method", cfg.unlabelled_loss), "train_config": config_to_dict(cfg),
            "best_epoch": best_epoch, "steps": st.step,
            "labelled_images_shown": sum(r["labelled_images"] for r in history),
            "unlabelled_images_shown": sum(r["unlabelled_images"] for r in history),
            "real_images": sum(r["real_images"] for r in history),
            "train_time_s": round(sum(r["epoch_time_s"] for r in history), 1),  # over resumes too
            "final_val_accuracy": history[-1].get("val_acc"), **results}


# An epoch's means: labelled and unlabelled loss, the unlabelled weight used, the share of unlabelled images that
# passed the threshold (fixmatch) and the accuracy on the labelled batches.
EPOCH_KEYS = ("loss_lab", "loss_unl", "weight_unl", "mask", "train_acc")


def _train_epoch(st: _State, cfg: SemiConfig, lab, unl, augment) -> dict:
    st.model.train()
    st.ema.train()  # the teacher draws its own dropout and batch statistics, as in Mean Teacher's code
    steps = min(cfg.steps_per_epoch, cfg.steps - st.step)
    n_unl = cfg.mu * cfg.batch_size
    lab_order = index_stream(len(lab[0]), steps * cfg.batch_size, st.order)
    unl_order = index_stream(len(unl), steps * n_unl, st.order)
    sums = torch.zeros(len(EPOCH_KEYS), device=st.device)  # one host sync an epoch
    for i in range(steps):
        for group in st.opt.param_groups:
            group["lr"] = cfg.lr * lr_factor(st.step, cfg.steps)
        li, ui = lab_order[i * cfg.batch_size:(i + 1) * cfg.batch_size], unl_order[i * n_unl:(i + 1) * n_unl]
        x, y, u = weak_view(lab[0][li], cfg), lab[1][li], unl[ui]
        if augment is not None:
            # One pass over labelled, weak and strong images together, as the paper: the pseudo-labels and the
            # labelled loss then see the same batch statistics. (A separate gradient-free pass for the weak views
            # would save ~1/3 of a step, but normalised them by their own batch and let the pseudo-labels drift
            # from what the labelled loss trains: validation accuracy swung between 0.33 and 0.75 over 400 steps.)
            views = [x, weak_view(u, cfg), strong_view(u, cfg, augment)]
        else:  # the teacher's view goes through the weight average, the student's beside the labelled images
            with torch.no_grad(), autocast(cfg.bf16, st.device):
                target = st.ema(weak_view(u, cfg).contiguous(memory_format=torch.channels_last)).float()
            views = [x, weak_view(u, cfg)]
        with autocast(cfg.bf16, st.device):
            logits = st.model(torch.cat(views).contiguous(memory_format=torch.channels_last)).float()
        l_lab, *l_unl = logits.split(list(map(len, views)))
        loss_lab = F.cross_entropy(l_lab, y)
        if augment is not None:
            loss_unl, mask = fixmatch_loss(l_unl[1], l_unl[0], cfg.threshold)
        else:
            loss_unl, mask = mean_teacher_loss(l_unl[0], target), pseudo_labels(target, cfg.threshold)[1].mean()
        weight = cfg.unlabelled_weight * rampup_factor(st.step, round(cfg.rampup * cfg.steps))
        loss = loss_lab + weight * loss_unl
        st.opt.zero_grad(set_to_none=True)
        loss.backward()
        st.opt.step()
        average_into(st.ema, st.model, ema_decay(cfg, st.step))
        st.step += 1
        sums += torch.stack([loss_lab.detach(), loss_unl.detach(), torch.tensor(weight, device=st.device), mask,
                             (l_lab.argmax(1) == y).float().mean()])
    out = dict(zip(EPOCH_KEYS, (sums / steps).tolist()))
    return {**out, "train_loss": out["loss_lab"], "lr": cfg.lr * lr_factor(st.step, cfg.steps), "steps": steps,
            "labelled_images": steps * cfg.batch_size, "unlabelled_images": steps * n_unl,
            "real_images": steps * (cfg.batch_size + n_unl)}


def _evaluate(model, data, bf16: bool) -> tuple[float, float]:
    logits, labels = predict_logits(model, data[0], bf16), data[1].cpu()
    return (logits.argmax(1) == labels).float().mean().item(), F.cross_entropy(logits, labels).item()


FIXMATCH = Method("fixmatch", "the cnn trained with FixMatch: confident weak-view pseudo-labels learned on strong "
                  "views (Sohn et al. 2020)", train_semi, PRESETS, default_labels="100", check=check,
                  check_data=check_data)
MEAN_TEACHER = Method("mean-teacher", "the cnn trained with Mean Teacher: its softmax kept close to its weight "
                      "average's on another view (Tarvainen & Valpola 2017)", train_semi, MT_PRESETS,
                      default_labels="100", check=check, check_data=check_data)
