"""Semi-supervised GAN (Salimans et al. 2016, "Improved Techniques for Training GANs"; original project 002's method).

The discriminator is a K+1-class classifier parameterised by K logits with the fake class's logit fixed at 0,
so D(x) = Z / (Z + 1) with Z = sum_k exp(l_k). Labelled images give a cross-entropy loss, unlabelled and
generated images the log-sum-exp GAN loss; the generator matches the mean of D's last hidden features on real
unlabelled images (feature matching), optionally plus original project 002's minimax term. The classifier tested is an
exponential moving average of D's weights (noise off), picked at its best validation epoch.
"""
import copy
import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from ..config import ConfigError, config_to_dict, make_config as make_preset
from ..data import Dataset, Split, to_float
from ..data.transforms import random_shift
from ..gan_loop import GANState, adam, resume, train_epochs
from ..models.classifiers import MNIST_SHAPE
from ..models.ssl_nets import DISCRIMINATORS, Generator, build_discriminator, data_dependent_init
from ..report.figures import plot_history, save_grid
from ..runs import Run
from ..train import autocast, default_device, predict_logits
from . import Method
from .classify import report_classifier

GEN_LOSSES = ("feature-matching", "combined")
CONSISTENCY_TARGETS = ("logits", "probabilities")


@dataclass(frozen=True)
class SSLConfig:
    arch: str = "mlp"
    epochs: int = 30
    batch_size: int = 100  # unlabelled (and generated) images per step; one epoch walks the unlabelled set once
    labelled_batch: int = 100  # labelled images per step, drawn by reshuffling the labelled set
    lr: float = 3e-3  # Adam, for D and G alike
    beta1: float = 0.5
    adam_eps: float = 1e-8
    decay_start: float = 2 / 3  # fraction of the run after which the lr falls linearly to 0 (reference: 200/300)
    unlabelled_weight: float = 1.0
    entropy_weight: float = 0.0  # conditional entropy of D's class prediction on unlabelled images (Bad GAN)
    consistency_weight: float = 0.0  # squared difference of D's outputs on two noisy passes of an image (CT-GAN)
    consistency_on: str = "logits"  # or "probabilities": the difference of D's K-class softmax (Laine & Aila)
    consistency_rampup: float = 0.0  # epochs over which its weight rises as exp(-5 (1 - t)^2) (Laine & Aila)
    shift: int = 0  # real images enter D translated by up to this many pixels, each pass its own offset
    gen_output: str = "sigmoid"  # G's last nonlinearity: the paper's sigmoid, or softplus (see Generator)
    gen_loss: str = "feature-matching"  # or "combined": feature matching + the non-saturating minimax term
    ema: float = 0.999  # D's weight average used for evaluation (reference 0.9999 over 180k steps; ANCHORS)
    bf16: bool = True
    sample_every: int = 5  # epochs between sample grids (the last epoch always gets one)
    generator: bool = True  # False: no G and no real/fake term, D is a K-class classifier (the Pi-model control)

    def __post_init__(self):
        if self.arch not in DISCRIMINATORS:
            raise ConfigError(f"unknown discriminator {self.arch!r}; choose from {', '.join(DISCRIMINATORS)}")
        if self.gen_loss not in GEN_LOSSES:
            raise ConfigError(f"unknown generator loss {self.gen_loss!r}; choose from {', '.join(GEN_LOSSES)}")
        if self.consistency_on not in CONSISTENCY_TARGETS:
            raise ConfigError(f"unknown consistency target {self.consistency_on!r}; choose from "
                              f"{', '.join(CONSISTENCY_TARGETS)}")
        if self.gen_output not in ("sigmoid", "softplus"):
            raise ConfigError(f"unknown generator output {self.gen_output!r}; choose sigmoid or softplus")
        if min(self.epochs, self.batch_size, self.labelled_batch, self.sample_every) < 1 or self.lr <= 0:
            raise ConfigError("epochs, batch sizes, sample_every and the learning rate must be positive")
        if self.shift < 0:
            raise ConfigError(f"shift must be 0 or more pixels, not {self.shift}")


PRESETS = {
    # The paper's MNIST recipe as its code ran it: sigmoid G, no consistency term, constant lr, 300 epochs
    # (~2.3 hours at 28 s an epoch on one core here).
    "paper": SSLConfig(epochs=300, ema=0.9999, decay_start=1.0),
    # Chosen on validation (100 labels): softplus G output and the consistency term sped up and steadied
    # training; a 1-pixel random shift of the real images added ~0.15% validation accuracy at 23 epochs (two
    # seeds; 2 and 3 pixels helped less or hurt). 70 epochs fit 30 minutes on 2 CPU cores (see README).
    "mlp": SSLConfig(epochs=70, gen_output="softplus", consistency_weight=1.0, shift=1),
    # The conv D at the reference CIFAR net's learning rate. With its head initialised at logit std 0.1 it learns
    # (before: 20% training accuracy after 60 steps); at 10% labels, 10 epochs (H200): 97.76% validation at
    # 3e-4, 97.96% at 1e-3 with a collapse and recovery on the way, 95.28% at 3e-3, against the mlp preset's
    # 99.16% at 30 epochs. Several times the mlp's cost a step on a CPU: experimental.
    "conv": SSLConfig(arch="conv", epochs=10, lr=3e-4, gen_output="softplus", consistency_weight=1.0),
}


def make_config(preset: str = "mlp", **overrides) -> SSLConfig:
    return make_preset(PRESETS, preset, "ssl-gan", **overrides)


# ---- losses (pure functions of the logits) ----

def supervised_loss(logits_lab, labels):
    """Cross-entropy over the K real classes: the fake class can never be the label of a labelled image."""
    return F.cross_entropy(logits_lab, labels)


def unsupervised_loss(logits_unl, logits_fake):
    """-log D(x_real) - log(1 - D(G(z))) with D(x) = sigmoid(LSE(l)), halved as in the reference.

    -log D = -LSE + softplus(LSE); -log(1 - D) = softplus(LSE).
    """
    lse_unl, lse_fake = torch.logsumexp(logits_unl, 1), torch.logsumexp(logits_fake, 1)
    return 0.5 * (-lse_unl.mean() + F.softplus(lse_unl).mean() + F.softplus(lse_fake).mean())


def conditional_entropy(logits):
    """Mean entropy of p(y | x, real) over the K classes: low when D commits each unlabelled image to a class."""
    log_p = logits.log_softmax(1)
    return -(log_p.exp() * log_p).sum(1).mean()


def consistency_loss(logits_a, logits_b, on: str = "logits"):
    """Mean squared difference between D's logits (CT-GAN's term) or K-class softmax (the Pi-model's) on two noisy
    passes of the same images."""
    if on == "probabilities":
        logits_a, logits_b = logits_a.softmax(1), logits_b.softmax(1)
    return (logits_a - logits_b).square().mean()


def rampup_factor(cfg: SSLConfig, step: int, steps_per_epoch: int) -> float:
    """Laine & Aila's Gaussian ramp-up of the consistency weight, from ~0 to 1 over cfg.consistency_rampup epochs."""
    if not cfg.consistency_rampup:
        return 1.0
    t = min(1.0, step / (cfg.consistency_rampup * steps_per_epoch))
    return math.exp(-5 * (1 - t) ** 2)


def feature_matching_loss(features_fake, features_real):
    """Mean squared difference of the batch means of D's features (real side is a target, no gradient)."""
    return (features_fake.mean(0) - features_real.detach().mean(0)).square().mean()


def minimax_generator_loss(logits_fake):
    """Non-saturating -log D(G(z)) = softplus(-LSE(l_fake))."""
    return F.softplus(-torch.logsumexp(logits_fake, 1)).mean()


# ---- training ----

def lr_factor(cfg: SSLConfig, step: int, total: int) -> float:
    start = cfg.decay_start * total
    return 1.0 if step < start else max(0.0, (total - step) / max(total - start, 1))


class _State(GANState):
    """D, G, D's weight average and the data-order stream; the best average so far is kept in `tensors`."""

    def __init__(self, cfg: SSLConfig, num_classes: int, seed: int, device=torch.device("cpu"),
                 shape: tuple = MNIST_SHAPE):
        torch.manual_seed(seed)
        self.D = build_discriminator(cfg.arch, num_classes, shape).to(device)
        self.G = Generator(output=cfg.gen_output, shape=shape).to(device)
        self.ema = copy.deepcopy(self.D).requires_grad_(False)
        self.opt_d = adam(self.D.parameters(), cfg.lr, cfg.beta1, cfg.adam_eps)
        self.opt_g = adam(self.G.parameters(), cfg.lr, cfg.beta1, cfg.adam_eps)
        self.order = torch.Generator().manual_seed(seed)  # data order; model noise uses torch's global stream
        super().__init__({"D": self.D, "G": self.G, "D_ema": self.ema}, {"D": self.opt_d, "G": self.opt_g},
                         {"order": self.order}, device)
        self.values["best_val"] = -1.0
        self.tensors["best"] = copy.deepcopy(self.ema.state_dict())


def train_ssl_gan(dataset: Dataset, split: Split, run: Run, cfg: SSLConfig, seed: int = 0,
                  quiet: bool = False) -> dict:
    """Train (resuming the run's checkpoint if it has one), test the best-on-validation classifier once."""
    device = default_device()
    images = to_float(dataset.train_images).to(device)
    lab_x, lab_y = images[split.labelled], dataset.train_labels[split.labelled]
    unl_x = _unlabelled(dataset, split, images, cfg)
    lab_y = lab_y.to(device)
    val = (images[split.validation], dataset.train_labels[split.validation].to(device))
    st = _State(cfg, dataset.num_classes, seed, device, dataset.shape)
    if not resume(st, run, "ssl-gan"):
        with autocast(cfg.bf16, device):  # reference: D's data-dependent init on 500 images (G has none)
            data_dependent_init(st.D, unl_x[torch.randperm(len(unl_x), generator=st.order)[:500]])
        st.ema.load_state_dict(st.D.state_dict())
    steps = _steps_per_epoch(len(unl_x), cfg)
    fixed_z = st.G.sample_z(100, torch.Generator().manual_seed(seed))

    def epoch() -> dict:
        losses = _train_epoch(st, cfg, lab_x, lab_y, unl_x, steps)
        # D's optimizer steps and the real images (labelled and unlabelled) its steps were shown
        lr = {"lr": cfg.lr * lr_factor(cfg, st.step, cfg.epochs * steps), "steps": steps,
              "real_images": steps * (cfg.labelled_batch + cfg.batch_size)}
        if not len(val[0]):  # no validation images: nothing to select on, the final average is tested
            return {**losses, **lr}
        val_acc, val_loss = _evaluate(st.ema, val, cfg.bf16)
        if val_acc > st.values["best_val"]:
            st.values["best_val"], st.tensors["best"] = val_acc, copy.deepcopy(st.ema.state_dict())
        return {**losses, "val_acc": val_acc, "val_loss": val_loss, "val_acc_raw": _evaluate(st.D, val, cfg.bf16)[0],
                **lr}

    def draw(path):
        if cfg.generator:
            _plot_samples(st.G, fixed_z, path)

    history = train_epochs(st, run, cfg.epochs, epoch, kind="ssl-gan", meta={"config": config_to_dict(cfg),
                                                                             "seed": seed},
                           draw_samples=draw, sample_every=cfg.sample_every,
                           quiet=quiet, desc="ssl-gan", show=("loss_unl", "loss_gen", "val_acc"))
    _plot_losses(history, run.file("losses.png"))
    draw(run.file("samples.png"))
    model = build_discriminator(cfg.arch, dataset.num_classes, dataset.shape)
    chosen = st.tensors["best"] if len(val[0]) else st.ema.state_dict()
    model.load_state_dict({k: v.cpu() for k, v in chosen.items()})
    data = {"test": (to_float(dataset.test_images), dataset.test_labels),
            "val": (val[0].cpu(), val[1].cpu())}
    meta = {"classifier": "ssl-gan", "discriminator": cfg.arch, "num_classes": dataset.num_classes,
            "ssl_config": config_to_dict(cfg)}
    results = report_classifier(model, data, dataset, history, run, meta, cfg.bf16)
    best_epoch = max(history, key=lambda r: r.get("val_acc", r["epoch"]))["epoch"]
    return {"method": "ssl-gan", "train_config": config_to_dict(cfg), "best_epoch": best_epoch,
            "train_time_s": round(sum(r["epoch_time_s"] for r in history), 1),  # over resumes too
            "final_val_accuracy": history[-1].get("val_acc"), **results}


def _unlabelled(dataset: Dataset, split: Split, images: torch.Tensor, cfg: SSLConfig) -> torch.Tensor:
    check_unlabelled(dataset, split, cfg)
    return unlabelled_images(dataset, split, images)


def unlabelled_images(dataset: Dataset, split: Split, images: torch.Tensor) -> torch.Tensor:
    """The training images outside the label budget, then the dataset's own unlabelled images (a folder's
    unlabelled/), as floats on the images' device."""
    if not len(dataset.unlabelled_images):
        return images[split.unlabelled]
    return torch.cat([images[split.unlabelled], to_float(dataset.unlabelled_images).to(images.device)])


def check_unlabelled(dataset: Dataset, split: Split, cfg: SSLConfig) -> None:
    check_pool(dataset, split, cfg.batch_size)


def check_pool(dataset: Dataset, split: Split, batch: int) -> None:
    """At least one batch of unlabelled images, or a one-line error (checked before a run directory is made)."""
    n = len(split.unlabelled) + len(dataset.unlabelled_images)
    if n < batch:
        folder = f"{len(dataset.unlabelled_images)} images in unlabelled/" if len(dataset.unlabelled_images) else \
            "no unlabelled/ images"
        raise ConfigError(f"this method needs unlabelled images: {n} are fewer than one batch of {batch} "
                          f"(the budget leaves {len(split.unlabelled)} training images unlabelled, {dataset.name} has "
                          f"{folder}); use a smaller label budget or add unlabelled images")


def _steps_per_epoch(n_unlabelled: int, cfg: SSLConfig) -> int:
    return n_unlabelled // cfg.batch_size


# An epoch's means: labelled, real/fake and consistency terms of D's loss, G's loss, accuracy on labelled batches.
EPOCH_KEYS = ("loss_lab", "loss_unl", "loss_cons", "loss_gen", "train_acc")


def _train_epoch(st: _State, cfg: SSLConfig, lab_x, lab_y, unl_x, steps: int) -> dict:
    st.D.train()
    st.G.train()
    n_lab, device = len(lab_x), st.device
    unl_order = torch.randperm(len(unl_x), generator=st.order)
    real_order = torch.randperm(len(unl_x), generator=st.order)  # fresh real images for feature matching
    lab_order = torch.cat([torch.randperm(n_lab, generator=st.order)
                           for _ in range(math.ceil(steps * cfg.labelled_batch / n_lab))])
    ema_params, params = list(st.ema.parameters()), list(st.D.parameters())
    total_steps = cfg.epochs * steps
    sums = torch.zeros(len(EPOCH_KEYS), device=device)  # one host sync an epoch
    for i in range(steps):
        for opt in (st.opt_d, st.opt_g):
            for group in opt.param_groups:
                group["lr"] = cfg.lr * lr_factor(cfg, st.step, total_steps)
        li = lab_order[i * cfg.labelled_batch:(i + 1) * cfg.labelled_batch]
        x_lab, y_lab = random_shift(lab_x[li], cfg.shift), lab_y[li]
        x_unl = unl_x[unl_order[i * cfg.batch_size:(i + 1) * cfg.batch_size]]
        x_real = random_shift(unl_x[real_order[i * cfg.batch_size:(i + 1) * cfg.batch_size]], cfg.shift)
        z = st.G.sample_z(cfg.batch_size) if cfg.generator else None
        with autocast(cfg.bf16, device):
            fake = [st.G(z).detach()] if cfg.generator else []
            # D step: one forward over labelled, unlabelled and generated images (D has no batch statistics);
            # with consistency, the unlabelled images twice (each pass draws its own noise).
            twice = [random_shift(x_unl, cfg.shift)] if cfg.consistency_weight else []
            x_unl = random_shift(x_unl, cfg.shift)
            logits = st.D(torch.cat([x_lab, x_unl, *twice, *fake])).float()
        l_lab, l_unl, *rest = logits.split([len(x_lab), len(x_unl), *map(len, twice), *map(len, fake)])
        l_unl2, l_fake = rest[:len(twice)], rest[len(twice):]
        loss_lab = supervised_loss(l_lab, y_lab)
        # without a generator (the Pi-model control) there is no real/fake term: unlabelled images enter only
        # through the consistency term
        loss_unl = unsupervised_loss(l_unl, l_fake[0]) if cfg.generator else torch.zeros((), device=device)
        loss_cons = (consistency_loss(l_unl, l_unl2[0], cfg.consistency_on) if cfg.consistency_weight
                     else torch.zeros((), device=device))
        consistency_weight = cfg.consistency_weight * rampup_factor(cfg, st.step, steps)
        loss_d = loss_lab + cfg.unlabelled_weight * loss_unl + consistency_weight * loss_cons
        if cfg.entropy_weight:
            loss_d = loss_d + cfg.entropy_weight * conditional_entropy(l_unl)
        st.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        st.opt_d.step()
        loss_gen = _generator_step(st, cfg, x_real) if cfg.generator else torch.zeros((), device=device)
        with torch.no_grad():
            torch._foreach_lerp_(ema_params, params, 1 - cfg.ema)
        st.step += 1
        sums += torch.stack([loss_lab.detach(), loss_unl.detach(), loss_cons.detach(), loss_gen.detach(),
                             (l_lab.argmax(1) == y_lab).float().mean()])
    out = dict(zip(EPOCH_KEYS, (sums / steps).tolist()))
    out["train_loss"] = out["loss_lab"]
    return out


def _generator_step(st: _State, cfg: SSLConfig, x_real) -> torch.Tensor:
    """G step against the updated D on freshly generated images (not the ones D just learned to reject), noise
    on as in the reference; the real features are a target and need no gradient."""
    with autocast(cfg.bf16, st.device):
        with torch.no_grad():
            _, f_real = st.D(x_real, with_features=True)
        l_gen, f_fake = st.D(st.G(st.G.sample_z(cfg.batch_size)), with_features=True)
    loss_gen = feature_matching_loss(f_fake.float(), f_real.float())
    if cfg.gen_loss == "combined":
        loss_gen = loss_gen + minimax_generator_loss(l_gen.float())
    st.opt_g.zero_grad(set_to_none=True)
    loss_gen.backward(inputs=list(st.G.parameters()))  # D's weight gradients are not needed here
    st.opt_g.step()
    return loss_gen


def _evaluate(model, data, bf16: bool) -> tuple[float, float]:
    logits, labels = predict_logits(model, data[0], bf16), data[1].cpu()  # logits come back on the CPU
    return (logits.argmax(1) == labels).float().mean().item(), F.cross_entropy(logits, labels).item()


def _plot_samples(G, z, path) -> None:
    G.train()  # batch statistics, as in training
    with torch.no_grad():
        save_grid(G(z).float().cpu().clamp(-1, 1), path, nrow=10)


def _plot_losses(history: list[dict], path) -> None:
    plot_history(history, path, {"loss": ("loss_lab", "loss_unl", "loss_cons", "loss_gen"),
                                 "accuracy": ("val_acc", "val_acc_raw")}, log_scale=("loss",))


SSL_GAN = Method("ssl-gan", "semi-supervised GAN: D is a K+1-class classifier (Salimans et al. 2016)", train_ssl_gan,
                 PRESETS, default_preset="mlp", default_labels="100", control="pi-model", check_data=check_unlabelled)
# The control: the same D, schedule, shift, consistency term and selection, without the generator.
PI_MODEL = Method("pi-model", "ssl-gan's D trained without a generator: labelled loss + consistency on unlabelled",
                  train_ssl_gan, {name: replace(cfg, generator=False) for name, cfg in PRESETS.items()},
                  default_preset="mlp", default_labels="100", check_data=check_unlabelled)
