"""A study: every (method, label budget, seed) cell, resumable, summarised in results.csv/json and report.html.
It sits above the API: it plans cells and shared GANs and runs each through ganclf.api.run."""
import json
import time
from functools import partial
from pathlib import Path

from .. import stats
from ..config import ConfigError, make_config
from ..files import write_json
from ..methods import check_method_name
from ..names import METHOD_ALIASES, STUDY_ALIASES
from ..provenance import provenance
from ..runs import RunError, difference, is_empty, lock, read_json, unlock
from .plan import DEMONSTRATIONS, PRESETS, Cell, GANJob, StudyConfig, plan
from .run import run_cell, run_gan, run_sequential, shared_gans, write_results

# What the original projects reported, shown beside our numbers: (dataset, method, labels) -> (accuracy, source).
SEED_REPORTED = {
    ("mnist", "cnn-original", "10000"): (0.9597, "original 004: its CNN"),
    ("mnist", "cnn", "10000"): (0.9785, "original 001: Keras CNN on 10k real images"),
    ("mnist", "cnn", "1000"): (0.80, "original 000: CNN at 1k"),
    ("mnist", "pca-knn", "1000"): (0.90, "original 000: PCA + k-NN at 1k"),
    ("mnist", "transfer", "10000"): (0.9419, "original 000/004: best transfer trial"),
    ("mnist", "transfer", "1000"): (0.87, "original 000: transferred D at 1k"),
    ("mnist", "augment", "10000"): (0.96875, "original 001: real + GAN images"),
    ("mnist", "ssl-gan", "10%"): (0.9255, "original 002: at 10% labels"),
}

__all__ = ["study", "configure", "dry_run", "StudyConfig", "PRESETS", "Cell", "GANJob", "plan", "run_cell", "run_gan",
           "summarise", "verdicts"]


def study(preset: str = "quick", out="runs/study", dataset=None, labels=None, seeds: int | None = None,
          methods=None, data_dir=None, quiet: bool = False, validation=None, executor: str = "local",
          address: str | None = None, cpus_per_cell: float | None = None, gpus_per_cell: float | None = None,
          plan: str | None = None, allow_uncommitted: bool = False, **settings) -> dict:
    """Run every (dataset, validation, method, budget, seed) cell of a study, reading finished ones back; write
    results.csv, results.json and report.html. `dataset`, `labels`, `methods` (lists or comma-separated) and
    `validation` (a size or a list of sizes) override the preset, and `settings` its other StudyConfig fields.
    `plan`: a declared study (a committed TOML file, see studies.declared) instead of a preset; it runs as
    declared (no overrides) and its results record the file's git blob hash and commit.

    `executor`: "local" (the default: cells and shared GANs side by side in worker processes of this machine,
    one per cpus_per_cell CPUs), "sequential" (one cell after another in this process) or "ray" (each cell and
    shared GAN a Ray task of cpus_per_cell CPUs and gpus_per_cell of a GPU, default a quarter where the cluster
    has GPUs; `address` joins a running cluster, None starts one on this machine). Every executor trains a cell
    with cpus_per_cell torch threads, default 1, so each gives the same numbers for the same cell.
    Cells that failed are listed under "failed"; the report covers the rest.

    Returns a dict with: summary (one row per dataset, validation, method and budget: mean, std, ci_low, ci_high
    of test accuracy over `seeds`, labels_used, wall_time_s), verdict (one row per comparison and budget: method,
    control, labels, n seeds, mean difference, ci_low, ci_high, verdict "helps" / "hurts" / "no detectable
    difference" / "not enough seeds", a sentence, and for the declared family's rows primary True, p_value,
    holm_p and holm_verdict: Holm-adjusted over the family), gans (each shared GAN: its quality scores and the cells
    that used it), cells (every finished cell's results row), failed (cell, error), report (the path of
    report.html, None when no cell finished), out, elapsed_s.
    """
    from ..data import load_dataset
    preset = STUDY_ALIASES.get(preset, preset)  # old names: seeds, cnn-seed
    cfg, declaration = configure(preset, plan, allow_uncommitted, dataset=dataset, labels=labels, seeds=seeds,
                                 methods=methods, validation=validation, **settings)
    preset = declaration["path"] if declaration else preset
    run_plan = _executor(executor, address=address, cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell)
    for name in cfg.datasets:
        load_dataset(name, data_dir)  # downloads (or fails) once, before any cell
    out = Path(out)
    held = _open_study(out, {"preset": preset, **cfg.to_dict(), **({"declaration": _identity(declaration)}
                                                                 if declaration else {})})
    try:
        return _run_study(cfg, preset, out, run_plan, data_dir, quiet, executor, declaration)
    finally:
        unlock(held)


def _run_study(cfg: StudyConfig, preset: str, out: Path, run_plan, data_dir, quiet: bool, executor: str,
               declaration: dict | None) -> dict:
    start = time.time()
    rows, failed = run_plan(cfg, out, data_dir, quiet)
    elapsed = round(time.time() - start, 1)
    summary, gans = summarise(rows), shared_gans(rows)
    verdict = verdicts(rows, cfg.pairs(), cfg.primary(), cfg.family_size())
    write_results(out, rows, summary, {"verdict": verdict, "gans": gans, "elapsed_s": elapsed, "preset": preset,
                                       "executor": executor, "failed": failed, "config": cfg.to_dict(),
                                       "declaration": declaration, "provenance": provenance()})
    report = None
    if rows:
        from ..report.study import write_study_report
        shown = f"ganclf study --plan {preset} --out {out}" if declaration else command(cfg, preset, out)
        report = write_study_report(out, cfg.to_dict(), summary, verdict, rows, shown,
                                    demonstration=preset in DEMONSTRATIONS, gans=gans).resolve()
    return {"summary": summary, "verdict": verdict, "gans": gans, "cells": rows, "failed": failed,
            "report": str(report) if report else None, "out": str(out), "elapsed_s": elapsed}


def configure(preset: str = "quick", plan=None, allow_uncommitted: bool = False, dataset=None, labels=None,
              methods=None, validation=None, **overrides):
    """(the StudyConfig, its declaration or None): a declared plan file as it stands, or a preset overridden as
    study() takes its arguments (dataset, labels and methods as lists or comma-separated, validation a size or
    sizes, other StudyConfig fields by name)."""
    methods = _as_tuple(methods)
    overrides.update(datasets=_as_tuple(dataset), labels=_as_tuple(labels),
                     methods=tuple(map(check_method_name, methods)) if methods else methods,
                     validation=(validation,) if isinstance(validation, int) else validation)
    if plan is None:
        return make_config(PRESETS, preset, "study", **overrides), None
    given = [k for k, v in overrides.items() if v is not None]
    if given:
        raise ConfigError(f"a declared study runs as declared: {given[0]} cannot be changed (edit and commit "
                          f"{plan} instead)")
    from .declared import load_plan
    return load_plan(plan, allow_uncommitted)


def dry_run(cfg: StudyConfig) -> list[str]:
    """Lines describing what a study would train, without training: each shared GAN and cell with its planned
    optimizer steps, each declared pair's steps side by side, and the time estimate."""
    from .estimate import planned_steps, study_seconds, typical_seconds
    jobs, cells = plan(cfg)
    lines = [f"{len(cells)} cells and {len(jobs)} shared GANs; seeds {cfg.first_seed}..."
             f"{cfg.first_seed + cfg.seeds - 1}"]
    lines += [f"  GAN  {job.name}: {job.preset} on {job.labels} images (~{typical_seconds(job) / 60:.0f} min)"
              for job in jobs]
    for cell in cells:
        steps = "+".join(map(str, planned_steps(cell))) or "no"
        lines.append(f"  cell {cell.folder}: {steps} optimizer steps (~{typical_seconds(cell) / 60:.1f} min)")
    for method, control in cfg.pairs():
        a, b = (planned_steps(Cell(m, cfg.datasets[0], cfg.labels[0], cfg.first_seed, dict(cfg.settings.get(m, {})),
                                   validation=cfg.validation[0])) for m in (method, control))
        primary = (method, control) in cfg.primary()  # a control pair: each network of the GAN arm must match
        lines.append(f"  pair {method} - {control} ({'declared family' if primary else 'secondary'}): "
                     f"{'+'.join(map(str, a)) or 'no'} against {'+'.join(map(str, b)) or 'no'} optimizer steps"
                     + ("  (NOT MATCHED)" if primary and set(a) != set(b) else ""))
    one, two = study_seconds(jobs + cells, 1, 2), study_seconds(jobs + cells, 2, 1)
    lines.append(f"estimate on 2 CPU cores: {one / 3600:.1f} h one unit at a time, {two / 3600:.1f} h two one-CPU "
                 "units side by side")
    return lines


def _identity(declaration: dict) -> dict:
    return {k: declaration[k] for k in ("path", "blob")}


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


def _open_study(out: Path, config: dict) -> int:
    """A study's rule for OUT, applied before anything is written: a missing or empty folder becomes a new study,
    a folder holding this very study (its study.json) is resumed; anything else (a single run, another study, a
    file, other content) is refused, so no run's results are overwritten. Returns OUT's lock (one study at a
    time in OUT), taken before study.json is written."""
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} is a file, not a study directory")
    if not is_empty(out):
        if not (out / "study.json").is_file():
            held = "a single ganclf run" if (out / "config.json").exists() else "no ganclf study"
            raise RunError(f"{out} is not empty and holds {held}; choose another output directory")
        asked, stored = json.loads(json.dumps(config)), _renamed(read_json(out / "study.json"))
        # a setting that a later ganclf added to StudyConfig is taken as asked, so an older study resumes
        stored = {**{k: asked[k] for k in ADDED_SETTINGS if k in asked and k not in stored}, **stored}
        if stored != asked:
            raise RunError(f"{out} holds another study ({difference(stored, asked)}); choose another output directory")
    held = lock(out)
    if not (out / "study.json").is_file():
        write_json(out / "study.json", config)
    return held


def _renamed(stored: dict) -> dict:
    """A study.json written before the original projects' names changed (seeds, cnn-seed), in today's names."""
    renamed = dict(stored)
    if isinstance(stored.get("preset"), str):
        renamed["preset"] = STUDY_ALIASES.get(stored["preset"], stored["preset"])
    if isinstance(stored.get("methods"), list):
        renamed["methods"] = [METHOD_ALIASES.get(m, m) if isinstance(m, str) else m for m in stored["methods"]]
    return renamed


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


def verdicts(rows: list[dict], pairs: list[tuple[str, str]], family=(), family_size: int | None = None) -> list[dict]:
    """Per dataset and validation protocol: each (method, control) pair's paired difference over seeds, its 95%
    interval and verdict, with the labels the number cost (the budget plus the validation images). The rows of
    the `family` pairs (every dataset, protocol and budget) are one declared family: they get `primary` True and
    Holm's adjusted p-value and verdict over the family (holm_p, holm_verdict), counting `family_size` hypotheses
    where some are not measured yet; the others `primary` False."""
    table = []
    for (dataset, validation), group in _groups(rows, GROUP).items():
        used = {(r["method"], r["labels"]): r.get("labels_used") for r in group}
        n_validation = group[0].get("n_validation")
        for v in stats.verdict_table(group, pairs):
            cost = {"labelled": v["n_labelled"] or v["labels"], "validation": n_validation}
            table.append({"dataset": dataset, "validation": validation, "n_validation": n_validation,
                          "labels_used": used.get((v["method"], v["labels"])), **v,
                          "sentence": stats.verdict_sentence(v["method"], v["control"], v, cost),
                          "primary": (v["method"], v["control"]) in set(map(tuple, family))})
    primary = [i for i, r in enumerate(table) if r["primary"]]
    for i, adjusted in zip(primary, stats.adjust_family([table[i] for i in primary], size=family_size)):
        table[i] = adjusted
    return table


GROUP = ("dataset", "validation")
ADDED_SETTINGS = ("quality_samples", "first_seed", "family")  # StudyConfig fields newer than the first studies


def command(cfg: StudyConfig, preset: str, out) -> str:
    validation = ",".join("default" if v is None else str(v) for v in cfg.validation)
    return (f"ganclf study --preset {preset} --dataset {','.join(cfg.datasets)} --labels {','.join(cfg.labels)} "
            f"--n-seeds {cfg.seeds} --methods {','.join(cfg.methods)} --validation {validation} "
            f"--samples {cfg.quality_samples} --out {out}")
