"""A study: every (method, label budget, seed) cell, resumable, summarised in results.csv/json and report.html.
It sits above the API: it plans cells and shared GANs and runs each through ganclf.api.run."""
import statistics
import time
from functools import partial
from pathlib import Path

from ..config import ConfigError, make_config
from ..files import write_json
from .plan import DEMONSTRATIONS, PRESETS, Cell, GANJob, StudyConfig, plan
from .run import run_cell, run_gan, run_sequential, write_results

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

__all__ = ["study", "StudyConfig", "PRESETS", "Cell", "GANJob", "plan", "run_cell", "run_gan", "summarise"]


def study(preset: str = "quick", out="runs/study", dataset: str | None = None, labels=None, seeds: int | None = None,
          methods=None, data_dir=None, quiet: bool = False, executor: str = "sequential", address: str | None = None,
          cpus_per_cell: float | None = None, gpus_per_cell: float | None = None, **settings) -> dict:
    """Run every (method, budget, seed) cell of a study, resuming finished ones; write results and report.html.
    `settings` override the preset's other StudyConfig fields (gan_images, settings).

    `executor`: "sequential" (one cell after another in this process, torch using cpus_per_cell threads, default
    every CPU it may use) or "ray" (each cell and shared GAN a Ray task of cpus_per_cell CPUs, default 1, and
    gpus_per_cell of a GPU, default a quarter where the cluster has GPUs; `address` joins a running cluster,
    None starts one on this machine). Cells that failed are listed under "failed"; the report covers the rest.
    """
    from ..data import load_dataset
    cfg = make_config(PRESETS, preset, "study", dataset=dataset, labels=_as_tuple(labels), seeds=seeds,
                      methods=_as_tuple(methods), **settings)
    run_plan = _executor(executor, address=address, cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell)
    load_dataset(cfg.dataset, data_dir)  # downloads (or fails) once, before any cell
    out = Path(out)
    write_json(out / "study.json", {"preset": preset, **cfg.to_dict()})
    start = time.time()
    rows, failed = run_plan(cfg, out, data_dir, quiet)
    elapsed = round(time.time() - start, 1)
    summary = summarise(rows, cfg.dataset)
    write_results(out, rows, summary, {"elapsed_s": elapsed, "preset": preset, "executor": executor,
                                       "failed": failed, "config": cfg.to_dict()})
    report = None
    if rows:
        from ..report.study import write_study_report
        report = write_study_report(out, cfg.to_dict(), summary, rows, command(cfg, preset, out),
                                    demonstration=preset in DEMONSTRATIONS).resolve()
    return {"summary": summary, "cells": rows, "failed": failed, "report": str(report) if report else None,
            "out": str(out), "elapsed_s": elapsed}


def _executor(name: str, address, cpus_per_cell, gpus_per_cell):
    """The executor's function with its options bound; options it has no use for are refused."""
    if name == "sequential":
        if address is not None or gpus_per_cell is not None:
            raise ConfigError("address and gpus_per_cell are options of the ray executor")
        return partial(run_sequential, cpus_per_cell=cpus_per_cell)
    if name == "ray":
        from .ray_executor import import_ray, run_ray
        import_ray()  # fail before anything is written
        return partial(run_ray, address=address, cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell)
    raise ConfigError(f"unknown executor {name!r}: sequential or ray")


def _as_tuple(value):
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    return tuple(value) if value is not None else None


def summarise(rows: list[dict], dataset: str) -> list[dict]:
    """Mean and spread of test accuracy per (method, budget), in the order the cells ran."""
    groups = {}
    for r in rows:
        groups.setdefault((r["method"], r["labels"]), []).append(r)
    summary = []
    for (method, labels), cell in groups.items():
        accs = [r["test_accuracy"] for r in cell]
        summary.append({"method": method, "labels": labels, "n_labelled": cell[0]["n_labelled"],
                        "n_validation": cell[0].get("n_validation"),
                        "mean": statistics.mean(accs), "std": statistics.stdev(accs) if len(accs) > 1 else None,
                        "seeds": len(accs), "wall_time_s": sum(r["wall_time_s"] for r in cell),
                        "seed_reported": SEED_REPORTED.get((dataset, method, labels))})
    return summary


def command(cfg: StudyConfig, preset: str, out) -> str:
    return (f"ganclf study --preset {preset} --dataset {cfg.dataset} --labels {','.join(cfg.labels)} "
            f"--seeds {cfg.seeds} --methods {','.join(cfg.methods)} --out {out}")
