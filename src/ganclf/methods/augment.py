"""Conditional-GAN augmentation (seed 001): train the same classifier on real images, real + generated, or
generated only, always validated and tested on real images it never saw.

Unlike the seed, generated images are on the real images' scale ([-1, 1]), class-balanced, shuffled (the loop
draws random batches) and sampled with the generator in eval mode.
"""
import json
from dataclasses import asdict, dataclass, replace

import torch

from ..data import Dataset, Split
from ..models.classifiers import build_classifier
from ..runs import Run
from ..train import fit, predict_logits, with_epochs
from .baseline import CNN_PRESETS
from .classify import load_classifier, report_classifier, seed_everything, split_tensors

MIXES = ("real", "real+gen", "gen")
FILTERS = ("none", "classifier")


@dataclass(frozen=True)
class AugmentConfig:
    synthetic: int = 10000  # generated images, balanced over the classes
    # Share of real images in an epoch (the real ones repeated); 0: simply concatenated. On validation
    # (benchmarks/augment.py --sweep, 3 seeds) 50% beat concatenation at 100 and 1,000 labels; at 10,000 it is
    # what concatenating 10,000 generated images gives anyway.
    real_fraction: float = 0.5
    filter: str = "none"  # classifier: keep samples that a real-only classifier assigns to their intended class
    filter_confidence: float = 0.9
    classifier: str = "cnn"  # a CNN_PRESETS recipe, the same for every mix
    epochs: int | None = None  # None: the recipe's

    def to_dict(self) -> dict:
        return asdict(self)


def check_augment_config(cfg: AugmentConfig, mixes) -> None:
    bad = [m for m in mixes if m not in MIXES]
    if bad:
        raise ValueError(f"unknown mix {bad[0]!r}; choose from {', '.join(MIXES)}")
    if cfg.filter not in FILTERS:
        raise ValueError(f"unknown filter {cfg.filter!r}; choose from {', '.join(FILTERS)}")
    if cfg.synthetic < 1 and any(m != "real" for m in mixes):
        raise ValueError("--synthetic must be at least 1 for the real+gen and gen mixes")
    if not 0 <= cfg.real_fraction < 1:
        raise ValueError("--real-fraction must be at least 0 (0: simply concatenate) and below 1")


def run_augment(generator, dataset: Dataset, split: Split, run: Run, cfg: AugmentConfig, mixes=MIXES,
                seed: int = 0, quiet: bool = False, sample_fn=None) -> dict:
    """One classifier per mix, each in its own sub-directory; returns the comparison."""
    data = split_tensors(dataset, split)
    results, real_model = {}, None
    if "real" in mixes or cfg.filter == "classifier":
        real_model, results["real"] = _train_mix("real", data, data["train"], dataset, run, cfg, seed, quiet)
    if any(m != "real" for m in mixes):
        synthetic = _synthetic(generator, sample_fn, cfg, real_model, seed)
        run.log({"synthetic_images": len(synthetic[0]), "filter": cfg.filter})
        for mix in [m for m in mixes if m != "real"]:
            train = synthetic if mix == "gen" else _mix_real(data["train"], synthetic, cfg.real_fraction)
            results[mix] = _train_mix(mix, data, train, dataset, run, cfg, seed, quiet)[1]
    return {"method": "augment", "augment_config": cfg.to_dict(),
            "mixes": {m: {k: r[k] for k in ("val_accuracy", "test_accuracy")} for m, r in results.items()},
            **{k: v for k, v in results[_main_mix(mixes)].items() if k != "method"}}


def _main_mix(mixes) -> str:
    """The mix whose numbers stand for the run in a study table."""
    return "real+gen" if "real+gen" in mixes else mixes[0]


def _train_mix(mix, data, train, dataset, run, cfg, seed, quiet):
    path = run.path / mix.replace("+", "_")
    if (path / "results.json").exists():  # an interrupted augment run: finished mixes are read, not retrained
        return load_classifier(path / "model.safetensors")[0], json.loads((path / "results.json").read_text())
    arch, kwargs, train_cfg = CNN_PRESETS[cfg.classifier]
    train_cfg = with_epochs(train_cfg, cfg.epochs) if cfg.epochs else train_cfg
    sub = Run(path, {**run.config, "mix": mix})
    seed_everything(seed)
    model = build_classifier(arch, dataset.num_classes, **kwargs)
    history = fit(model, train, data["val"], train_cfg, seed, sub.log, quiet, desc=mix)
    meta = {"classifier": arch, "classifier_kwargs": kwargs, "num_classes": dataset.num_classes}
    result = report_classifier(model, data, dataset, history, sub, meta, train_cfg.bf16)
    sub.finish({"mix": mix, "n_train": len(train[0]), **result})
    return model, result


@torch.no_grad()
def _synthetic(generator, sample_fn, cfg, real_model, seed):
    """Class-balanced generated images; with the classifier filter, drawn 3x and the most confident kept."""
    if cfg.filter == "none":
        return sample_fn(generator, cfg.synthetic, None, seed)
    images, labels = sample_fn(generator, 3 * cfg.synthetic, None, seed)
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
    """Concatenate; with a real_fraction above 0, repeat the real images so they make up that share of an epoch."""
    repeats = 1
    if real_fraction:
        wanted = real_fraction / (1 - real_fraction) * len(synthetic[0])
        repeats = max(1, round(wanted / len(real[0])))
    return (torch.cat([real[0].repeat(repeats, 1, 1, 1), synthetic[0]]),
            torch.cat([real[1].repeat(repeats), synthetic[1]]))


def with_overrides(cfg: AugmentConfig, **overrides) -> AugmentConfig:
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
