"""Conditional-GAN augmentation (original project 001): train the same classifier on real images, real + generated, or
generated only, always validated and tested on real images it never saw.

Unlike the seed, generated images are on the real images' scale ([-1, 1]), class-balanced, shuffled (the loop
draws random batches) and sampled with the generator in eval mode.
"""
from dataclasses import dataclass, replace

import torch

from ..config import ConfigError, config_to_dict
from ..data import Dataset, Split
from ..runs import Run, open_run
from ..train import epoch_steps, fit, predict_logits
from . import Method, SharedGAN
from .baseline import CNN_RECIPE
from .classify import load_classifier, report_classifier, seed_everything, split_tensors
from .gan import check_gan_labels, labels_seen_beyond, load_gan, sample
from .transfer import check_gan_dataset, need_gan

MIXES = ("real", "real+gen", "gen")
FILTERS = ("none", "classifier")


@dataclass(frozen=True)
class AugmentConfig:
    gan: str = ""  # the conditional GAN run directory (cdcgan) to draw labelled images from
    mixes: tuple = MIXES  # which training sets to compare; the first of real+gen, gen, real stands for the run
    synthetic: int = 10000  # generated images, balanced over the classes
    # Share of real images in an epoch (the real ones repeated); 0: simply concatenated. On validation
    # (benchmarks/augment.py --sweep, 3 seeds) 50% beat concatenation at 100 and 1,000 labels; at 10,000 it is
    # what concatenating 10,000 generated images gives anyway.
    real_fraction: float = 0.5
    filter: str = "none"  # classifier: keep samples that a real-only classifier assigns to their intended class
    filter_confidence: float = 0.9
    epochs: int | None = None  # the CNN recipe's (the default CNN's) epochs; None: the recipe's
    shift: int = 0  # classical augmentation of every training image (real and generated), as cnn-shift's

    def __post_init__(self):
        bad = [m for m in self.mixes if m not in MIXES]
        if bad or not self.mixes:
            raise ConfigError(f"unknown mix {bad[0] if bad else ''!r}; choose from {', '.join(MIXES)}")
        if self.filter not in FILTERS:
            raise ConfigError(f"unknown filter {self.filter!r}; choose from {', '.join(FILTERS)}")
        if not 1 <= self.synthetic <= 10_000_000:
            raise ConfigError("synthetic must be between 1 and 10,000,000 generated images")
        if not 0 <= self.real_fraction < 1:
            raise ConfigError("real_fraction must be at least 0 (0: simply concatenate) and below 1")
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError("epochs must be at least 1")
        if not 0 <= self.shift <= 8:
            raise ConfigError(f"shift must be 0 to 8 pixels, not {self.shift}")

    @property
    def classifier(self):
        epochs = CNN_RECIPE.train.epochs if self.epochs is None else self.epochs
        return replace(CNN_RECIPE, train=replace(CNN_RECIPE.train, epochs=epochs, shift=self.shift))


def run_augment(dataset: Dataset, split: Split, run: Run, cfg: AugmentConfig, seed: int = 0,
                quiet: bool = False) -> dict:
    """One classifier per mix, each in its own sub-directory; returns the comparison."""
    generator, _, gan_meta = check_augment(cfg)
    check_gan_dataset(gan_meta, dataset, cfg.gan)
    data = split_tensors(dataset, split)
    results, real_model = {}, None
    if "real" in cfg.mixes or cfg.filter == "classifier":
        real_model, results["real"] = _train_mix("real", data, data["train"], dataset, run, cfg, seed, quiet)
    if any(m != "real" for m in cfg.mixes):
        synthetic = _synthetic(generator, cfg, real_model, seed)
        run.log({"synthetic_images": len(synthetic[0]), "filter": cfg.filter})
        for mix in [m for m in cfg.mixes if m != "real"]:
            train, real_rows = (synthetic, 0) if mix == "gen" else \
                _mix_real(data["train"], synthetic, cfg.real_fraction)
            results[mix] = _train_mix(mix, data, train, dataset, run, cfg, seed, quiet, real_rows)[1]
    return {"method": "augment", "augment_config": config_to_dict(cfg), "gan_run": cfg.gan,
            "steps_matched_to": "the real-only classifier (cnn-shift's with shift, cnn's without)",
            **labels_seen_beyond(cfg.gan, split, gan_meta),
            "mixes": {m: {k: r[k] for k in ("val_accuracy", "test_accuracy")} for m, r in results.items()},
            **{k: v for k, v in results[_main_mix(cfg.mixes)].items() if k != "method"}}


def check_augment(cfg: AugmentConfig):
    """The GAN to draw from: a conditional one, or a ConfigError."""
    generator, discriminator, gan_meta = load_gan(need_gan(cfg.gan, "augment"))
    if not generator.conditional:
        raise ConfigError(f"{cfg.gan} holds an unconditional {gan_meta['model']}; augmentation needs labelled "
                          "samples from a cdcgan")
    return generator, discriminator, gan_meta


def _main_mix(mixes) -> str:
    """The mix whose numbers stand for the run in a study table."""
    return "real+gen" if "real+gen" in mixes else mixes[0]


def _train_mix(mix, data, train, dataset, run, cfg, seed, quiet, real_rows=None):
    """Every mix trains the optimizer steps of the real-only classifier (its control's), so generated images
    change what a step sees, never how many steps there are. A finished mix (an interrupted augment run) is read
    back, not retrained."""
    sub = open_run(run.file(mix.replace("+", "_")), {**run.config, "mix": mix}, resume=True, reuse=True)
    if sub.finished:
        return load_classifier(sub.file("model.safetensors"))[0], sub.results()
    sub.restore_metrics([])
    recipe = cfg.classifier
    seed_everything(seed)
    model = recipe.build(dataset.num_classes, dataset.shape)
    history = fit(model, train, data["val"], recipe.train, seed, sub.log, quiet, desc=mix,
                  steps_per_epoch=epoch_steps(len(data["train"][0]), recipe.train), real_rows=real_rows)
    meta = {"classifier": recipe.arch, "classifier_kwargs": recipe.kwargs(), "num_classes": dataset.num_classes}
    result = report_classifier(model, data, dataset, history, sub, meta, recipe.train.bf16)
    sub.finish({"mix": mix, "n_train": len(train[0]), **result})
    return model, result


@torch.no_grad()
def _synthetic(generator, cfg, real_model, seed):
    """Class-balanced generated images; with the classifier filter, drawn 3x and the most confident kept."""
    if cfg.filter == "none":
        return sample(generator, cfg.synthetic, None, seed)
    images, labels = sample(generator, 3 * cfg.synthetic, None, seed)
    probs = predict_logits(real_model, images).softmax(1)
    confidence = probs.gather(1, labels.view(-1, 1)).squeeze(1)
    keep = []
    per_class = cfg.synthetic // int(labels.max() + 1)
    for c in range(int(labels.max()) + 1):
        members = torch.nonzero(labels == c).squeeze(1)
        ranked = members[confidence[members].argsort(descending=True)]
        keep.append(ranked[:per_class][confidence[ranked[:per_class]] >= cfg.filter_confidence])
    keep = torch.cat(keep)
    return images[keep], labels[keep]


def _mix_real(real, synthetic, real_fraction):
    """(images, labels) with the real ones first, and how many rows are real: concatenated; with a real_fraction
    above 0, the real images repeated so they make up that share of the mix."""
    repeats = 1
    if real_fraction:
        wanted = real_fraction / (1 - real_fraction) * len(synthetic[0])
        repeats = max(1, round(wanted / len(real[0])))
    return ((torch.cat([real[0].repeat(repeats, 1, 1, 1), synthetic[0]]),
             torch.cat([real[1].repeat(repeats), synthetic[1]])), repeats * len(real[0]))


AUGMENT = Method("augment", "a conditional GAN's images added to the real ones", run_augment,
                 {"default": AugmentConfig()},
                 shared_gan=SharedGAN("cdcgan", images="budget"), check=check_augment, check_data=check_gan_labels,
                 control="cnn")
