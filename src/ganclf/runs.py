"""Run directories: config.json, metrics.jsonl, results.json, figures, and safetensors checkpoints.

A checkpoint is one .safetensors file whose header carries its JSON metadata, so the tensors and the
metadata are replaced together in one atomic rename; a .json copy beside it is for people to read.
"""
import fcntl
import json
import logging
import os
import time
from pathlib import Path

import safetensors
import torch
from safetensors.torch import load_file, save

from .files import write_atomic, write_json
from .provenance import provenance

_TENSOR = "__tensor__:"
LOCK = ".ganclf.lock"  # one writer per run or study directory (see lock)


class RunError(RuntimeError):
    """A run directory that cannot be used as asked (finished already, interrupted, another run's, missing)."""


def open_run(path, config: dict, resume: bool = False, reuse: bool = False) -> "Run":
    """The one rule for a run directory, applied before anything is written:

    - a missing or empty directory becomes a new run;
    - an interrupted run (config.json, no results.json) with this configuration is continued only with `resume`;
    - a finished run with this configuration is read back only with `reuse` (a study's cells), never overwritten;
    - anything else (another configuration, a file, a folder that is not a run) is refused.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunError(f"{path} is a file, not a run directory")
    if is_empty(path):
        return Run(path, config, new=True, lock_fd=lock(path))
    if not (path / "config.json").is_file():
        raise RunError(f"{path} is not empty and holds no ganclf run; choose another output directory")
    stored = read_json(path / "config.json")
    if stored != _plain(config):
        raise RunError(f"{path} holds another run ({difference(stored, _plain(config))}); choose another "
                       "output directory")
    link = next((p for p in path.rglob("*") if p.is_symlink()), None)
    if link:
        raise RunError(f"{link} is a symbolic link; a run directory's files are never followed elsewhere")
    if (path / "results.json").exists():
        if reuse:
            return Run(path, config, new=False)  # read back only: no lock, nothing written
        raise RunError(f"{path} already holds a finished run; choose another output directory")
    if not resume:
        raise RunError(f"{path} holds an interrupted run; resume it (--resume) or choose another output directory")
    fd = lock(path)
    if (path / "results.json").exists():  # the writer that held the lock finished it meanwhile
        unlock(fd)
        raise RunError(f"{path} already holds a finished run; choose another output directory")
    return Run(path, config, new=False, lock_fd=fd)


def is_empty(path: Path) -> bool:
    """A missing folder, or one holding nothing but a lock file (a run stopped before its config.json)."""
    return not path.exists() or all(p.name == LOCK for p in path.iterdir())


def lock(path: Path) -> int:
    """Take the one-writer lock of a run or study directory (created if missing) before anything is written in it;
    a second writer gets a one-line RunError naming the holder. flock: the OS releases it when the holder dies,
    so even a SIGKILL leaves no stale lock. Returns the descriptor for unlock."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 20).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise RunError(f"{path} is locked by another ganclf writer (PID {holder}); wait for it to end or stop "
                       "it") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def unlock(fd: int | None) -> None:
    """Release a lock taken by lock(); the file stays (deleting it would let two writers lock two files)."""
    if fd is not None:
        os.ftruncate(fd, 0)
        os.close(fd)


def check_output(path, option: str, suffixes: tuple, force: bool = False) -> Path:
    """A file a command writes for the user (a sample grid, an .npz), checked before anything is written: the
    right extension, never inside a run or study directory (whose files are theirs alone), and an existing file
    replaced only when `force` says so."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise RunError(f"{option} {path}: expected a {', '.join(suffixes)} file")
    check_outside_runs(path, option)
    if path.is_dir() or path.is_symlink():
        raise RunError(f"{option} {path}: a folder or link, not a file to write")
    if path.exists() and not force:
        raise RunError(f"{option} {path}: exists; pass --force to replace it")
    return path


def check_outside_runs(path, option: str) -> None:
    """A command's output never lies inside another run or study directory (a study's cells and a method's
    sub-runs are made through the API, by the writer that holds the directory)."""
    for folder in Path(path).resolve().parents:
        if is_run_or_study(folder):
            raise RunError(f"{option} {path}: inside the run directory {folder}, whose files are the run's own; "
                           "write it elsewhere")


def is_run_or_study(folder: Path) -> bool:
    return (folder / LOCK).exists() or (folder / "study.json").exists() or \
        ((folder / "config.json").exists() and (folder / "split.json").exists())


def read_json(path, what: str = "") -> dict:
    """A JSON object from a run directory, or a one-line RunError."""
    path = Path(path)
    try:
        value = json.loads(_safe_path(path).read_text())
    except FileNotFoundError:
        raise RunError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise RunError(f"{path}: not readable JSON ({type(err).__name__})") from None
    if not isinstance(value, dict):
        raise RunError(f"{path}: expected a JSON object{what}")
    return value


def difference(stored: dict, asked: dict, prefix: str = "") -> str:
    """The first setting in which a stored configuration differs from the one asked for, in words."""
    for key in sorted(set(stored) | set(asked), key=lambda k: (isinstance(asked.get(k), dict), k != "method", k)):
        mine, theirs = stored.get(key), asked.get(key)
        if isinstance(mine, dict) and isinstance(theirs, dict) and mine != theirs:
            return difference(mine, theirs, f"{prefix}{key}.")
        if mine != theirs:
            if all(isinstance(v, (str, int, float, bool, type(None))) for v in (mine, theirs)):
                return f"its {prefix}{key} is {str(mine)[:40]}, not {str(theirs)[:40]}"
            return f"its {prefix}{key} differs"
    return describe(stored)


def reason(err: Exception) -> str:
    """Why reading a run's file failed, in one short line: a missing key by name, else the error's first 200
    characters with line breaks folded (torch's weight-loading errors put the size mismatch on the second line)."""
    if isinstance(err, KeyError):
        return f"missing {err}"
    return " ".join(str(err).split())[:200] or type(err).__name__


def describe(config: dict) -> str:
    keys = ("method", "dataset", "labels", "seed", "preset")
    return ", ".join(f"{k} {config[k]}" for k in keys if k in config) or "unknown settings"


class Run:
    """One run directory, opened by open_run. Every command writes its outputs through one of these."""

    def __init__(self, path, config: dict, new: bool, lock_fd: int | None = None):
        self.path, self.config, self.lock_fd = Path(path), config, lock_fd
        self.started, self.earlier_s = time.time(), 0.0
        if new:
            self.path.mkdir(parents=True, exist_ok=True)
            write_json(self.path / "config.json", config)

    def close(self) -> None:
        """Release the directory's lock (a run opened for writing holds it until then, or until it is dropped)."""
        unlock(self.lock_fd)
        self.lock_fd = None

    __del__ = close

    @property
    def finished(self) -> bool:
        return (self.path / "results.json").is_file()

    def results(self) -> dict:
        return read_json(self.path / "results.json")

    def log(self, record: dict) -> None:
        """Append one line of metrics (one epoch, one phase); it also goes to the 'ganclf.metrics' logger, which
        a study listens to for its progress lines."""
        METRICS_LOG.info("%s: %s", self.path, _brief(record), extra={"run": str(self.path), "metrics": record})
        path = self.file("metrics.jsonl")
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644), "a") as f:
                f.write(json.dumps(record, default=float) + "\n")
        except OSError as err:  # a full disk names no file by itself
            raise OSError(err.errno, err.strerror, str(path)) from None

    def restore_metrics(self, records: list[dict]) -> None:
        """Make metrics.jsonl exactly these records (a resumed run: no line of an epoch that was lost)."""
        write_atomic(self.file("metrics.jsonl"), "".join(json.dumps(r, default=float) + "\n" for r in records).encode())

    def metrics(self) -> list[dict]:
        return read_metrics(self.path)

    def add_earlier_time(self, seconds: float) -> None:
        """Time spent before this process resumed the run, so wall_time_s covers every attempt."""
        self.earlier_s = float(seconds)

    def elapsed(self) -> float:
        return self.earlier_s + time.time() - self.started

    def finish(self, results: dict) -> dict:
        results = {**results, "wall_time_s": round(self.elapsed(), 2), "provenance": provenance()}
        write_json(self.file("results.json"), results)
        self.close()
        return results

    def file(self, name: str) -> Path:
        """A path inside the run directory; a symbolic link is never followed out of it."""
        return _safe_path(self.path / name)


# Every metrics line as a log record (record.run: the run directory, record.metrics: the line) for the listeners
# that attach to it (a study's progress, TensorBoard scalars); never propagated, so no console shows each epoch.
METRICS_LOG = logging.getLogger("ganclf.metrics")
METRICS_LOG.setLevel(logging.INFO)
METRICS_LOG.propagate = False


def _brief(record: dict) -> str:
    return " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in list(record.items())[:5])


def _safe_path(path: Path) -> Path:
    if path.is_symlink():
        raise RunError(f"{path} is a symbolic link; a run directory's files are never followed elsewhere")
    return path


def _plain(config: dict) -> dict:
    """config as it reads back from JSON (tuples as lists, paths as strings)."""
    return json.loads(json.dumps(config, default=str))


def read_metrics(path) -> list[dict]:
    metrics = _safe_path(Path(path) / "metrics.jsonl")
    if not metrics.exists():
        return []
    try:
        return [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    except ValueError:
        raise RunError(f"{metrics}: not readable JSON lines") from None


def save_checkpoint(path, state: dict, metadata: dict) -> None:
    """Save nested state (dicts/lists of tensors and plain values) plus metadata, atomically."""
    tensors = {}
    skeleton = _flatten(state, "", tensors)
    header = {"skeleton": json.dumps(skeleton), "metadata": json.dumps(metadata)}
    write_atomic(path, save(tensors, metadata=header))
    write_json(Path(path).with_suffix(".json"), metadata)


def load_checkpoint(path) -> tuple[dict, dict]:
    """Inverse of save_checkpoint: (state, metadata). Reads tensors only; nothing is unpickled."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path}: checkpoint not found")
    try:
        with safetensors.safe_open(str(path), "pt") as f:
            header = f.metadata() or {}
        tensors = load_file(str(path))
        skeleton, metadata = json.loads(header["skeleton"]), json.loads(header["metadata"])
        if not isinstance(skeleton, dict) or not isinstance(metadata, dict):
            raise ValueError("its state and metadata must be JSON objects")
        state = _unflatten(skeleton, tensors)
    except (OSError, KeyError, ValueError, RecursionError, safetensors.SafetensorError) as err:
        raise RunError(f"{path}: not a readable ganclf checkpoint ({reason(err)})") from None
    return state, metadata


def _flatten(obj, prefix: str, tensors: dict):
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous().clone()  # clone: safetensors refuses shared storage
        return _TENSOR + prefix
    if isinstance(obj, dict):
        return {str(k): _flatten(v, f"{prefix}.{k}" if prefix else str(k), tensors) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_flatten(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]
    return obj


def _unflatten(skeleton, tensors: dict):
    if isinstance(skeleton, str) and skeleton.startswith(_TENSOR):
        return tensors[skeleton[len(_TENSOR):]]
    if isinstance(skeleton, dict):
        return {k: _unflatten(v, tensors) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [_unflatten(v, tensors) for v in skeleton]
    return skeleton


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    """An optimizer's state_dict with integer keys as strings, so it survives the JSON skeleton."""
    state = optimizer.state_dict()
    return {"state": {str(k): v for k, v in state["state"].items()}, "param_groups": state["param_groups"]}


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    optimizer.load_state_dict({"state": {int(k): v for k, v in state["state"].items()},
                               "param_groups": state["param_groups"]})
    # Checkpoints store tensors contiguous; moments of a channels-last weight must get its memory layout back,
    # or fused Adam pairs the wrong elements (resumed runs then drift from uninterrupted ones).
    for group in optimizer.param_groups:
        for param in group["params"]:
            moments = optimizer.state.get(param, {})
            for key, value in moments.items():
                if torch.is_tensor(value) and value.shape == param.shape and value.stride() != param.stride():
                    moments[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)
