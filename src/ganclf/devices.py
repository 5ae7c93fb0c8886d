"""Which device torch runs on, checked before anything is written: a real device string, and one this machine has."""
import os

from .config import ConfigError


def check_device(name: str, where: str = "--device") -> str:
    """name itself, or a one-line ConfigError naming `where` (the option or variable that gave it)."""
    import torch
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"{where} {name!r}: not a device; use cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"{where} {name!r}: ganclf runs on cpu, cuda or cuda:N (or mps)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build of torch" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise ConfigError(f"{where} {name}: {build}; use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"{where} {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"{where} {name}: no Apple GPU (mps) here; use --device cpu")
    return name


def check_environment() -> None:
    """$GANCLF_DEVICE, when set, names a device this machine has: the Python API checks it before writing, as the
    command line checks --device."""
    if os.environ.get("GANCLF_DEVICE"):
        check_device(os.environ["GANCLF_DEVICE"], "$GANCLF_DEVICE")
