"""A study: every (method, label budget, seed) cell, resumable, summarised in results.csv/json and report.html.
It sits above the API: it plans cells and shared GANs and runs each through ganclf.api.run."""
import json
import time
from functools import partial
from pathlib import Path

from .. import stats
from ..config import ConfigError, make_config
from ..files import write_json
from ..provenance import provenance
from ..runs import RunError, difference, read_json
from .plan import DEMONSTRATIONS, PRESETS, Cell, GANJob, StudyConfig, plan
from .run import run_cell, run_gan, run_sequential, shared_gans, write_results

# What the seed projects reported, shown beside our numbers: (dataset, method, labels) -> (accuracy, source).
SEED_REPORTED = {
    ("mnist", "cnn-seed", "10000"): (0.9597, "seed 004: its CNN"),
    ("mnist", "cnn", "10000"): (0.9785, "seed 001: Keras CNN on 10k real images"),
    ("mnist", "cnn", "1000"): (0.80, "seed 000: CNN at 1k"),
    ("mnist", "pca-knn", "1000"): (0.90, "seed 000: PCA + k-NN at 1k"),
    ("mnist", "transfer", "10000"): (0.9419, "seeds 000/004: best transfer trial"),
    ("mnist", "transfer", "1000"): (0.87, "seed 000: transferred D at 1k"),
    ("mnist", "augment", "10000"): (0.96875, "seed 001: real + GAN images"),
    ("mnist", "ssl-gan", "10%"): (0.9255, "seed 002: at 10% labels"),
}

__all__ = ["study", "StudyConfig", "PRESETS", "Cell", "GANJob", "plan", "run_cell", "run_gan", "summarise", "verdicts"]


def study(preset: str = "quick", out="runs/study", dataset=None, labels=None, seeds: int | None = None,
          methods=None, data_dir=None, quiet: bool = False, validation=None, executor: str = "local",
          address: str | None = None, cpus_per_cell: float | None = None, gpus_per_cell: float | None = None,
          **settings) -> dict:
    """Run every (dataset, validation, method, budget, seed) cell of a study, reading finished ones back; write
    results.csv, results.json and report.html. `dataset`, `labels`, `methods` (lists or comma-separated) and
    `validation` (a size or a list of sizes) override the preset, and `settings` its other StudyConfig fields.

    `executor`: "local" (the default: cells and shared GANs side by side in worker processes of this machine,
    one per cpus_per_cell CPUs), "sequential" (one cell after another in this process) or "ray" (each cell and
    shared GAN a Ray task of cpus_per_cell CPUs and gpus_per_cell of a GPU, default a quarter where the cluster
    has GPUs; `address` joins a running cluster, None starts one on this machine). Every executor trains a cell
    with cpus_per_cell torch threads, default 1, so each gives the same numbers for the same cell.
    Cells that failed are listed under "failed"; the report covers the rest.
    """
    from ..data import load_dataset
    validation = (validation,) if isinstance(validation, int) else validation
    cfg = make_config(PRESETS, preset, "study", datasets=_as_tuple(dataset), labels=_as_tuple(labels), seeds=seeds,
                      methods=_as_tuple(methods), validation=validation, **settings)
    run_plan = _executor(executor, address=address, cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell)
    for name in cfg.datasets:
        load_dataset(name, data_dir)  # downloads (or fails) once, before any cell
    out = Path(out)
    _open_study(out, {"preset": preset, **cfg.to_dict()})
    start = time.time()
    rows, failed = run_plan(cfg, out, data_dir, quiet)
    elapsed = round(time.time() - start, 1)
    summary, verdict, gans = summarise(rows), verdicts(rows, cfg.pairs()), shared_gans(rows)
    write_results(out, rows, summary, {"verdict": verdict, "gans": gans, "elapsed_s": elapsed, "preset": preset,
                                       "executor": executor, "failed": failed, "config": cfg.to_dict(),
                                       "provenance": provenance()})
    report = None
    if rows:
        from ..report.study import write_study_report
        report = write_study_report(out, cfg.to_dict(), summary, verdict, rows, command(cfg, preset, out),
                                    demonstration=preset in DEMONSTRATIONS, gans=gans).resolve()
    return {"summary": summary, "verdict": verdict, "gans": gans, "cells": rows, "failed": failed,
            "report": str(report) if report else None, "out": str(out), "elapsed_s": elapsed}


def _executor(name: str, address, cpus_per_cell, gpus_per_cell):
    """The executor's function with its options bound; options it has no use for are refused."""
    if name in ("local", "sequential"):
        if address is not None or gpus_per_cell is not None:
            raise ConfigError("address and gpus_per_cell are options of the ray executor")
        if name == "local":
            from .local_executor import run_local
            return partial(run_local, cpus_per_cell=cpus_per_cell)
        return partial(run_sequential, cpus_per_cell=cpus_per_cell)
    if name == "ray":
        from .ray_executor import import_ray, run_ray
        import_ray()  # fail before anything is written
        return partial(run_ray, address=address, cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell)
    raise ConfigError(f"unknown executor {name!r}: local, sequential or ray")


def _open_study(out: Path, config: dict) -> None:
    """A study's rule for OUT, applied before anything is written: a missing or empty folder becomes a new study,
    a folder holding this very study (its study.json) is resumed; anything else (a single run, another study, a
    file, other content) is refused, so no run's results are overwritten."""
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} is a file, not a study directory")
    if out.exists() and any(out.iterdir()):
        if not (out / "study.json").is_file():
            held = "a single ganclf run" if (out / "config.json").exists() else "no ganclf study"
            raise RunError(f"{out} is not empty and holds {held}; choose another output directory")
        asked, stored = json.loads(json.dumps(config)), read_json(out / "study.json")
        # a setting that a later ganclf added to StudyConfig is taken as asked, so an older study resumes
        stored = {**{k: asked[k] for k in ADDED_SETTINGS if k in asked and k not in stored}, **stored}
        if stored != asked:
            raise RunError(f"{out} holds another study ({difference(stored, asked)}); choose another output directory")
        return
    write_json(out / "study.json", config)


def _as_tuple(value):
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    return tuple(value) if value is not None else None


def _groups(rows: list[dict], keys: tuple) -> dict:
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def summarise(rows: list[dict]) -> list[dict]:
    """Mean, spread and 95% interval of test accuracy per (dataset, validation, method, budget), in cell order."""
    summary = []
    for (dataset, validation, method, labels), cell in _groups(rows, GROUP + ("method", "labels")).items():
        s = stats.summary([r["test_accuracy"] for r in cell])
        summary.append({"dataset": dataset, "validation": validation, "method": method, "labels": labels,
                        "n_labelled": cell[0]["n_labelled"], "n_validation": cell[0].get("n_validation"),
                        "labels_used": cell[0].get("labels_used"),
                        "mean": s["mean"], "std": s["std"], "ci_low": s["ci_low"], "ci_high": s["ci_high"],
                        "seeds": s["n"], "wall_time_s": sum(r["wall_time_s"] for r in cell),
                        "seed_reported": SEED_REPORTED.get((dataset, method, labels)) if validation is None else None})
    return summary


def verdicts(rows: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    """Per dataset and validation protocol: each (method, control) pair's paired difference over seeds, its 95%
    interval and verdict, with the labels the number cost (the budget plus the validation images)."""
    table = []
    for (dataset, validation), group in _groups(rows, GROUP).items():
        used = {(r["method"], r["labels"]): r.get("labels_used") for r in group}
        n_validation = group[0].get("n_validation")
        for v in stats.verdict_table(group, pairs):
            cost = {"labelled": v["n_labelled"] or v["labels"], "validation": n_validation}
            table.append({"dataset": dataset, "validation": validation, "n_validation": n_validation,
                          "labels_used": used.get((v["method"], v["labels"])), **v,
                          "sentence": stats.verdict_sentence(v["method"], v["control"], v, cost)})
    return table


GROUP = ("dataset", "validation")
ADDED_SETTINGS = ("quality_samples",)  # StudyConfig fields newer than the first studies (0.2.0)


def command(cfg: StudyConfig, preset: str, out) -> str:
    validation = ",".join("default" if v is None else str(v) for v in cfg.validation)
    return (f"ganclf study --preset {preset} --dataset {','.join(cfg.datasets)} --labels {','.join(cfg.labels)} "
            f"--seeds {cfg.seeds} --methods {','.join(cfg.methods)} --validation {validation} "
            f"--quality-samples {cfg.quality_samples} --out {out}")
