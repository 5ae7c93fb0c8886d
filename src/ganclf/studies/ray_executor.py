"""The Ray executor: a study's shared GANs and cells as Ray tasks, on this machine or on a cluster whose workers
need not share the driver's disk.

- Each unit is one task with declared resources (num_cpus, and a GPU fraction where the cluster has GPUs, so
  several cells share one GPU); torch in the task uses as many threads as it was given CPUs. A cell's GAN is
  passed as the object ref of the GAN's task, so Ray runs the GAN first and hands the cell its directory.
- A task runs its unit with run_gan/run_cell in a temporary root on its worker and returns the unit's run
  directory packed (relative path -> bytes) through Ray's object store; the driver unpacks it into OUT atomically.
- Finished units in OUT are read back on the driver and never sent to Ray. An interrupted one (config.json, no
  results.json) is shipped with its files, so a GAN or ssl-gan resumes from its checkpoint as it would here.
- A cell's config.json names its GAN's directory and open_run compares configurations exactly, so a unit's JSON
  files are rewritten from the worker's temporary root to OUT (and back, for a shipped unit).
- Data: a worker loads the dataset itself, from data_dir, $GANCLF_DATA or its cache, downloading (and verifying)
  a built-in dataset its node lacks; a folder dataset's path must exist, absolute, on every worker.
- Code: on an existing cluster (an address) the driver's ganclf package is shipped to the workers (Ray's
  runtime_env py_modules); torch and ganclf's other dependencies must be installed there.
- Failures: a user error (bad settings, a diverged run: the same thing would fail again) comes back as the
  cell's error at once; anything else (an exception, a killed worker, a lost node) is retried `retries` times
  by Ray, then reported. The other cells go on. Ctrl-C cancels what is outstanding; what finished is in OUT
  already, so the same command resumes the study.
"""
import json
import logging
import shutil
import tempfile
from pathlib import Path

from ..config import ConfigError
from ..files import write_atomic
from ..runs import RunError, read_json
from ..threads import use_cpus
from ..train import TrainingDiverged
from .plan import Cell, GANJob, StudyConfig, plan
from .run import Progress, count, failure, finished, gan_folder, gans_to_train, row, run_cell, run_gan

NOT_RETRIED = (ValueError, RunError, TrainingDiverged)  # the same settings fail the same way on any worker
GPU_SHARE = 0.25  # an MNIST-sized cell keeps a fraction of a GPU busy, so four share one by default
UNIT_TOPS = ("gans", "cells")  # the folders of OUT whose paths a unit's JSON files may hold


def run_ray(cfg: StudyConfig, root, data_dir=None, quiet: bool = False, address: str | None = None,
            cpus_per_cell: float | None = None, gpus_per_cell: float | None = None,
            retries: int = 2) -> tuple[list[dict], list[dict]]:
    """Run the study's unfinished units as Ray tasks; (rows in plan order, failed cells). `address`: None starts
    Ray on this machine, "auto" or "host:port" joins a running cluster; a Ray this process is already connected
    to is used as it is (and left running)."""
    ray = import_ray()
    started = _connect(ray, address, quiet)
    try:
        return _Study(ray, cfg, Path(root), data_dir, quiet, cpus_per_cell or 1, gpus_per_cell, retries).run()
    finally:
        if started:
            ray.shutdown()


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'ganclf[ray]'") from None
    return ray


def _connect(ray, address: str | None, quiet: bool) -> bool:
    if ray.is_initialized():
        return False
    import ganclf
    code = {"py_modules": [str(Path(ganclf.__file__).parent)]} if address else None
    ray.init(address=address, runtime_env=code, logging_level=logging.WARNING if quiet else logging.INFO)
    return True


class _Study:
    """One run of the executor: what it submitted, what came back, and the rows and failures so far."""

    def __init__(self, ray, cfg, root: Path, data_dir, quiet: bool, cpus: float, gpus: float | None, retries: int):
        self.ray, self.root, self.cpus = ray, root, cpus
        self.data_dir = str(Path(data_dir).resolve()) if data_dir and Path(data_dir).exists() else data_dir
        jobs, self.cells = plan(cfg)
        self.jobs = {job.name: job for job in jobs}
        self.progress = Progress(self.cells, root, quiet)
        resources = ray.cluster_resources()
        gpus = (GPU_SHARE if resources.get("GPU") else 0) if gpus is None else gpus
        self.task = ray.remote(run_unit).options(num_cpus=cpus, num_gpus=gpus, max_retries=retries,
                                                 retry_exceptions=True)
        self.at_once = _at_once(resources, cpus, gpus)
        self.pending: dict = {}  # object ref -> ("gan", name) or ("cell", index in plan order)
        self.gan_inputs: dict = {}  # GAN name -> object ref of its packed directory, for the cells that use it
        self.rows: dict[int, dict] = {}
        self.failed: list[dict] = []

    def run(self) -> tuple[list[dict], list[dict]]:
        self.progress.announce([self.jobs[name] for name in self._gans_to_train()], self.at_once, self.cpus)
        for i, cell in enumerate(self.cells):
            if finished(self.root, cell.folder):
                self.rows[i] = run_cell(cell, self.root, self.data_dir)
                self.progress.done(cell, self.rows[i], 0.0)
        try:
            self._submit()
            while self.pending:
                self.progress.working_on(self._outstanding())
                ready, _ = self.ray.wait(list(self.pending), num_returns=1)
                self._collect(ready[0])
        except BaseException:  # Ctrl-C, or a bug here: stop the workers; what finished is unpacked already
            for ref in self.pending:
                self.ray.cancel(ref, force=True)
            raise
        finally:
            self.progress.close()
        return [self.rows[i] for i in sorted(self.rows)], self.failed

    def _submit(self) -> None:
        for name in self._gans_to_train():
            ref = self.task.remote(self.jobs[name], gan_folder(name), self._shipped(gan_folder(name)), None,
                                   self.data_dir, self.cpus)
            self.pending[ref], self.gan_inputs[name] = ("gan", name), ref
        for i, cell in enumerate(self.cells):
            if i not in self.rows:
                ref = self.task.remote(cell, cell.folder, self._shipped(cell.folder), self._gan_input(cell.gan),
                                       self.data_dir, self.cpus)
                self.pending[ref] = ("cell", i)

    def _outstanding(self) -> str:
        gans = sum(kind == "gan" for kind, _ in self.pending.values())
        cells = len(self.pending) - gans
        return f"{count(gans, 'shared GAN')} and {count(cells, 'cell')} outstanding, up to {self.at_once} at once"

    def _gans_to_train(self) -> list[str]:
        return gans_to_train(self.progress.to_run, self.root, self.jobs)

    def _shipped(self, folder: str):
        """An interrupted unit's files, so it continues on its worker; None for a new one."""
        return pack(self.root, folder) if (self.root / folder / "config.json").is_file() else None

    def _gan_input(self, name: str | None):
        if name and name not in self.gan_inputs:  # finished on the driver: its directory is put once
            self.gan_inputs[name] = self.ray.put(pack(self.root, gan_folder(name)))
        return self.gan_inputs.get(name)

    def _collect(self, ref) -> None:
        kind, key = self.pending.pop(ref)
        result = self._get(ref)
        if kind == "gan":
            if "error" not in result:
                unpack(result, self.root)
                self.progress.gan_done(key)
            return
        cell = self.cells[key]
        gan_task = self.gan_inputs.get(cell.gan)
        if gan_task in self.pending:  # its GAN's directory reaches OUT before the cell's results name it
            self._collect(gan_task)
        if "error" in result:
            self.failed.append(failure(cell, result["error"]))
            self.progress.failed(cell, result["error"])
            return
        self.rows[key] = self._row(cell, unpack(result, self.root))
        self.progress.done(cell, self.rows[key], self.rows[key]["wall_time_s"])

    def _get(self, ref) -> dict:
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayError as err:  # retries exhausted, cancelled, worker or node lost
            return {"error": _describe(err)}

    def _row(self, cell: Cell, out: Path) -> dict:
        gan = self.root / gan_folder(cell.gan) if cell.gan else None
        return row(cell, read_json(out / "results.json"), out, False, gan)


def _at_once(resources: dict, cpus: float, gpus: float) -> int:
    slots = resources.get("CPU", 0) // cpus
    if gpus:
        slots = min(slots, resources.get("GPU", 0) // gpus)
    return max(1, int(slots))


def _describe(err) -> str:
    cause = getattr(err, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
    lines = [line for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else ''}"


def run_unit(unit: Cell | GANJob, folder: str, shipped: dict | None, gan: dict | None, data_dir, cpus: float) -> dict:
    """A Ray task: run one shared GAN or cell in a temporary root on this worker. Returns its run directory
    packed, or {"error": ...} for a user error (not worth retrying)."""
    if gan and "error" in gan:
        return {"error": f"its shared GAN failed ({gan['error']})"}
    use_cpus(cpus)
    with tempfile.TemporaryDirectory(prefix="ganclf-unit-") as tmp:
        for packed in (gan, shipped):
            if packed:
                unpack(packed, tmp)
        try:
            if isinstance(unit, GANJob):
                run_gan(unit, tmp, data_dir, download=True)
            else:
                run_cell(unit, tmp, data_dir, download=True)
        except NOT_RETRIED as err:
            return {"error": f"{type(err).__name__}: {err}"}
        return pack(tmp, folder)


def pack(root, folder: str) -> dict:
    """A unit's run directory as plain data: its folder under root, the root it was written under, its files."""
    base = Path(root) / folder
    files = {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
             if p.is_file() and not p.is_symlink()}
    return {"folder": folder, "root": str(root), "files": files}


def unpack(packed: dict, root) -> Path:
    """Write a packed unit into root/folder: beside it first, then renamed over it, so the folder is either
    the old one (an interrupted run) or the whole new one. Paths into the old root are moved to this root."""
    target = Path(root) / _relative(packed["folder"])
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        for name, data in packed["files"].items():
            if name.endswith(".json"):
                data = move_paths(data, packed["root"], root)
            write_atomic(fresh / _relative(name), data)
        _replace(fresh, target)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return target


def _replace(fresh: Path, target: Path) -> None:
    if not target.exists():
        fresh.rename(target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    target.rename(old / "run")
    fresh.rename(target)
    shutil.rmtree(old)


def _relative(name: str) -> str:
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise RunError(f"a packed run directory names {name!r}, which is not a path inside it")
    return name


def move_paths(data: bytes, old_root, new_root) -> bytes:
    """JSON whose paths under old_root/gans and old_root/cells name the same files under new_root. Spelled as
    str(Path(root) / ...), the way run_cell spells them, so a study in "." gets "cells/..." as it would here."""
    def move(value):
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str):
            for top in UNIT_TOPS:
                prefix = str(Path(old_root) / top)
                if value == prefix or value.startswith(prefix + "/"):
                    return str(Path(new_root) / top) + value[len(prefix):]
        return value

    try:
        parsed = json.loads(data)
    except ValueError:
        return data  # not ours to mend
    moved = move(parsed)
    return data if moved == parsed else (json.dumps(moved, indent=2) + "\n").encode()
