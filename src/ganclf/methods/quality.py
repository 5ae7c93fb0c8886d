"""GAN quality measured offline, in the features of a classifier trained on the dataset itself.

Inception features (the usual FID) mean downloading weights trained on ImageNet photographs; for 28x28
greyscale digits and clothes a domain classifier is both offline and closer to what matters here. The feature
network is the default CNN ("cnn" recipe, width 16) trained once per dataset on every training image outside
the fixed validation split, cached as safetensors and reloaded from then on.

The real reference is the test images (as many as there are generated ones, up to all 10,000: precision and
recall compare sets of one size): the feature network never trained on them, so real images score as real
images from outside its training set do. Compare numbers only when they come from the same feature network and
the same number of generated images (FID is biased by sample size; use 10,000).

MNIST's and Fashion-MNIST's networks ship with the package (features/<dataset>.safetensors, trained by
benchmarks/feature_networks.py exactly as here, with one torch thread): a fresh machine scores GANs at once and
every machine scores them in the same features. A shipped file is used only if its SHA-256 is the one its JSON
records and its recipe and dataset checksum are the current ones; otherwise the network is trained as before.
"""
import hashlib
import json
import logging
import time
import warnings
from dataclasses import asdict, replace
from pathlib import Path

import torch
from torch import nn

from ..data import Dataset, make_split, to_float
from ..data.datasets import cache_dir as ganclf_cache_dir
from ..data.splits import default_validation_size
from ..logs import show_by_default
from ..models.classifiers import build_classifier
from ..metrics import frechet_distance, precision_recall
from ..runs import RunError, load_checkpoint, save_checkpoint
from ..train import TrainConfig, fit, predict_logits
from .baseline import CNN_RECIPE
from .classify import seed_everything

# 55k labelled images need few passes: 2 epochs reached 0.994 validation accuracy (the recipe's 20 would
# cost ~10x the time for features that change little).
FEATURE_EPOCHS = 3
SEED = 0
SHIPPED = Path(__file__).parent / "features"
LOG = logging.getLogger("ganclf.quality")


def feature_network(dataset: Dataset, cache_dir=None, quiet: bool = True, epochs: int | None = None,
                    max_images: int | None = None, device=None) -> nn.Module:
    """The dataset's feature network: the one shipped with ganclf, or from the cache, or trained (and cached)
    now; in eval mode.

    Cached as <cache_dir>/<dataset>-<checksum>.safetensors (default cache_dir: ~/.cache/ganclf/features,
    $XDG_CACHE_HOME honoured): the checksum of the dataset's files, so two folders of one name never share it.
    `epochs` (exactly that many passes) and `max_images` (a class-balanced subset) make a quicker, weaker
    network for tests; it is cached under its own name so it never replaces the real one. A cached
    file whose recipe differs from the current one is retrained. The network is trained on and returned on
    `device` (default CPU). Training it takes minutes on a CPU, so it says so first (an INFO line of the
    'ganclf.quality' logger) and shows a progress bar unless quiet.
    """
    model, split, cfg, recipe = _untrained(dataset, epochs, max_images, device)
    name = dataset.name if epochs is None and max_images is None else f"{split.name}-{cfg.epochs}ep"
    name += f"-{dataset.checksum[:16]}" if dataset.checksum else ""
    path = Path(cache_dir or ganclf_cache_dir() / "features") / f"{name}.safetensors"
    state = _shipped_state(dataset.name, recipe) if epochs is None and max_images is None else None
    state = state if state is not None else _cached_state(path, recipe)
    if state is None:
        if not quiet:
            show_by_default()
        LOG.info(f"training the feature network for FID on {dataset.name} ({cfg.epochs} epochs on "
                 f"{len(split.labelled):,} images: minutes on a CPU; once, cached in {path})")
        state, info = _train(model, dataset, split, cfg, quiet)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(path, {"model": state}, {**recipe, **info})
    model.load_state_dict(state)
    return model.eval()


def train_feature_network(dataset: Dataset, quiet: bool = True) -> tuple[dict, dict]:
    """The dataset's feature network trained now as feature_network trains it: (its state, its metadata: the
    recipe it is checked against, its validation accuracy, its training time). For benchmarks/feature_networks.py."""
    model, split, cfg, recipe = _untrained(dataset, None, None, None)
    state, info = _train(model, dataset, split, cfg, quiet)
    return state, {**recipe, **info}


def _untrained(dataset: Dataset, epochs: int | None, max_images: int | None, device):
    """(the seeded untrained network, its split, its training recipe, the recipe as metadata to check)."""
    arch, kwargs, cfg = _recipe(epochs or FEATURE_EPOCHS)
    split = _split(dataset, max_images or "all")
    recipe = {"classifier": arch, "classifier_kwargs": kwargs, "num_classes": dataset.num_classes,
              "dataset": dataset.name, "dataset_checksum": dataset.checksum, "shape": list(dataset.shape),
              "classes": list(dataset.classes), "split": split.name, "train_config": asdict(cfg), "seed": SEED}
    seed_everything(SEED)  # the same initial weights every time the network is trained
    return build_classifier(arch, dataset.num_classes, dataset.shape, **kwargs).to(device), split, cfg, recipe


def _split(dataset: Dataset, budget):
    """The fixed validation split of run()'s default size (5,000 for the built-in datasets, a tenth of a small
    folder), the rest or `budget` of it to train on."""
    labels = dataset.train_labels.numpy()
    return make_split(labels, budget, SEED, dataset.name, dataset.num_classes, default_validation_size(len(labels)))


def _recipe(epochs: int | None) -> tuple[str, dict, TrainConfig]:
    """The default CNN's recipe (for the feature network and the CAS classifier), optionally shortened."""
    cfg = CNN_RECIPE.train
    return CNN_RECIPE.arch, CNN_RECIPE.kwargs(), (replace(cfg, epochs=epochs, min_steps_per_epoch=0) if epochs else cfg)


def _shipped_state(name: str, recipe: dict) -> dict | None:
    """The shipped network of the dataset of this name, if there is one and it is intact and of this recipe and
    data (a folder dataset named "mnist" has another checksum)."""
    path, meta = SHIPPED / f"{name}.safetensors", SHIPPED / f"{name}.json"
    if not (path.is_file() and meta.is_file()):
        return None
    if hashlib.sha256(path.read_bytes()).hexdigest() != json.loads(meta.read_text()).get("sha256"):
        warnings.warn(f"{path} is not the file ganclf shipped (its SHA-256 differs); training the feature network")
        return None
    return _cached_state(path, recipe, warn=False)


def _cached_state(path: Path, recipe: dict, warn: bool = True) -> dict | None:
    if not path.exists():
        return None
    try:
        state, metadata = load_checkpoint(path)
    except RunError as err:
        warnings.warn(f"{err}; training the feature network again")
        return None
    if {k: metadata.get(k) for k in recipe} != recipe:
        if warn:
            warnings.warn(f"{path} was trained with another recipe; training the feature network again")
        return None
    return state["model"]


def _train(model: nn.Module, dataset: Dataset, split, cfg: TrainConfig, quiet: bool) -> tuple[dict, dict]:
    images, labels = to_float(dataset.train_images), dataset.train_labels
    start = time.time()
    history = fit(model, (images[split.labelled], labels[split.labelled]),
                  (images[split.validation], labels[split.validation]), cfg, SEED, quiet=quiet, desc="features")
    return model.state_dict(), {"val_accuracy": max(r["val_acc"] for r in history),
                                "train_time_s": round(time.time() - start, 2)}


@torch.no_grad()
def embed(net: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Penultimate features (the input of the final Linear) of (N, C, H, W) images in [-1, 1], of the shape the
    network was trained on.

    float32, not the bf16 autocast of training: bf16's 3 significant digits would blur the small distances
    that precision/recall and a near-zero FID depend on.
    """
    channels = next(m for m in net.modules() if isinstance(m, nn.Conv2d)).in_channels
    if images.ndim != 4 or images.shape[1] != channels:
        raise ValueError(f"expected images of shape (N, {channels}, H, W) in [-1, 1], got {tuple(images.shape)}")
    if not (isinstance(net, nn.Sequential) and isinstance(net[-1], nn.Linear)):
        raise TypeError("embed needs a Sequential classifier ending in a Linear layer (the default CNN)")
    net.eval()
    device = next(net.parameters()).device
    body = net[:-1]
    return torch.cat([body(images[i:i + batch_size].to(device).float()).float().cpu()
                      for i in range(0, len(images), batch_size)])


def reference_features(dataset: Dataset, net: nn.Module, n: int | None = None) -> torch.Tensor:
    """Features of the test images (MNIST's 10,000), or of a fixed random n of them: compute once, pass to
    gan_quality as real_reference."""
    images = dataset.test_images
    if n is not None and n < len(images):  # random, not the first n: MNIST's first 5,000 are the easier ones
        images = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(SEED))[:n]]
    return embed(net, to_float(images))


def gan_quality(images: torch.Tensor, labels: torch.Tensor | None, dataset: Dataset, net: nn.Module,
                real_reference: torch.Tensor | None = None, k: int = 3) -> dict:
    """{fid, precision, recall} of generated images against the real test images, in the net's features.

    With labels (a conditional model's intended classes) also label_accuracy: how often the feature network,
    itself a classifier, assigns each image to its intended class.
    """
    _check_images(images, dataset.shape)
    real = reference_features(dataset, net) if real_reference is None else real_reference
    fake = embed(net, images)
    precision, recall = precision_recall(real, fake, k)
    quality = {"fid": frechet_distance(real, fake), "precision": precision, "recall": recall}
    if labels is not None:
        with torch.no_grad():
            predicted = net[-1](fake.to(next(net.parameters()).device)).argmax(1).cpu()
        quality["label_accuracy"] = float((predicted == labels.cpu()).float().mean())
    return quality


def classification_accuracy_score(images: torch.Tensor, labels: torch.Tensor, dataset: Dataset, seed: int = 0,
                                  quiet: bool = True, epochs: int | None = None, device=None) -> dict:
    """CAS (Ravuri & Vinyals 2019): the default CNN recipe trained on generated images only, its weights
    selected on the real validation split, its accuracy measured on the real test images.

    `epochs` shortens the recipe as a study's settings shorten its cnn (each epoch still at least the recipe's
    minimum number of steps). Returns {cas: test accuracy, cas_val_accuracy: best real validation accuracy}.
    """
    _check_images(images, dataset.shape)
    arch, kwargs, cfg = _recipe(None)
    cfg = replace(cfg, epochs=epochs) if epochs else cfg
    split = _split(dataset, "all")
    val = (to_float(dataset.train_images[split.validation]), dataset.train_labels[split.validation])
    seed_everything(seed)
    model = build_classifier(arch, dataset.num_classes, dataset.shape, **kwargs).to(device)
    history = fit(model, (images.detach().cpu().float(), labels.detach().cpu().long()), val, cfg, seed,
                  quiet=quiet, desc="CAS")
    predicted = predict_logits(model, to_float(dataset.test_images), cfg.bf16).argmax(1).cpu()
    return {"cas": float((predicted == dataset.test_labels).float().mean()),
            "cas_val_accuracy": max(r["val_acc"] for r in history)}


def _check_images(images: torch.Tensor, shape: tuple) -> None:
    """Images (N, C, H, W) of the dataset's shape (generated ones must look like the real ones)."""
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape):
        raise ValueError(f"expected images of shape (N, {', '.join(map(str, shape))}) in [-1, 1], "
                         f"got {tuple(images.shape)}")
