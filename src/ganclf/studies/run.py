"""Running a study's plan: each shared GAN once, each cell once (finished ones are read back), then the results
files. `run_cell` and `run_gan` take plain data and return plain data, so an executor can run them anywhere.

An executor is a function (cfg, root, data_dir, quiet, **options) -> (rows, failed): the finished cells' rows in
plan order, and one {cell, dataset, validation, method, labels, seed, error} per cell that failed.
`run_sequential` is the plain one; the local executor (local_executor.py, the default) runs the same units in
worker processes side by side, the Ray executor (ray_executor.py) as Ray tasks. All speak through `Progress`,
which logs to the "ganclf.study" logger.
"""
import csv
import io
import logging
import math
import threading
import time
from pathlib import Path

from .. import api
from ..files import write_atomic, write_json
from ..logs import show_by_default
from ..runs import METRICS_LOG, RunError, read_json
from ..threads import cpus_for
from .estimate import pace, study_seconds, typical_seconds
from .plan import Cell, GANJob, StudyConfig, plan

LOG = logging.getLogger("ganclf.study")
ROW_COLUMNS = ["dataset", "validation", "method", "labels", "seed", "n_labelled", "n_validation", "labels_used",
               "val_accuracy", "test_accuracy", "wall_time_s", "gan_wall_time_s", "run_dir"]


def run_gan(job: GANJob, root, data_dir=None, download: bool = False, working_on=lambda text: None) -> dict:
    """Train (or read back, or resume) a shared GAN, then score its quality once (stored in its results.json);
    returns its results. working_on(text) hears when the scoring starts."""
    out = Path(root) / gan_folder(job.name)
    results = api.run("train-gan", dataset=job.dataset, labels=job.labels, seed=job.seed, out=out,
                      preset=job.preset, resume=True, reuse=True, data_dir=data_dir, download=download, quiet=True,
                      validation=job.validation, **job.settings)
    if not scored(results, job):
        working_on(f"scoring {gan_folder(job.name)} on {job.quality_samples:,} generated images")
        results["quality"] = api.evaluate_gan(out, job.quality_samples, data_dir=data_dir, quiet=True,
                                              download=download, cas_epochs=job.cas_epochs)
    return results


def run_cell(cell: Cell, root, data_dir=None, download: bool = False) -> dict:
    """Run one cell (its shared GAN must be finished); returns its row. A finished cell is read back; the study's
    study.json already holds that its cells are this study's."""
    out = Path(root) / cell.folder
    gan = Path(root) / gan_folder(cell.gan) if cell.gan else None
    cached = finished(root, cell.folder)
    if cached:  # read back as it is: its GAN's checkpoint may be gone (a ledger files results, not weights)
        return row(cell, read_json(out / "results.json"), out, cached, gan)
    results = api.run(cell.method, dataset=cell.dataset, labels=cell.labels, seed=cell.seed, out=out, resume=True,
                      reuse=True, data_dir=data_dir, download=download, quiet=True, validation=cell.validation,
                      **cell.settings,
                      **({"gan": str(gan)} if gan else {}))
    return row(cell, results, out, cached, gan)


def scored(results: dict, job: GANJob) -> bool:
    """Whether a shared GAN's results hold the quality its study asks for (or it asks for none)."""
    return not job.quality_samples or api.quality_of(results, job.quality_samples) is not None


def gan_folder(name: str) -> str:
    return f"gans/{name}"


def finished(root, folder: str) -> bool:
    return (Path(root) / folder / "results.json").is_file()


def row(cell: Cell, results: dict, out: Path, cached: bool, gan: Path | None) -> dict:
    check_cell_results(results, out / "results.json")
    gan_results = gan / "results.json" if gan else None
    gan_time = read_json(gan_results).get("wall_time_s") if gan and gan_results.exists() else None
    return {"dataset": cell.dataset, "validation": cell.validation, "method": cell.method, "labels": cell.labels,
            "seed": cell.seed, "n_labelled": results.get("n_labelled"),
            "n_validation": results.get("n_validation"), "labels_used": results.get("labels_used"),
            "val_accuracy": results.get("val_accuracy"),
            "test_accuracy": results["test_accuracy"], "wall_time_s": results["wall_time_s"],
            "gan_wall_time_s": gan_time, "gan": cell.gan, "gan_dir": str(gan) if gan else None, "run_dir": str(out),
            "cached": cached}


# What a study reads back from a cell's results.json: key -> (types, smallest, largest, may be missing or null)
CELL_FIELDS = {"test_accuracy": ((int, float), 0, 1, False), "val_accuracy": ((int, float), 0, 1, True),
               "wall_time_s": ((int, float), 0, None, False), "n_labelled": ((int,), 0, None, True),
               "n_validation": ((int,), 0, None, True), "labels_used": ((int,), 0, None, True)}


def check_cell_results(results: dict, path: Path) -> None:
    """A cell's results, as read back, are what a summary can use, or a RunError naming the file."""
    for key, (types, low, high, optional) in CELL_FIELDS.items():
        value = results.get(key)
        if value is None and optional:
            continue
        if value is None:
            raise RunError(f"{path}: no {key}; move the cell away to run it again")
        bad = not isinstance(value, types) or isinstance(value, bool) or not math.isfinite(value) or \
            value < low or (high is not None and value > high)
        if bad:
            within = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise RunError(f"{path}: {key} is {str(value)[:40]!r}, not a number {within}; move the cell away to "
                           "run it again")


def failure(cell: Cell, error: str) -> dict:
    """A failed cell as the study's results list it."""
    return {"cell": cell.folder.removeprefix("cells/"), "dataset": cell.dataset, "validation": cell.validation,
            "method": cell.method, "labels": cell.labels, "seed": cell.seed, "error": error}


def shared_gans(rows: list[dict]) -> list[dict]:
    """Each shared GAN the cells used, in plan order: what it trained on, which methods used it, its training
    time and its quality (None where not scored)."""
    gans = {}
    for r in rows:
        if r.get("gan") and r["gan"] not in gans:
            g = read_json(Path(r["gan_dir"]) / "results.json")
            gans[r["gan"]] = {"gan": r["gan"], "dataset": r["dataset"], "validation": r["validation"],
                              "preset": g.get("preset"), "images": g.get("n_labelled"), "seed": g.get("seed"),
                              "epochs": g.get("epochs"),
                              "used_by": [], "wall_time_s": g.get("wall_time_s"), "quality": g.get("quality")}
        if r.get("gan") and r["method"] not in gans[r["gan"]]["used_by"]:
            gans[r["gan"]]["used_by"].append(r["method"])
    return list(gans.values())


def run_sequential(cfg: StudyConfig, root, data_dir=None, quiet: bool = False,
                   cpus_per_cell: float | None = None) -> tuple[list[dict], list[dict]]:
    """Every cell in turn in this process, each shared GAN trained when its first cell needs it. A failing cell
    stops the study (rerunning it resumes). torch trains with cpus_per_cell threads, default 1 as on the other
    executors: a cell's numbers depend on its thread count."""
    with cpus_for(cpus_per_cell or 1) as threads:
        return _run_in_turn(cfg, root, data_dir, quiet, threads), []


def _run_in_turn(cfg: StudyConfig, root, data_dir, quiet: bool, threads: int) -> list[dict]:
    jobs, cells = plan(cfg)
    jobs = {job.name: job for job in jobs}
    progress = Progress(cells, root, quiet)
    progress.announce([jobs[name] for name in gans_to_train(progress.to_run, root, jobs)], 1, threads)
    done, rows = set(), []
    try:
        for cell in cells:
            cell_start = time.time()
            if cell.gan and cell.gan not in done and not finished(root, cell.folder):  # a filed cell needs none
                progress.working_on(f"training the shared GAN {gan_folder(cell.gan)}")
                run_gan(jobs[cell.gan], root, data_dir, working_on=progress.working_on)
                done.add(cell.gan)
                progress.gan_done(cell.gan)
            progress.working_on(f"{cell.folder}")
            rows.append(run_cell(cell, root, data_dir))
            progress.done(cell, rows[-1], time.time() - cell_start)  # includes training its GAN, the first time
    finally:
        progress.close()
    return rows


def gans_to_train(cells: list[Cell], root, jobs: dict) -> list[str]:
    """The shared GANs that these cells need and that are not finished and scored yet, in plan order."""
    names = dict.fromkeys(c.gan for c in cells if c.gan)
    return [name for name in names if not _gan_done(root, jobs[name])]


def _gan_done(root, job: GANJob) -> bool:
    results = Path(root) / gan_folder(job.name) / "results.json"
    return results.is_file() and scored(read_json(results), job)


class Progress(logging.Handler):
    """What a study says, whichever executor runs it, as INFO lines of the 'ganclf.study' logger: the plan and an
    estimate of its time before it starts, one line per finished (or failed) cell with the time left, and, while a
    cell or GAN trains, a line at least every HEARTBEAT_S seconds saying what runs and its latest epoch (from the
    'ganclf.metrics' log). Silent when quiet."""

    HEARTBEAT_S = 8.0

    def __init__(self, cells: list[Cell], root, quiet: bool):
        super().__init__()
        self.total, self.quiet = len(cells), quiet
        self.to_run = [c for c in cells if not finished(root, c.folder)]
        self.count = 0
        # Time left: the typical seconds of what is left, at the pace kept so far (wall seconds per typical second
        # of the units run), so one long ssl-gan cell does not stand for a short cnn one; before any unit ran, the
        # estimate's pace. Keyed by cell folder and shared GAN name.
        self.typical_left = {c.folder: typical_seconds(c) for c in self.to_run}
        self.typical_ran, self.pace = 0.0, 1.0
        self.start = self.printed = time.time()
        self.current, self.latest, self.since = "", "", time.time()
        self._stop = threading.Event()
        if not quiet:
            show_by_default()
            METRICS_LOG.addHandler(self)
            threading.Thread(target=self._beat, daemon=True).start()

    def working_on(self, text: str) -> None:
        self.current, self.latest, self.since = text, "", time.time()

    def emit(self, record: logging.LogRecord) -> None:
        self.latest = record.getMessage().rsplit("/", 1)[-1]

    def close(self) -> None:
        self._stop.set()
        METRICS_LOG.removeHandler(self)
        super().close()

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            if self.current and time.time() - self.printed >= self.HEARTBEAT_S:
                latest = f"; last: {self.latest}" if self.latest else ""
                self._say(f"  ... {self.current}: {time.time() - self.since:.0f}s{latest}")

    def _say(self, text: str) -> None:
        self.printed = time.time()
        LOG.info(text)

    def announce(self, gans: list[GANJob], at_once: int, cpus: float) -> None:
        """Print the plan and its estimate; `gans` are the shared GANs this study has to train."""
        self.typical_left.update({job.name: typical_seconds(job) for job in gans})
        self.pace = pace(at_once, cpus)
        if self.quiet:
            return
        wall = study_seconds([*gans, *self.to_run], at_once, cpus)
        parallel = f", {at_once} at once" if at_once > 1 else ""
        self._say(f"study: {len(self.to_run)} of {self.total} cells to run ({self.total - len(self.to_run)} finished "
                  f"already), {count(len(gans), 'shared GAN')} to train{parallel}; "
                  f"roughly {_duration(wall)} (typical times on 2 CPU cores)")

    def done(self, cell: Cell, r: dict, seconds: float) -> None:
        self.count += 1
        self._finish(cell.folder)
        self._print(cell, f"test {r['test_accuracy']:.4f} ({seconds:.0f}s{', cached' if r['cached'] else ''}; "
                          f"~{self._left() / 60:.1f} min left)")

    def gan_done(self, name: str) -> None:
        """A shared GAN is ready; said only for one this study had to train."""
        if name in self.typical_left:
            self._finish(name)
            if not self.quiet:
                self._say(f"shared GAN {name} trained")

    def failed(self, cell: Cell, error: str) -> None:
        self.count += 1
        self._finish(cell.folder)
        self._print(cell, f"FAILED: {error} (~{self._left() / 60:.1f} min left)")

    def _finish(self, key: str) -> None:
        """A unit this study ran is over (read-back cells were never left to do)."""
        self.typical_ran += self.typical_left.pop(key, 0.0)

    def _left(self) -> float:
        kept = (time.time() - self.start) / self.typical_ran if self.typical_ran else self.pace
        return sum(self.typical_left.values()) * kept

    def _print(self, cell: Cell, text: str) -> None:
        if not self.quiet:
            self._say(f"[{self.count}/{self.total}] {cell.folder.removeprefix('cells/')}: {text}")


def count(n: int, noun: str, plural: str = "s") -> str:
    """'1 cell', '2 cells'."""
    return f"{n} {noun}{'' if n == 1 else plural}"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} hours"


def write_results(out: Path, rows: list[dict], summary: list[dict], extra: dict) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ROW_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: round(v, 6) if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    write_atomic(out / "results.csv", buffer.getvalue().encode())
    write_json(out / "results.json", {"cells": rows, "summary": summary, **extra})
