"""A study: every (method, label budget, seed) cell, resumable, summarised in results.csv/json and report.html."""
import csv
import json
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..files import write_json

# What the seed projects reported, shown beside our numbers (method, labels) -> (accuracy, source).
SEED_REPORTED = {
    ("cnn-seed", "10000"): (0.9597, "seed 004 CNN"),
    ("cnn", "10000"): (0.9785, "seed 001 Keras CNN, 10k real"),
    ("cnn", "1000"): (0.80, "seed 000 CNN @1k"),
    ("pca-knn", "1000"): (0.90, "seed 000 PCA+kNN @1k"),
    ("transfer", "10000"): (0.9419, "seed 000/004 best transfer trial"),
    ("transfer", "1000"): (0.87, "seed 000 transferred D @1k"),
    ("augment", "10000"): (0.96875, "seed 001 real+GAN"),
    ("ssl-gan", "10%"): (0.9255, "seed 002 at 10%"),
}


@dataclass(frozen=True)
class StudyConfig:
    dataset: str = "mnist"
    labels: tuple = ("100", "1000", "10000")
    seeds: int = 3
    methods: tuple = ("cnn", "pca-knn", "transfer", "augment")
    cnn_epochs: int | None = None  # None: each method's own; also the transfer and augment classifiers'
    gan_images: str = "all"  # the unlabelled images transfer's dcgan trains on (shared by the budgets of a seed)
    gan_epochs: int | None = None  # None: the recipes' own; applies to both GANs
    gan_min_steps: int | None = None
    synthetic: int = 10000  # generated images added by augment
    ssl_epochs: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS = {
    # Minutes on 2 CPU cores: short GANs and classifiers, so the numbers are a demonstration, not a verdict.
    "quick": StudyConfig(labels=("100", "1000"), seeds=1, methods=("cnn", "pca-knn", "transfer", "augment", "ssl-gan"),
                         cnn_epochs=5, gan_images="10000", gan_epochs=2, gan_min_steps=300, synthetic=2000,
                         ssl_epochs=1),
    # The seed projects' budgets (10k images; seed 000's 1k), our methods beside their reported numbers.
    # As the seeds did, the GANs train on the 10k images; short GANs and 10-epoch classifiers fit in 10 minutes.
    "seeds": StudyConfig(labels=("1000", "10000"), seeds=1, methods=("cnn-seed", "cnn", "pca-knn", "transfer",
                                                                     "augment"),
                         cnn_epochs=10, gan_images="10000", gan_epochs=1, gan_min_steps=600),
    "full": StudyConfig(methods=("cnn", "pca-knn", "transfer", "augment", "ssl-gan")),
}


def _baseline(method: str):
    def run_cell(cfg: StudyConfig, labels: str, seed: int, out: Path, data_dir) -> dict:
        from ..api import baseline
        return baseline(method, cfg.dataset, labels, seed, out, data_dir,
                        epochs=cfg.cnn_epochs if method == "cnn" else None, quiet=True)
    return run_cell


def shared_gan(cfg: StudyConfig, model: str, labels: str, seed: int, out: Path, data_dir,
               preset: str = "default") -> Path:
    """A GAN trained once and reused by every cell that may use it; resumed if it was interrupted."""
    from ..api import trained_gan
    return trained_gan(out, model, preset, dataset=cfg.dataset, labels=labels, seed=seed, data_dir=data_dir,
                       epochs=cfg.gan_epochs, min_steps=cfg.gan_min_steps, quiet=True)


def _show_gan(gan: Path, cell: Path) -> None:
    """The GAN's samples and losses beside the cell's own figures, for the report."""
    for name, target in (("samples.png", "samples.png"), ("losses.png", "gan_curves.png")):
        if (gan / name).exists():
            shutil.copyfile(gan / name, cell / target)


def _transfer(cfg: StudyConfig, labels: str, seed: int, out: Path, data_dir) -> dict:
    from ..api import transfer
    gan = shared_gan(cfg, "dcgan", cfg.gan_images, seed, out.parents[2] / "gans" / f"dcgan-cnn-seed{seed}", data_dir,
                     preset="cnn")
    results = transfer(gan, labels, seed, out, epochs=cfg.cnn_epochs, compare=False, data_dir=data_dir, quiet=True)
    _show_gan(gan, out)
    return results


def _augment(cfg: StudyConfig, labels: str, seed: int, out: Path, data_dir) -> dict:
    """The cGAN is trained on this budget's labelled images only, so real+gen uses no extra labels."""
    from ..api import augment
    name = f"cdcgan-seed{seed}@{labels.replace('%', 'pct')}"
    gan = shared_gan(cfg, "cdcgan", labels, seed, out.parents[2] / "gans" / name, data_dir)
    results = augment(gan, labels, seed, out, mix="real+gen", synthetic=cfg.synthetic, epochs=cfg.cnn_epochs,
                      data_dir=data_dir, quiet=True)
    _show_gan(gan, out)
    return results


def _ssl_gan(cfg: StudyConfig, labels: str, seed: int, out: Path, data_dir) -> dict:
    from ..api import ssl_gan
    resume = out if (out / "checkpoint.safetensors").exists() else None
    return ssl_gan(cfg.dataset, labels, seed, out, data_dir, epochs=cfg.ssl_epochs, resume=resume, quiet=True)


# name -> function(config, labels, seed, cell directory, data_dir) -> results dict
METHODS = {"cnn": _baseline("cnn"), "cnn-seed": _baseline("cnn-seed"), "pca-knn": _baseline("pca-knn"),
           "transfer": _transfer, "augment": _augment, "ssl-gan": _ssl_gan}


def make_study_config(preset: str = "quick", **overrides) -> StudyConfig:
    if preset not in PRESETS:
        raise ValueError(f"unknown study preset {preset!r}; choose from {', '.join(PRESETS)}")
    cfg = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    unknown = [m for m in cfg.methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}")
    if cfg.seeds < 1:
        raise ValueError("--seeds must be at least 1")
    return cfg


def cell_dir(out: Path, method: str, labels: str, seed: int) -> Path:
    return out / "cells" / method / f"seed{seed}@{labels.replace('%', 'pct')}"


def run_study(cfg: StudyConfig, out, data_dir=None, quiet: bool = False) -> tuple[list[dict], float]:
    """Run every cell not finished yet; a cell whose results.json exists is read, not rerun.
    Returns the rows and this invocation's elapsed seconds."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "study.json", cfg.to_dict())
    cells = [(m, lab, s) for lab in cfg.labels for s in range(cfg.seeds) for m in cfg.methods]
    rows, start = [], time.time()
    for i, (method, labels, seed) in enumerate(cells, 1):
        cell_start = time.time()
        rows.append(_run_cell(cfg, method, labels, seed, cell_dir(out, method, labels, seed), data_dir))
        if not quiet:  # the cell's time includes training the GAN it shares, the first time
            r = rows[-1]
            left = (time.time() - start) / i * (len(cells) - i)
            print(f"[{i}/{len(cells)}] {method} @ {labels} labels, seed {seed}: test {r['test_accuracy']:.4f} "
                  f"({time.time() - cell_start:.0f}s{', cached' if r['cached'] else ''}; ~{left / 60:.1f} min left)",
                  flush=True)
    elapsed_s = round(time.time() - start, 1)
    write_results(out, rows, elapsed_s)
    return rows, elapsed_s


def study_command(cfg: StudyConfig, preset: str, out) -> str:
    return (f"ganclf study --preset {preset} --dataset {cfg.dataset} --labels {','.join(cfg.labels)} "
            f"--seeds {cfg.seeds} --methods {','.join(cfg.methods)} --out {out}")


def _run_cell(cfg, method, labels, seed, out: Path, data_dir) -> dict:
    done = out / "results.json"
    if done.exists():
        return _row(method, labels, seed, json.loads(done.read_text()), out, cached=True)
    if out.exists() and not (out / "checkpoint.safetensors").exists():
        shutil.rmtree(out)  # an interrupted cell with nothing to resume from starts over
    return _row(method, labels, seed, METHODS[method](cfg, labels, seed, out, data_dir), out, cached=False)


def _row(method, labels, seed, results: dict, out: Path, cached: bool) -> dict:
    return {"method": method, "labels": labels, "seed": seed, "n_labelled": results.get("n_labelled"),
            "val_accuracy": results.get("val_accuracy"), "test_accuracy": results["test_accuracy"],
            "wall_time_s": results["wall_time_s"], "run_dir": str(out), "cached": cached}


def summarise(rows: list[dict]) -> list[dict]:
    """Mean and spread of test accuracy per (method, budget), in the order the cells ran."""
    groups = {}
    for r in rows:
        groups.setdefault((r["method"], r["labels"]), []).append(r)
    summary = []
    for (method, labels), cell in groups.items():
        accs = [r["test_accuracy"] for r in cell]
        summary.append({"method": method, "labels": labels, "n_labelled": cell[0]["n_labelled"],
                        "mean": statistics.mean(accs), "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                        "seeds": len(accs), "wall_time_s": sum(r["wall_time_s"] for r in cell),
                        "seed_reported": SEED_REPORTED.get((method, labels))})
    return summary


def write_results(out: Path, rows: list[dict], elapsed_s: float) -> None:
    columns = ["method", "labels", "seed", "n_labelled", "val_accuracy", "test_accuracy", "wall_time_s", "run_dir"]
    with open(out / "results.csv.tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (out / "results.csv.tmp").replace(out / "results.csv")
    # elapsed_s: this invocation, shared GAN training included (cells read from disk cost nothing)
    write_json(out / "results.json", {"cells": rows, "summary": summarise(rows), "elapsed_s": elapsed_s})


def report_study(cfg: StudyConfig, preset: str, out, rows: list[dict]) -> Path:
    from ..report.study import write_study_report
    return write_study_report(Path(out), cfg.to_dict(), summarise(rows), rows, study_command(cfg, preset, out))
