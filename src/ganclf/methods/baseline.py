"""Baselines: a CNN trained on the labelled images only, and PCA + k-NN."""
import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from ..data import Dataset, Split
from ..metrics import classification_metrics
from ..models.classifiers import build_classifier
from ..report.figures import plot_confusion
from ..runs import Run
from ..train import TrainConfig, with_epochs
from .classify import report_classifier, seed_everything, split_tensors, train_classifier

# name -> (architecture, its keyword arguments, training recipe)
CNN_PRESETS = {
    # Chosen on the validation split (10k and 1k labels): AdamW + one-cycle + label smoothing.
    "cnn": ("cnn", {"width": 16}, TrainConfig(epochs=20, batch_size=64, optimizer="adamw", lr=3e-3,
                                              schedule="onecycle", weight_decay=5e-4, label_smoothing=0.1,
                                              min_steps=1500)),
    # Seed 004: SGD 0.01 without momentum, batch 100, 15 epochs, fp32, the last epoch's weights.
    "cnn-seed": ("cnn-seed", {}, TrainConfig(epochs=15, batch_size=100, optimizer="sgd", lr=0.01,
                                             bf16=False, select_best=False)),
}
METHODS = (*CNN_PRESETS, "pca-knn")


def run_cnn(dataset: Dataset, split: Split, run: Run, preset: str = "cnn", seed: int = 0,
            epochs: int | None = None, quiet: bool = False) -> dict:
    arch, kwargs, cfg = CNN_PRESETS[preset]
    if epochs:
        cfg = with_epochs(cfg, epochs)
    seed_everything(seed)
    model = build_classifier(arch, dataset.num_classes, **kwargs)
    data = split_tensors(dataset, split)
    history = train_classifier(model, data, cfg, run, seed, quiet)
    meta = {"classifier": arch, "classifier_kwargs": kwargs, "num_classes": dataset.num_classes}
    return {"method": preset, "train_config": cfg.to_dict(),
            **report_classifier(model, data, dataset, history, run, meta, cfg.bf16)}


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


def run_pca_knn(dataset: Dataset, split: Split, run: Run, seed: int = 0, quiet: bool = False) -> dict:
    flat = dataset.train_images.reshape(len(dataset.train_images), -1).numpy()
    labels = dataset.train_labels.numpy()
    model = PCAKNN().fit(flat[split.labelled], labels[split.labelled],
                         flat[split.validation], labels[split.validation])
    predictions = model.predict(dataset.test_images.reshape(len(dataset.test_images), -1).numpy())
    test = classification_metrics(dataset.test_labels.numpy(), predictions, dataset.num_classes)
    plot_confusion(test["confusion_matrix"], dataset.classes, run.file("confusion.png"),
                   title=f"test accuracy {test['accuracy']:.4f}")
    return {"method": "pca-knn", "n_components": model.n_components_, "k": model.k_,
            "val_accuracy": model.scores_[(model.n_components_, model.k_)],
            "validation_grid": {f"{n}x{k}": s for (n, k), s in model.scores_.items()},
            "test_accuracy": test["accuracy"], "test": test}


def run_baseline(method: str, dataset: Dataset, split: Split, run: Run, seed: int = 0,
                 epochs: int | None = None, quiet: bool = False) -> dict:
    if method == "pca-knn":
        return run_pca_knn(dataset, split, run, seed, quiet)
    if method in CNN_PRESETS:
        return run_cnn(dataset, split, run, method, seed, epochs, quiet)
    raise ValueError(f"unknown baseline {method!r}; choose from {', '.join(METHODS)}")
