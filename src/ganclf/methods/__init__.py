"""The method registry: one entry per method, each with one signature.

A method is a module that defines a `Method`; registering it is one line in REGISTRY below. The command line, the
Python API and the study read this table, so a new method (a control, a new way of using a GAN) is one module plus
one line. The table names modules instead of importing them, so names are checked without importing torch.
"""
import importlib
from dataclasses import dataclass
from typing import Callable

from ..names import method_name

# name -> "module:attribute" of its Method
REGISTRY = {
    "cnn": "ganclf.methods.baseline:CNN",
    "cnn-original": "ganclf.methods.baseline:CNN_ORIGINAL",
    "cnn-shift": "ganclf.methods.baseline:CNN_SHIFT",
    "pca-knn": "ganclf.methods.baseline:PCA_KNN",
    "transfer": "ganclf.methods.transfer:TRANSFER",
    "transfer-scratch": "ganclf.methods.transfer:TRANSFER_SCRATCH",
    "augment": "ganclf.methods.augment:AUGMENT",
    "ssl-gan": "ganclf.methods.ssl_gan:SSL_GAN",
    "pi-model": "ganclf.methods.ssl_gan:PI_MODEL",
    "fixmatch": "ganclf.methods.semi:FIXMATCH",
    "mean-teacher": "ganclf.methods.semi:MEAN_TEACHER",
    "train-gan": "ganclf.methods.gan:TRAIN_GAN",
}


@dataclass(frozen=True)
class SharedGAN:
    """A GAN a study trains once and hands to every cell that needs it (the method's `gan` setting).

    `images` says what it trains on: "pool" (the study's unlabelled images, one GAN per seed) or "budget" (the
    cell's own labelled images, one GAN per seed and budget, so a method never sees a label its control lacks)."""
    preset: str  # a train-gan preset
    images: str = "pool"


@dataclass(frozen=True)
class Method:
    """train(dataset, split, run, config, seed, quiet) -> results dict; config is one of `presets`, overridden."""
    name: str
    summary: str
    train: Callable
    presets: dict
    default_preset: str = "default"
    default_labels: str = "1000"
    kind: str = "classifier"  # "classifier": results carry val_accuracy and test_accuracy; "gan": a trained GAN
    shared_gan: SharedGAN | None = None
    check: Callable | None = None  # check(config): refuse settings that cannot work before anything is written
    check_data: Callable | None = None  # check_data(dataset, split, config): the same for the data it is given
    control: str | None = None  # the method that differs from this one by the GAN alone


def method_names(kind: str | None = None) -> list[str]:
    if kind is None:
        return list(REGISTRY)
    return [name for name in REGISTRY if get_method(name).kind == kind]


def check_method_name(name: str) -> str:
    """The registered name of `name` (an old name such as cnn-seed mapped to its new one), or a ValueError listing
    the valid names."""
    return method_name(name)


def get_method(name: str) -> Method:
    module, attribute = REGISTRY[check_method_name(name)].split(":")
    return getattr(importlib.import_module(module), attribute)
