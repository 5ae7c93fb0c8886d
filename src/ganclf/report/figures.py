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


def plot_gains(panels: dict, path, title: str = "") -> None:
    """Paired differences in test accuracy, one panel per kind of comparison: each seed's difference (dots),
    their mean (diamond) and its 95% interval (bar), one colour per comparison, label budgets along x. panels maps
    a panel title to stats.verdict_table rows (method, control, labels, differences, mean, ci_low, ci_high)."""
    panels = {name: rows for name, rows in panels.items() if rows}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.8 * len(panels), 4.2), squeeze=False)
    for ax, (name, rows) in zip(axes[0], panels.items()):
        budgets = list(dict.fromkeys(r["labels"] for r in rows))
        pairs = list(dict.fromkeys((r["method"], r["control"]) for r in rows))
        for i, pair in enumerate(pairs):
            offset = (i - (len(pairs) - 1) / 2) * 0.8 / len(pairs)
            _gain_series(ax, [r for r in rows if (r["method"], r["control"]) == pair], budgets, offset, f"C{i}",
                         f"{pair[0]} − {pair[1]}")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlim(-0.5, len(budgets) - 0.5)
        ax.set_xticks(range(len(budgets)), [f"{b} labels" for b in budgets])
        ax.set_ylabel("difference in test accuracy")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)  # below: never on a point
        ax.set_title(name)
    fig.suptitle(title)
    _save(fig, path)


def _gain_series(ax, rows: list[dict], budgets: list, offset: float, colour: str, label: str) -> None:
    for r in rows:
        x = budgets.index(r["labels"]) + offset
        seeds = list(r["differences"].values())
        ax.scatter([x] * len(seeds), seeds, s=14, color=colour, alpha=0.45, linewidths=0)
        if r["ci_low"] is not None:
            ax.errorbar(x, r["mean"], yerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]], color=colour,
                        capsize=4, linewidth=1.2)
        ax.plot(x, r["mean"], marker="D", color=colour, markersize=6, label=label if r is rows[0] else None)


def save_grid(images, path, nrow: int = 10) -> None:
    """Images (N, C, H, W) in [-1, 1] tiled into one PNG (greyscale for one channel, else RGB), nrow a row."""
    images = (np.asarray(images).transpose(0, 2, 3, 1) + 1) / 2
    n, h, w, channels = images.shape
    rows = -(-n // nrow)
    grid = np.ones((rows * (h + 2) + 2, nrow * (w + 2) + 2, channels))
    for i, image in enumerate(images):
        r, c = divmod(i, nrow)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = image
    grid = grid.repeat(2, 0).repeat(2, 1)
    buffer = io.BytesIO()
    if channels == 1:
        plt.imsave(buffer, grid[..., 0], cmap="gray", vmin=0, vmax=1, format=_format(path))
    else:
        plt.imsave(buffer, grid.clip(0, 1), format=_format(path))
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
        drawn = [k for k in keys if k in history[0]]
        for key in drawn:
            ax.plot(epochs, [r[key] for r in history], marker=".", label=key)
        ax.set_yscale("log" if label in log_scale and drawn else "linear")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend()
        else:  # e.g. validation curves of a run with no validation labels
            ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes, color="grey")
    fig.suptitle(title)
    _save(fig, path)


def _format(path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"jpg": "jpeg"}.get(suffix, suffix or "png")
