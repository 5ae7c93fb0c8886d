"""Where a result came from: time, code version and commit, library versions, machine, device, threads.

Every probe is cheap (two or three short git calls, file reads, package metadata) and wrapped so that a failure
records None: provenance is written beside results and must never be the reason a finished run is lost.
"""
import datetime
import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path

from . import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
GIT_TIMEOUT_S = 5


def provenance(device=None, threads: int | None = None, dataset_checksum: str | None = None) -> dict:
    """A flat JSON-ready dict; every key is always present, None where unknown.

    device: a torch.device or string (default: the device ganclf trains on by default); threads: default
    torch.get_num_threads(). git_dirty counts untracked, non-ignored files too: a new module not yet committed
    changes what ran as much as an edit does.
    """
    commit = _safe(_git_commit)
    return {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "ganclf": __version__,
        "git_commit": commit,
        "git_dirty": _safe(_git_dirty) if commit else None,
        "python": platform.python_version(),
        "torch": _safe(lambda: _torch().__version__),
        "numpy": _safe(lambda: importlib.metadata.version("numpy")),
        # metadata rather than import: importing scikit-learn alone can take longer than all the rest
        "sklearn": _safe(lambda: importlib.metadata.version("scikit-learn")),
        "scipy": _safe(lambda: importlib.metadata.version("scipy")),
        "platform": _safe(platform.platform),
        "cpu": _safe(_cpu_model),
        # bf16 matrix kernels differ by instruction set (AMX, AVX-512 BF16, AVX2), and so do their sums: the same
        # seed gave cnn 0.8476 on an AMX CPU and 0.8518 with oneDNN held to AVX-512 BF16 (issue 28)
        "cpu_id": _safe(_cpu_id),
        "cpu_isa": _safe(_cpu_isa),
        "torch_cpu_capability": _safe(lambda: _torch().backends.cpu.get_cpu_capability()),
        "device": _safe(lambda: _describe_device(device)),
        "threads": threads if threads is not None else _safe(lambda: _torch().get_num_threads()),
        "dataset_checksum": dataset_checksum,
    }


def _safe(probe):
    try:
        return probe()
    except Exception:  # noqa: BLE001 -- any failure of a probe is recorded as unknown, by design
        return None


def _torch():
    import torch  # lazily: provenance of a torch-free step should not pay for the import
    return torch


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, check=True,
                          timeout=GIT_TIMEOUT_S).stdout


def _git_commit() -> str | None:
    # An installed copy inside some other repository (a venv in a project checkout) would otherwise report
    # that repository's commit; the package's own files must be tracked for the commit to describe them.
    _git("ls-files", "--error-unmatch", "--", "__init__.py")
    commit = _git("rev-parse", "HEAD").strip()
    return commit if len(commit) == 40 else None


def _git_dirty() -> bool:
    return bool(_git("status", "--porcelain").strip())


def _cpu_model() -> str | None:
    """'model name' from /proc/cpuinfo (Linux); platform.processor() elsewhere, where it names the CPU."""
    if sys.platform.startswith("linux"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or None


ISA_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16")


def _cpuinfo() -> dict:
    """The first processor's fields of /proc/cpuinfo (Linux; empty elsewhere)."""
    fields = {}
    if sys.platform.startswith("linux"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    return fields


def _cpu_id() -> str | None:
    """'family F model M stepping S' of the CPU: a virtual machine's model name is often generic."""
    info = _cpuinfo()
    return f"family {info['cpu family']} model {info['model']} stepping {info.get('stepping', '?')}" \
        if "model" in info else None


def _cpu_isa() -> list[str] | None:
    """Which of the instruction sets that choose torch's CPU kernels this CPU has."""
    flags = _cpuinfo().get("flags")
    return [f for f in ISA_FLAGS if f in flags.split()] if flags else None


def _describe_device(device) -> str:
    torch = _torch()
    if device is None:
        from .train import default_device
        device = default_device()
    device = torch.device(device)
    if device.type != "cuda":
        return str(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
