"""Transfer a trained GAN discriminator to a classifier: a new head on its features, the body frozen
for the first epochs (or throughout) and then fine-tuned with a fresh optimizer."""
from dataclasses import dataclass, replace

from ..config import ConfigError, config_to_dict
from ..data import Dataset, Split
from ..models.classifiers import MNIST_SHAPE
from ..models.transfer import TransferClassifier
from ..runs import Run, open_run
from ..train import TrainConfig, fit
from . import Method, SharedGAN
from .baseline import CNN_RECIPE, run_cnn
from .classify import report_classifier, seed_everything, split_tensors
from ..models.gans import build_gan
from .gan import check_gan_labels, labels_seen_beyond, load_gan

ORIGINAL_SGD = TrainConfig(epochs=15, batch_size=100, optimizer="sgd", lr=0.01, bf16=False, select_best=False)


@dataclass(frozen=True)
class TransferConfig:
    gan: str = ""  # the GAN run directory whose discriminator is transferred
    head: str = "mlp"  # linear | mlp
    head_activation: bool = True
    dropout: float = 0.5  # on the discriminator's features, before the head
    unfreeze_after: int = 2  # epochs with the body frozen (at most all but the last epoch), then fine-tuned
    frozen: bool = False  # never unfreeze: train the head only (a linear probe with head="linear")
    body_lr_scale: float = 1.0  # 0.1 and 0.3 scored no better on validation
    compare: bool = False  # also train the default CNN on the same labels and seed, in the run's cnn/ folder
    pretrained: bool = True  # False: the same body from random initialisation (the control), no GAN needed
    body: str = "dcgan-cnn"  # without pretraining: the train-gan preset whose discriminator is the body
    train: TrainConfig = TrainConfig(epochs=20, batch_size=64, optimizer="adamw", lr=2e-3, schedule="onecycle",
                                     weight_decay=5e-4, label_smoothing=0.1, min_steps_per_epoch=75)

    def __post_init__(self):
        if self.head not in ("linear", "mlp"):
            raise ConfigError(f"unknown head {self.head!r}; choose linear or mlp")
        if self.unfreeze_after < 0 or not 0 <= self.dropout < 1:
            raise ConfigError("unfreeze_after must be at least 0 and dropout in [0, 1)")

    @property
    def frozen_epochs(self) -> int:
        return self.train.epochs if self.frozen else min(self.unfreeze_after, self.train.epochs - 1)


PRESETS = {
    "default": TransferConfig(),
    # The original projects 000/004: SGD 0.01, batch 100, 15 epochs; trial 1 never unfreezes; 2 unfreezes after 5;
    # 3 adds Dense 128.
    "original-trial1": TransferConfig(head="linear", dropout=0.0, frozen=True, train=ORIGINAL_SGD),
    "original-trial2": TransferConfig(head="linear", dropout=0.0, unfreeze_after=5, train=ORIGINAL_SGD),
    "original-trial3": TransferConfig(head="mlp", head_activation=False, dropout=0.0, unfreeze_after=7,
                                      train=ORIGINAL_SGD),
}


def run_transfer(dataset: Dataset, split: Split, run: Run, cfg: TransferConfig, seed: int = 0,
                 quiet: bool = False) -> dict:
    discriminator, gan_meta = _body(cfg, dataset, seed)
    seed_everything(seed)  # the head starts from the same weights with or without pretraining
    model = TransferClassifier(discriminator, dataset.num_classes, cfg.head, activation=cfg.head_activation,
                               dropout=cfg.dropout)
    data = split_tensors(dataset, split)
    history = _train_in_phases(model, data, cfg, run, seed, quiet)
    meta = {"classifier": "transfer", "gan": gan_meta, "transfer": config_to_dict(cfg),
            "num_classes": dataset.num_classes}
    results = {"method": "transfer", "transfer_config": config_to_dict(cfg), "gan_run": cfg.gan,
               **(labels_seen_beyond(cfg.gan, split, gan_meta) if cfg.pretrained else {}),
               **report_classifier(model, data, dataset, history, run, meta, cfg.train.bf16)}
    if cfg.compare:
        cnn_run = open_run(run.file("cnn"), {**run.config, "method": "cnn", "config": config_to_dict(CNN_RECIPE)},
                           resume=True, reuse=True)
        cnn = cnn_run.results() if cnn_run.finished else cnn_run.finish(run_cnn(dataset, split, cnn_run, CNN_RECIPE,
                                                                                seed, quiet))
        results.update(cnn_test_accuracy=cnn["test_accuracy"], gain_over_cnn=results["test_accuracy"] -
                       cnn["test_accuracy"])
    return results


def _body(cfg: TransferConfig, dataset: Dataset, seed: int):
    """The trained GAN's discriminator, or (the control) the same network freshly initialised."""
    if not cfg.pretrained:
        from .gan import PRESETS as GAN_PRESETS
        gan_cfg = GAN_PRESETS[cfg.body]
        num_classes = dataset.num_classes if gan_cfg.conditional else 0
        seed_everything(seed)
        discriminator = build_gan(gan_cfg.model, gan_cfg.networks, num_classes, dataset.shape)[1]
        return discriminator, {"model": gan_cfg.model, "networks": gan_cfg.networks, "num_classes": num_classes,
                               "dataset": dataset.name, "pretrained": False}
    _, discriminator, gan_meta = load_gan(need_gan(cfg.gan, "transfer"))
    check_gan_dataset(gan_meta, dataset, cfg.gan)
    return discriminator, gan_meta


def _check(cfg: TransferConfig) -> None:
    if cfg.pretrained:
        load_gan(need_gan(cfg.gan, "transfer"))


def need_gan(path: str, method: str) -> str:
    if not path:
        raise ConfigError(f"{method} needs a trained GAN: set gan (--run on the command line) to a train-gan run "
                          "directory")
    return path


def check_gan_dataset(gan_meta: dict, dataset: Dataset, path: str) -> None:
    """The GAN was trained on this very dataset: same name, same content (checksum; not recorded before
    shapes were), same image shape."""
    if gan_meta.get("dataset") != dataset.name:
        raise ConfigError(f"{path} was trained on {gan_meta.get('dataset')}, not {dataset.name}")
    if gan_meta.get("dataset_checksum", dataset.checksum) != dataset.checksum:
        raise ConfigError(f"{path} was trained on another {dataset.name} (its files' checksum differs)")
    if tuple(gan_meta.get("shape", MNIST_SHAPE)) != dataset.shape:
        raise ConfigError(f"{path} was trained on {tuple(gan_meta.get('shape', MNIST_SHAPE))} images, "
                          f"not {dataset.shape}")


def _train_in_phases(model, data, cfg: TransferConfig, run, seed, quiet) -> list[dict]:
    """Phase 1 trains the head on the frozen body; phase 2 (a fresh optimizer, as the originals did) trains all."""
    frozen_epochs, history = cfg.frozen_epochs, []
    if frozen_epochs:
        model.set_body_trainable(False)
        phase = replace(cfg.train, epochs=frozen_epochs)
        history += fit(model, data["train"], data["val"], phase, seed, run.log, quiet, desc="head")
    if frozen_epochs < cfg.train.epochs:
        model.set_body_trainable(True)
        phase = replace(cfg.train, epochs=cfg.train.epochs - frozen_epochs)
        groups = [{"params": list(model.head.parameters())},
                  {"params": model.body_parameters(), "lr_scale": cfg.body_lr_scale}]
        history += fit(model, data["train"], data["val"], phase, seed + 1, run.log, quiet,
                       epoch_offset=frozen_epochs, desc="fine-tune", param_groups=groups)
    return history


TRANSFER = Method("transfer", "a trained GAN's discriminator fine-tuned as a classifier", run_transfer, PRESETS,
                  shared_gan=SharedGAN("dcgan-cnn", images="pool"), check=_check, check_data=check_gan_labels,
                  control="transfer-scratch")
# The control: the identical classifier (body, head, phases, recipe) from random initialisation.
TRANSFER_SCRATCH = Method("transfer-scratch", "transfer's classifier from random initialisation, no GAN",
                          run_transfer, {name: replace(cfg, pretrained=False) for name, cfg in PRESETS.items()})
