"""Run directories: config.json, metrics.jsonl, results.json, figures, and safetensors checkpoints.

A checkpoint is one .safetensors file whose header carries its JSON metadata, so the tensors and the
metadata are replaced together in one atomic rename; a .json copy beside it is for people to read.
"""
import json
import platform
import time
from pathlib import Path

import numpy as np
import safetensors
import torch
from safetensors.torch import load_file, save

from .files import write_atomic, write_json

_TENSOR = "__tensor__:"


class RunError(RuntimeError):
    """A run directory that cannot be used as asked (finished already, missing, from another command)."""


class Run:
    """One run directory. Every command writes its outputs through one of these."""

    def __init__(self, path, config: dict, resume: bool = False):
        self.path = Path(path)
        self.config = config
        if (self.path / "results.json").exists() and not resume:
            raise RunError(f"{self.path} already holds a finished run; choose another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        if not resume:  # an interrupted earlier attempt's lines would be mixed into this run's
            (self.path / "metrics.jsonl").unlink(missing_ok=True)
        write_json(self.path / "config.json", config)
        self.started = time.time()

    def log(self, record: dict) -> None:
        """Append one line of metrics (one epoch, one phase)."""
        with open(self.path / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record, default=float) + "\n")

    def metrics(self) -> list[dict]:
        return read_metrics(self.path)

    def finish(self, results: dict) -> dict:
        results = {**results, "wall_time_s": round(time.time() - self.started, 2), "versions": versions()}
        write_json(self.path / "results.json", results)
        return results

    def file(self, name: str) -> Path:
        return self.path / name


def read_metrics(path) -> list[dict]:
    metrics = Path(path) / "metrics.jsonl"
    if not metrics.exists():
        return []
    return [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]


def versions() -> dict:
    import ganclf
    return {"ganclf": ganclf.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


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
    except (OSError, KeyError, ValueError, safetensors.SafetensorError) as err:
        raise RunError(f"{path}: not a readable ganclf checkpoint ({err})") from None
    return _unflatten(skeleton, tensors), metadata


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
