"""Baselines: a CNN trained on the labelled images only, and PCA + k-NN."""
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from ..config import ConfigError, config_to_dict
from ..data import Dataset, Split
from ..metrics import classification_metrics
from ..models.classifiers import CLASSIFIERS, MNIST_SHAPE, build_classifier
from ..report.figures import plot_confusion
from ..runs import Run
from ..train import TrainConfig
from . import Method
from .classify import report_classifier, seed_everything, split_tensors, train_classifier


@dataclass(frozen=True)
class CNNConfig:
    arch: str = "cnn"  # a models.classifiers name
    width: int | None = 16  # channels of the first stage (None: the architecture has no width setting)
    train: TrainConfig = TrainConfig()

    def __post_init__(self):
        if self.arch not in CLASSIFIERS:
            raise ConfigError(f"unknown classifier {self.arch!r}; choose from {', '.join(CLASSIFIERS)}")
        if self.width is not None and not 1 <= self.width <= 1024:
            raise ConfigError(f"width must be between 1 and 1024, not {self.width}")

    def build(self, num_classes: int, shape: tuple = MNIST_SHAPE):
        return build_classifier(self.arch, num_classes, shape, **self.kwargs())

    def kwargs(self) -> dict:
        return {} if self.width is None else {"width": self.width}


# Chosen on the validation split (10k and 1k labels): AdamW + one-cycle + label smoothing.
CNN_RECIPE = CNNConfig(train=TrainConfig(epochs=20, batch_size=64, optimizer="adamw", lr=3e-3, schedule="onecycle",
                                         weight_decay=5e-4, label_smoothing=0.1, min_steps_per_epoch=75))
# Seed 004: SGD 0.01 without momentum, batch 100, 15 epochs, fp32, the last epoch's weights.
SEED_CNN_RECIPE = CNNConfig(arch="cnn-seed", width=None, train=TrainConfig(epochs=15, batch_size=100, optimizer="sgd",
                                                                          lr=0.01, bf16=False, select_best=False))


def run_cnn(dataset: Dataset, split: Split, run: Run, cfg: CNNConfig, seed: int = 0, quiet: bool = False) -> dict:
    seed_everything(seed)
    model = cfg.build(dataset.num_classes, dataset.shape)
    data = split_tensors(dataset, split)
    history = train_classifier(model, data, cfg.train, run, seed, quiet)
    meta = {"classifier": cfg.arch, "classifier_kwargs": cfg.kwargs(), "num_classes": dataset.num_classes}
    return {"method": run.config.get("method", cfg.arch), "train_config": config_to_dict(cfg.train),
            **report_classifier(model, data, dataset, history, run, meta, cfg.train.bf16)}


class PCAKNN:
    """PCA to a few components, then distance-weighted k-NN; both sizes picked on validation.

    Pixels are scaled to unit length first (cosine-like distances), which scored higher on validation.
    """

    def __init__(self, components=(20, 30, 40, 50, 60), neighbours=(1, 3, 4, 5, 6, 7, 9)):
        self.components, self.neighbours = components, neighbours

    def fit(self, x, y, x_val, y_val):
        x, x_val = _unit_rows(x), _unit_rows(x_val)
        components = sorted({min(n, len(x)) for n in self.components})  # tiny budgets: fewer images than sizes
        neighbours = [k for k in self.neighbours if k <= len(x)]
        self.pca_ = PCA(max(components), svd_solver="covariance_eigh").fit(x)
        z, z_val = self.pca_.transform(x), self.pca_.transform(x_val)
        self.y_, self.scores_ = np.asarray(y), {}
        for n in components:
            dist, idx = NearestNeighbors(n_neighbors=max(neighbours)).fit(z[:, :n]).kneighbors(z_val[:, :n])
            for k in neighbours:
                self.scores_[(n, k)] = float((self._vote(dist[:, :k], idx[:, :k]) == y_val).mean())
        self.n_components_, self.k_ = max(self.scores_, key=self.scores_.get)
        self.index_ = NearestNeighbors(n_neighbors=self.k_).fit(z[:, :self.n_components_])
        return self

    def predict(self, x):
        z = self.pca_.transform(_unit_rows(x))[:, :self.n_components_]
        return self._vote(*self.index_.kneighbors(z))

    def _vote(self, dist, idx):
        votes = np.zeros((len(dist), self.y_.max() + 1))
        np.add.at(votes, (np.arange(len(dist))[:, None], self.y_[idx]), 1.0 / (dist + 1e-6))
        return votes.argmax(1)


def _unit_rows(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


@dataclass(frozen=True)
class PCAKNNConfig:
    components: tuple = (20, 30, 40, 50, 60)  # PCA sizes tried on validation
    neighbours: tuple = (1, 3, 4, 5, 6, 7, 9)  # k tried on validation

    def __post_init__(self):
        for name in ("components", "neighbours"):
            values = getattr(self, name)
            if not values or not all(isinstance(v, int) and 1 <= v <= 10_000 for v in values):
                raise ConfigError(f"{name} must be a non-empty list of whole numbers from 1 to 10,000")


def run_pca_knn(dataset: Dataset, split: Split, run: Run, cfg: PCAKNNConfig = PCAKNNConfig(), seed: int = 0,
                quiet: bool = False) -> dict:
    flat = dataset.train_images.reshape(len(dataset.train_images), -1).numpy()
    labels = dataset.train_labels.numpy()
    model = PCAKNN(cfg.components, cfg.neighbours).fit(flat[split.labelled], labels[split.labelled],
                                                       flat[split.validation], labels[split.validation])
    predictions = model.predict(dataset.test_images.reshape(len(dataset.test_images), -1).numpy())
    test = classification_metrics(dataset.test_labels.numpy(), predictions, dataset.num_classes)
    plot_confusion(test["confusion_matrix"], dataset.classes, run.file("confusion.png"),
                   title=f"test accuracy {test['accuracy']:.4f}")
    return {"method": "pca-knn", "n_components": model.n_components_, "k": model.k_,
            "val_accuracy": model.scores_[(model.n_components_, model.k_)],
            "validation_grid": {f"{n}x{k}": s for (n, k), s in model.scores_.items()},
            "test_accuracy": test["accuracy"], "test": test}


CNN = Method("cnn", "the default CNN trained on the labelled images only", run_cnn, {"default": CNN_RECIPE})
CNN_SEED = Method("cnn-seed", "seed 004's CNN and recipe, exactly", run_cnn, {"default": SEED_CNN_RECIPE})
PCA_KNN = Method("pca-knn", "PCA + k-NN, both sizes picked on validation", run_pca_knn, {"default": PCAKNNConfig()})
