"""Training a GAN (gan, dcgan, cdcgan): alternating discriminator and generator steps, a sample grid and a
checkpoint every epoch, exact resume after any interruption (the loop is gan_loop's, shared with ssl-gan).

Each step is a short list of phases (stylegan2-ada's loop): the discriminator's loss on a real and a
generated batch, then the generator's loss on a fresh generated batch. The recipe picks the losses.
"""
import copy
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import ConfigError, config_from_dict, config_to_dict
from ..data import Dataset, Split, to_float
from ..data.splits import read_split_indices
from ..gan_loop import CHECKPOINT, GANState, adam, ema_update, resume, train_epochs
from ..models.classifiers import MNIST_SHAPE
from ..models.gans import CONDITIONAL, GANS, build_gan
from ..report.figures import plot_gan_losses, save_grid
from ..runs import Run, RunError, load_checkpoint, reason
from ..train import autocast, default_device, index_stream
from . import Method
from .classify import image_shape

LOSSES = ("nonsaturating", "hinge")


@dataclass(frozen=True)
class GANConfig:
    model: str = "dcgan"  # gan | dcgan | cdcgan (conditional)
    networks: str = "default"  # default | original | cnn (dcgan): which generator and discriminator (models/gans.py)
    epochs: int = 30
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    loss: str = "nonsaturating"  # nonsaturating | hinge
    real_label: float = 1.0  # < 1: one-sided label smoothing (Salimans et al. 2016)
    class_weight: float = 0.0  # conditional models: AC-GAN class loss on D's features, real and generated
    ema: float = 0.0  # > 0: sample from an exponential moving average of G's weights
    min_steps_per_epoch: int = 0  # small label budgets: an epoch is at least this many steps
    bf16: bool = True

    def __post_init__(self):
        if (self.model, self.networks) not in GANS:
            raise ConfigError(f"no {self.networks!r} networks for GAN model {self.model!r}; models: "
                              f"{', '.join(sorted({m for m, _ in GANS}))}")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown GAN loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.min_steps_per_epoch < 0:
            raise ConfigError("epochs and batch_size must be at least 1")

    @property
    def conditional(self) -> bool:
        return self.model in CONDITIONAL


# The -original presets repeat the original projects' settings. min_steps_per_epoch: 1,500 steps over the default
# epochs.
PRESETS = {
    "gan": GANConfig(model="gan", epochs=50, batch_size=64, ema=0.999, min_steps_per_epoch=30),
    "gan-original": GANConfig(model="gan", networks="original", epochs=100, batch_size=256, bf16=False),
    "dcgan": GANConfig(model="dcgan", epochs=20, batch_size=64, ema=0.999, min_steps_per_epoch=75),
    # A discriminator laid out as the default CNN (at twice its width), the one to transfer.
    "dcgan-cnn": GANConfig(model="dcgan", networks="cnn", epochs=20, batch_size=64, ema=0.999,
                           min_steps_per_epoch=75),
    "dcgan-original": GANConfig(model="dcgan", networks="original", epochs=50, batch_size=100, lr_g=1e-4, lr_d=1e-4,
                            beta1=0.9, bf16=False),
    # Chosen on validation CAS (H100 sweep, 10k images): hinge 96.5% vs non-saturating 95.7% at 20 epochs,
    # 97.3% at 40; the AC-GAN class term 95.7% vs 95.1% without it.
    "cdcgan": GANConfig(model="cdcgan", epochs=40, batch_size=64, ema=0.999, min_steps_per_epoch=38, loss="hinge",
                        class_weight=1.0),
    "cdcgan-original": GANConfig(model="cdcgan", networks="original", epochs=30, batch_size=256, bf16=False),
}


def preset_name(model: str, networks: str = "default") -> str:
    """The preset of a (model, networks) pair as the command line names them: dcgan + cnn -> dcgan-cnn."""
    return model if networks == "default" else f"{model}-{networks}"


def d_loss(real_logit, fake_logit, cfg: GANConfig):
    if cfg.loss == "hinge":
        return F.relu(1 - real_logit).mean() + F.relu(1 + fake_logit).mean()
    real_target = torch.full_like(real_logit, cfg.real_label)
    return (F.binary_cross_entropy_with_logits(real_logit, real_target)
            + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))


def g_loss(fake_logit, cfg: GANConfig):
    if cfg.loss == "hinge":
        return -fake_logit.mean()
    return F.softplus(-fake_logit).mean()  # non-saturating: -log D(G(z))


class GANTrainer:
    """The networks, optimizers, noise stream and weight average of one GAN run, and its step."""

    def __init__(self, cfg: GANConfig, num_classes: int, seed: int, shape: tuple = MNIST_SHAPE):
        torch.manual_seed(seed)
        self.cfg, self.device = cfg, default_device()
        self.g, self.d = (net.to(self.device, memory_format=torch.channels_last)
                          for net in build_gan(cfg.model, cfg.networks, num_classes, shape))
        self.conditional = cfg.conditional
        modules = {"G": self.g, "D": self.d}
        self.classifier = None
        if cfg.class_weight and self.conditional:
            self.classifier = modules["classifier"] = torch.nn.Linear(self.d.feature_dim, num_classes).to(self.device)
        d_params = [p for name, m in modules.items() if name != "G" for p in m.parameters()]
        optimizers = {"G": adam(self.g.parameters(), cfg.lr_g, cfg.beta1), "D": adam(d_params, cfg.lr_d, cfg.beta1)}
        self.ema = None
        if cfg.ema:
            self.ema = modules["G_ema"] = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.noise = torch.Generator().manual_seed(seed)
        self.state = GANState(modules, optimizers, {"noise": self.noise}, self.device)

    def sampler(self):
        """The generator to draw samples from: the weight average when there is one."""
        return self.ema if self.ema is not None else self.g

    def _fake(self, n, labels):
        z = torch.randn(n, self.g.z_dim, generator=self.noise).to(self.device)
        return self.g(z, labels if self.conditional else None)

    def step(self, real, labels) -> torch.Tensor:
        """One discriminator and one generator update; returns [d_loss, g_loss, d_real_acc, d_fake_acc]."""
        cfg, y = self.cfg, labels if self.conditional else None
        opt = self.state.optimizers
        with autocast(cfg.bf16, self.device):
            fake = self._fake(len(real), y)
            h_real, h_fake = self.d.features(real, y), self.d.features(fake.detach(), y)
            real_logit, fake_logit = self.d.score(h_real, y).float(), self.d.score(h_fake, y).float()
            loss_d = d_loss(real_logit, fake_logit, cfg)
            if self.classifier is not None:
                loss_d = loss_d + cfg.class_weight * F.cross_entropy(self.classifier(h_real).float(), y)
        _update(opt["D"], loss_d)
        self._freeze_d(True)  # the generator step needs gradients through D, not for D's weights
        with autocast(cfg.bf16, self.device):
            h = self.d.features(fake, y)
            loss_g = g_loss(self.d.score(h, y).float(), cfg)
            if self.classifier is not None:
                loss_g = loss_g + cfg.class_weight * F.cross_entropy(self.classifier(h).float(), y)
        _update(opt["G"], loss_g)
        self._freeze_d(False)
        self.state.step += 1
        if self.ema is not None:  # warm-up: early on the average must not cling to the random initial weights
            steps = self.state.step
            ema_update(self.ema, self.g, min(cfg.ema, (1 + steps) / (10 + steps)))
        return torch.stack([loss_d.detach(), loss_g.detach(), (real_logit > 0).float().mean(),
                            (fake_logit < 0).float().mean()])

    def _freeze_d(self, frozen: bool) -> None:
        self.d.requires_grad_(not frozen)
        if self.classifier is not None:
            self.classifier.requires_grad_(not frozen)


def _update(optimizer, loss):
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def train_gan(dataset: Dataset, split: Split, run: Run, cfg: GANConfig, seed: int = 0, quiet: bool = False) -> dict:
    """Train on the split's labelled images (their labels only for conditional models); resumes the run's
    checkpoint if it has one."""
    trainer = GANTrainer(cfg, dataset.num_classes, seed, dataset.shape)
    device = trainer.device
    images = to_float(dataset.train_images[split.labelled]).to(device)
    labels = dataset.train_labels[split.labelled].to(device)
    if len(images) < cfg.batch_size:
        raise ValueError(f"{len(images)} training images are fewer than one batch of {cfg.batch_size}")
    resume(trainer.state, run, "gan")
    fixed_z, fixed_y = _fixed_noise(trainer, dataset.num_classes, seed)
    steps = max(len(images) // cfg.batch_size, cfg.min_steps_per_epoch)

    def epoch() -> dict:
        order = index_stream(len(images), steps * cfg.batch_size, trainer.noise).to(device)
        trainer.g.train(), trainer.d.train()
        totals = torch.zeros(4, device=device)
        for step in range(steps):
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            totals += trainer.step(images[idx].contiguous(memory_format=torch.channels_last), labels[idx])
        names = ("d_loss", "g_loss", "d_real_acc", "d_fake_acc")
        return dict(zip(names, (totals / steps).tolist()))  # one host sync per epoch, not per step

    def draw(path):
        save_grid(sample_images(trainer.sampler(), fixed_z, fixed_y), path, nrow=10)

    meta = gan_meta(dataset, cfg, seed, run.config.get("dataset"))
    history = train_epochs(trainer.state, run, cfg.epochs, epoch, kind="gan", meta=meta,
                           draw_samples=draw, quiet=quiet, desc=cfg.model, show=("d_loss", "g_loss"))
    plot_gan_losses(history, run.file("losses.png"), title=run.path.name)
    draw(run.file("samples.png"))
    return {"method": cfg.model, "gan_config": config_to_dict(cfg), "epochs": trainer.state.epoch,
            "steps_per_epoch": steps, "final": history[-1] if history else {}}


def _fixed_noise(trainer: GANTrainer, num_classes: int, seed: int):
    """The same 100 latent vectors every epoch (a row per class for conditional models)."""
    z = torch.randn(100, trainer.g.z_dim, generator=torch.Generator().manual_seed(seed + 1))
    y = torch.arange(num_classes).repeat_interleave(100 // num_classes) if trainer.conditional else None
    return z, y


@torch.no_grad()
def sample_images(g, z, y=None, bf16: bool = True, batch_size: int = 1000) -> torch.Tensor:
    """Generator in eval mode (batch-norm running statistics), outputs as float CPU images in [-1, 1]."""
    g.eval()
    device = next(g.parameters()).device
    out = []
    for start in range(0, len(z), batch_size):
        with autocast(bf16, device):
            zb = z[start:start + batch_size].to(device)
            yb = y[start:start + batch_size].to(device) if y is not None else None
            out.append(g(zb, yb).float().cpu())
    return torch.cat(out).clamp(-1, 1)


def sample(g, n: int, labels=None, seed: int = 0, bf16: bool = True):
    """n images from a generator: (images, labels). A conditional generator gets `labels`, or, if None,
    class-balanced labels in shuffled order; an unconditional one returns labels None."""
    noise = torch.Generator().manual_seed(seed)
    z = torch.randn(n, g.z_dim, generator=noise)
    if not g.conditional:
        return sample_images(g, z, None, bf16), None
    if labels is None:
        labels = (torch.arange(n) % g.embed.num_embeddings)[torch.randperm(n, generator=noise)]
    labels = torch.as_tensor(labels, dtype=torch.long).expand(n)
    return sample_images(g, z, labels, bf16), labels


def gan_meta(dataset: Dataset, cfg: GANConfig, seed: int, ref: str | None = None) -> dict:
    """What a GAN checkpoint records besides its weights: enough to rebuild the networks (shape: the images'
    (C, H, W)), to tell which data they were trained on, and to load that data again (dataset_ref: a built-in
    dataset's name or a folder's path, as load_dataset takes it)."""
    return {"model": cfg.model, "networks": cfg.networks, "dataset": dataset.name, "dataset_ref": ref or dataset.name,
            "dataset_checksum": dataset.checksum, "shape": list(dataset.shape),
            "num_classes": dataset.num_classes, "classes": list(dataset.classes), "gan_config": config_to_dict(cfg),
            "seed": seed}


def load_gan(run_dir):
    """(generator to sample from, discriminator, metadata) from a finished GAN run directory's checkpoint; an
    interrupted, half-trained one is refused. Checkpoints of ganclf before the shared GAN core are read too."""
    path = Path(run_dir) / CHECKPOINT
    if not path.exists():
        raise RunError(f"{run_dir} holds no GAN checkpoint ({CHECKPOINT}); train one with `ganclf train-gan`")
    if not (Path(run_dir) / "results.json").is_file():
        raise RunError(f"{run_dir} holds an interrupted GAN run, not a finished one; resume it to the end "
                       f"(ganclf train-gan --resume {run_dir}) before using it")
    state, meta = load_checkpoint(path)
    if meta.get("kind", "gan") != "gan":
        raise RunError(f"{path} is not a GAN checkpoint (it holds a {meta.get('kind')} run)")
    if meta.get("layout") is None:  # layout 1: g / d / ema keys, preset named 'preset'
        meta = {**meta, "networks": meta.get("preset")}
        state = {"modules": {"G": state.get("g"), "D": state.get("d"), "G_ema": state.get("ema")}}
    try:
        cfg = config_from_dict(GANConfig, meta["gan_config"], "gan_config") if meta.get("layout") else None
        num_classes = int(meta["num_classes"])
        if not 1 <= num_classes <= 10_000:
            raise ValueError(f"num_classes {num_classes} out of range")
        if not isinstance(meta["dataset"], str):
            raise ValueError("its dataset is not a name")
        g, d = build_gan(cfg.model if cfg else meta["model"], meta["networks"], num_classes, image_shape(meta))
        modules = state["modules"]
        g.load_state_dict(modules.get("G_ema") or modules["G"])
        d.load_state_dict(modules["D"])
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as err:
        raise RunError(f"{path}: not a usable GAN checkpoint ({reason(err)})") from None
    return g.eval(), d, meta


def labels_seen_beyond(gan_dir, split: Split, gan_meta: dict) -> dict:
    """How many labels a conditional GAN trained on that a classifier with this split may not see (neither its
    labelled nor its validation images): labels the classifier's number cost too, so api.run counts them in
    labels_used. An unconditional GAN saw none."""
    if gan_meta.get("model") not in CONDITIONAL:
        return {"gan_labels_inside_budget": True, "gan_labels_outside_budget": 0}
    labelled = read_split_indices(gan_dir)
    if labelled is None:
        raise ConfigError(f"{gan_dir}/split.json: unreadable, so the labels the GAN saw cannot be counted")
    outside = set(labelled.tolist()) - set(split.labelled.tolist()) - set(split.validation.tolist())
    return {"gan_labels_inside_budget": not outside, "gan_labels_outside_budget": len(outside)}


def check_gan_labels(dataset: Dataset, split: Split, cfg) -> None:
    """A method's check_data when it uses a trained GAN (cfg.gan): the labels that GAN saw can be counted, before
    anything trains."""
    if cfg.gan and getattr(cfg, "pretrained", True):
        labels_seen_beyond(cfg.gan, split, load_gan(cfg.gan)[2])


TRAIN_GAN = Method("train-gan", "train a GAN (gan, dcgan, cdcgan) on a label budget's images", train_gan, PRESETS,
                   default_preset="dcgan", default_labels="10000", kind="gan")
