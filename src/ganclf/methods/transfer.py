"""Transfer a trained GAN discriminator to a classifier: a new head on its features, the body frozen
for the first K epochs (or throughout) and then fine-tuned with a fresh optimizer."""
from dataclasses import asdict, dataclass, replace

from ..data import Dataset, Split
from ..models.transfer import TransferClassifier
from ..runs import Run
from ..train import TrainConfig, fit, with_epochs
from .classify import report_classifier, seed_everything, split_tensors

SEED_SGD = TrainConfig(epochs=15, batch_size=100, optimizer="sgd", lr=0.01, bf16=False, select_best=False)


@dataclass(frozen=True)
class TransferConfig:
    head: str = "mlp"
    head_activation: bool = True
    dropout: float = 0.5  # on the discriminator's features, before the head
    unfreeze_after: int | None = 2  # epochs with the body frozen; None: frozen throughout
    body_lr_scale: float = 1.0  # 0.1 and 0.3 scored no better on validation
    train: TrainConfig = TrainConfig(epochs=20, batch_size=64, optimizer="adamw", lr=2e-3, schedule="onecycle",
                                     weight_decay=5e-4, label_smoothing=0.1, min_steps=1500)

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS = {
    "default": TransferConfig(),
    # Seeds 000/004: SGD 0.01, batch 100, 15 epochs; trial 1 never unfreezes; 2 unfreezes after 5; 3 adds Dense 128.
    "seed-trial1": TransferConfig(head="linear", dropout=0.0, unfreeze_after=None, train=SEED_SGD),
    "seed-trial2": TransferConfig(head="linear", dropout=0.0, unfreeze_after=5, train=SEED_SGD),
    "seed-trial3": TransferConfig(head="mlp", head_activation=False, dropout=0.0, unfreeze_after=7,
                                  train=SEED_SGD),
}


def make_transfer_config(preset: str = "default", head=None, unfreeze_after=None, epochs=None,
                         frozen: bool = False) -> TransferConfig:
    if preset not in PRESETS:
        raise ValueError(f"unknown transfer preset {preset!r}; choose from {', '.join(PRESETS)}")
    cfg = PRESETS[preset]
    if head is not None:
        cfg = replace(cfg, head=head)
    if frozen:
        cfg = replace(cfg, unfreeze_after=None)
    elif unfreeze_after is not None:
        cfg = replace(cfg, unfreeze_after=unfreeze_after)
    if epochs is not None:
        cfg = replace(cfg, train=with_epochs(cfg.train, epochs))
        if unfreeze_after is None and cfg.unfreeze_after is not None:  # the preset's head-only phase, shortened
            cfg = replace(cfg, unfreeze_after=min(cfg.unfreeze_after, epochs - 1))
    if cfg.unfreeze_after is not None and not 0 <= cfg.unfreeze_after < cfg.train.epochs:
        raise ValueError(f"--unfreeze-after {cfg.unfreeze_after} must be below the {cfg.train.epochs} epochs")
    return cfg


def run_transfer(discriminator, gan_meta: dict, dataset: Dataset, split: Split, run: Run, cfg: TransferConfig,
                 seed: int = 0, quiet: bool = False) -> dict:
    seed_everything(seed)
    model = TransferClassifier(discriminator, dataset.num_classes, cfg.head, activation=cfg.head_activation,
                               dropout=cfg.dropout)
    data = split_tensors(dataset, split)
    history = _train_in_phases(model, data, cfg, run, seed, quiet)
    meta = {"classifier": "transfer", "gan": gan_meta, "transfer": cfg.to_dict(), "num_classes": dataset.num_classes}
    return {"method": "transfer", "transfer_config": cfg.to_dict(),
            **report_classifier(model, data, dataset, history, run, meta, cfg.train.bf16)}


def _train_in_phases(model, data, cfg: TransferConfig, run, seed, quiet) -> list[dict]:
    """Phase 1 trains the head on the frozen body; phase 2 (a fresh optimizer, as the seeds did) trains all."""
    frozen_epochs = cfg.train.epochs if cfg.unfreeze_after is None else cfg.unfreeze_after
    history = []
    if frozen_epochs:
        model.set_body_trainable(False)
        phase = replace(cfg.train, epochs=frozen_epochs, min_steps=_share(cfg.train, frozen_epochs))
        history += fit(model, data["train"], data["val"], phase, seed, run.log, quiet, desc="head")
    if frozen_epochs < cfg.train.epochs:
        model.set_body_trainable(True)
        epochs = cfg.train.epochs - frozen_epochs
        phase = replace(cfg.train, epochs=epochs, min_steps=_share(cfg.train, epochs))
        groups = [{"params": list(model.head.parameters())},
                  {"params": model.body_parameters(), "lr_scale": cfg.body_lr_scale}]
        history += fit(model, data["train"], data["val"], phase, seed + 1, run.log, quiet,
                       epoch_offset=frozen_epochs, desc="fine-tune", param_groups=groups)
    return history


def _share(train: TrainConfig, epochs: int) -> int:
    """A phase's part of the minimum number of steps, in proportion to its epochs."""
    return train.min_steps * epochs // train.epochs
