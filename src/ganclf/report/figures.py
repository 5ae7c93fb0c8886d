"""PNG figures for a run directory (matplotlib, no display needed)."""
import io
from pathlib import Path

import matplotlib

from ..files import write_atomic

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_curves(history: list[dict], path, title: str = "") -> None:
    """Loss and accuracy per epoch, train beside validation."""
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric in zip(axes, ("loss", "acc")):
        for split in ("train", "val"):
            if f"{split}_{metric}" in history[0]:
                ax.plot(epochs, [r[f"{split}_{metric}"] for r in history], marker=".", label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy" if metric == "acc" else "loss")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save(fig, path)


def plot_confusion(matrix, classes, path, title: str = "") -> None:
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, classes, rotation=45 if max(map(len, classes)) > 2 else 0, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, count, ha="center", va="center", fontsize=7,
                    color="white" if count > threshold else "black")
    ax.set_title(title)
    _save(fig, path)


def _save(fig, path) -> None:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110, format="png")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


def plot_accuracy_vs_labels(summary: list[dict], path, title: str = "") -> None:
    """Mean test accuracy (+- std over seeds) against the number of labelled images, one line per method."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for method in dict.fromkeys(s["method"] for s in summary):
        points = sorted((s["n_labelled"], s["mean"], s["std"] or 0.0) for s in summary if s["method"] == method)
        x, y, e = zip(*points)
        ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_xlabel("labelled training images")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title)
    _save(fig, path)


def save_grid(images, path, nrow: int = 10) -> None:
    """Images (N, 1, H, W) in [-1, 1] tiled into one greyscale PNG, nrow images per row."""
    images = (np.asarray(images)[:, 0] + 1) / 2
    n, h, w = images.shape
    rows = -(-n // nrow)
    grid = np.ones((rows * (h + 2) + 2, nrow * (w + 2) + 2))
    for i, image in enumerate(images):
        r, c = divmod(i, nrow)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = image
    buffer = io.BytesIO()
    plt.imsave(buffer, np.kron(grid, np.ones((2, 2))), cmap="gray", vmin=0, vmax=1, format=_format(path))
    write_atomic(path, buffer.getvalue())


def plot_gan_losses(history: list[dict], path, title: str = "") -> None:
    """Discriminator and generator losses, and D's accuracy on real and generated batches, per epoch."""
    plot_history(history, path, {"loss": ("d_loss", "g_loss"), "discriminator accuracy": ("d_real_acc", "d_fake_acc")},
                 title)


def plot_history(history: list[dict], path, panels: dict, title: str = "", log_scale=()) -> None:
    """Per-epoch metrics side by side: panels maps a y-axis label to the history keys drawn on it; the panels
    named in log_scale get a logarithmic y axis."""
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.2))
    for ax, (label, keys) in zip(axes, panels.items()):
        for key in [k for k in keys if k in history[0]]:
            ax.plot(epochs, [r[key] for r in history], marker=".", label=key)
        ax.set_yscale("log" if label in log_scale else "linear")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save(fig, path)


def _format(path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"jpg": "jpeg"}.get(suffix, suffix or "png")
