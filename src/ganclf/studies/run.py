"""Running a study's plan: each shared GAN once, each cell once (finished ones are read back), then the results
files. `run_cell` and `run_gan` take plain data and return plain data, so an executor can run them anywhere."""
import csv
import io
import json
import time
from pathlib import Path

from .. import api
from ..files import write_atomic, write_json
from .plan import Cell, GANJob, StudyConfig, plan

ROW_COLUMNS = ["dataset", "validation", "method", "labels", "seed", "n_labelled", "n_validation", "labels_used", "val_accuracy", "test_accuracy",
               "wall_time_s", "gan_wall_time_s", "run_dir"]


def run_gan(job: GANJob, root, data_dir=None) -> dict:
    """Train (or read back, or resume) a shared GAN; returns its results."""
    out = Path(root) / "gans" / job.name
    return api.run("train-gan", dataset=job.dataset, labels=job.labels, seed=job.seed, out=out, preset=job.preset,
                   resume=True, reuse=True, data_dir=data_dir, download=False, quiet=True, validation=job.validation,
                   **job.settings)


def run_cell(cell: Cell, root, data_dir=None) -> dict:
    """Run one cell (its shared GAN must be finished); returns its row. A finished cell is read back."""
    out = Path(root) / cell.folder
    gan = Path(root) / "gans" / cell.gan if cell.gan else None
    cached = (out / "results.json").exists()
    results = api.run(cell.method, dataset=cell.dataset, labels=cell.labels, seed=cell.seed, out=out, resume=True,
                      reuse=True, data_dir=data_dir, download=False, quiet=True, validation=cell.validation,
                      **cell.settings,
                      **({"gan": str(gan)} if gan else {}))
    return row(cell, results, out, cached, gan)


def row(cell: Cell, results: dict, out: Path, cached: bool, gan: Path | None) -> dict:
    gan_results = gan / "results.json" if gan else None
    gan_time = json.loads(gan_results.read_text()).get("wall_time_s") if gan and gan_results.exists() else None
    return {"dataset": cell.dataset, "validation": cell.validation, "method": cell.method, "labels": cell.labels,
            "seed": cell.seed, "n_labelled": results.get("n_labelled"),
            "n_validation": results.get("n_validation"), "labels_used": results.get("labels_used"),
            "val_accuracy": results.get("val_accuracy"),
            "test_accuracy": results["test_accuracy"], "wall_time_s": results["wall_time_s"],
            "gan_wall_time_s": gan_time, "gan_dir": str(gan) if gan else None, "run_dir": str(out), "cached": cached}


def run_sequential(cfg: StudyConfig, root, data_dir=None, quiet: bool = False) -> tuple[list[dict], float]:
    """Every cell in turn in this process, each shared GAN trained when its first cell needs it."""
    jobs, cells = plan(cfg)
    jobs = {job.name: job for job in jobs}
    done, rows, start = set(), [], time.time()
    for i, cell in enumerate(cells, 1):
        cell_start = time.time()
        if cell.gan and cell.gan not in done:
            run_gan(jobs[cell.gan], root, data_dir)
            done.add(cell.gan)
        rows.append(run_cell(cell, root, data_dir))
        if not quiet:  # the cell's time includes training the GAN it shares, the first time
            r, left = rows[-1], (time.time() - start) / i * (len(cells) - i)
            print(f"[{i}/{len(cells)}] {cell.folder[6:]}: "
                  f"test {r['test_accuracy']:.4f} ({time.time() - cell_start:.0f}s"
                  f"{', cached' if r['cached'] else ''}; ~{left / 60:.1f} min left)", flush=True)
    return rows, round(time.time() - start, 1)


def write_results(out: Path, rows: list[dict], summary: list[dict], extra: dict) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ROW_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    write_atomic(out / "results.csv", buffer.getvalue().encode())
    write_json(out / "results.json", {"cells": rows, "summary": summary, **extra})
