"""Studies declared as files: a TOML file in a git repository, committed before the study runs, whose blob hash
and commit the study records, so anyone can check that the numbers answer the question as it was asked.

The file's keys are StudyConfig's fields (and an optional `description`); `validation` entries are sizes or
"default". Every cell's settings are checked (unknown names, wrong types, impossible budgets) before anything
trains.
"""
import subprocess
from pathlib import Path

from ..config import ConfigError, make_config, with_overrides
from ..data import parse_budget
from ..methods import get_method
from .estimate import TRAINING_IMAGES, DEFAULT_VALIDATION
from .plan import StudyConfig, plan

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

GIT_TIMEOUT_S = 10


def load_plan(path, allow_uncommitted: bool = False) -> tuple[StudyConfig, dict]:
    """(the study it declares, its declaration: path, description, git blob hash and commit)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such study declaration") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: not a readable TOML study declaration ({err})") from None
    description = data.pop("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{path}: description must be text")
    if "validation" in data and isinstance(data["validation"], list):
        data["validation"] = [None if v == "default" else v for v in data["validation"]]
    try:
        cfg = with_overrides(StudyConfig(), "study declaration", **data)
        check_cells(cfg)
    except (ConfigError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from None
    identity = _git_identity(path, allow_uncommitted)
    return cfg, {"path": identity.pop("path") or str(path), "description": description, **identity}


def check_cells(cfg: StudyConfig) -> None:
    """Every cell's and shared GAN's settings make a configuration, and every budget fits its dataset."""
    jobs, cells = plan(cfg)
    for job in jobs:
        make_config(get_method("train-gan").presets, job.preset, "train-gan", **job.settings)
    for cell in cells:
        entry = get_method(cell.method)
        make_config(entry.presets, entry.default_preset, cell.method, **cell.settings)
        _check_budget(cell.dataset, cell.labels, cell.validation)


def _check_budget(dataset: str, labels: str, validation) -> None:
    if dataset not in TRAINING_IMAGES:  # a folder: its size is known once it is read
        return
    budget = parse_budget(labels)
    held_out = DEFAULT_VALIDATION if validation is None else validation
    pool = TRAINING_IMAGES[dataset] - held_out
    if isinstance(budget, int) and budget > pool:
        raise ConfigError(f"{labels} labels on {dataset} with {held_out:,} validation images: only {pool:,} "
                          "training images are left")


def _git_identity(path: Path, allow_uncommitted: bool) -> dict:
    """The file's git blob hash, the last commit that changed it, and whether it differs from that commit; a
    declaration that is not committed as it stands is refused unless allowed (then recorded as uncommitted)."""
    folder = path.resolve().parent
    blob = _git(folder, "hash-object", "--", path.resolve().name)
    commit = _git(folder, "log", "-1", "--format=%H", "--", path.resolve().name) if blob else None
    changed = _git(folder, "status", "--porcelain", "--", path.resolve().name) if commit else "untracked"
    committed = bool(commit) and not changed
    if not committed and not allow_uncommitted:
        state = "has uncommitted changes" if commit else "is not committed to git"
        raise ConfigError(f"{path} {state}: commit the declaration before the study runs "
                          "(or pass --allow-uncommitted for a trial)")
    # its path in the repository, so the same study is recognised whichever folder it is run from
    in_repo = _git(folder, "ls-files", "--full-name", "--", path.resolve().name) if commit else None
    return {"path": in_repo or None, "blob": blob, "commit": commit or None, "committed": committed}


def _git(folder: Path, *args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True,
                              timeout=GIT_TIMEOUT_S).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
