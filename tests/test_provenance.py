import datetime
import re
import subprocess
from pathlib import Path

import pytest
import torch

import ganclf
from ganclf import provenance as prov

KEYS = {"created", "ganclf", "git_commit", "git_dirty", "python", "torch", "numpy", "sklearn", "scipy", "platform",
        "cpu", "cpu_id", "cpu_isa", "torch_cpu_capability", "device", "threads", "dataset_checksum"}
REPO = Path(prov.__file__).resolve().parents[2]


def test_keys_and_types():
    p = prov.provenance(device="cpu", dataset_checksum="sha256:abc")
    assert set(p) == KEYS
    created = datetime.datetime.fromisoformat(p["created"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) < 60
    assert p["ganclf"] == ganclf.__version__ and p["torch"] == torch.__version__
    assert all(isinstance(p[k], str) and p[k] for k in ("python", "numpy", "sklearn", "scipy", "platform"))
    assert p["device"] == "cpu" and p["threads"] == torch.get_num_threads()
    assert p["dataset_checksum"] == "sha256:abc"
    assert prov.provenance(threads=3)["threads"] == 3


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout (e.g. an installed copy)")
def test_commit_of_this_checkout():
    p = prov.provenance()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", p["git_commit"]) and p["git_commit"] == head
    assert isinstance(p["git_dirty"], bool)


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_dirty_flag_in_a_fresh_repository(tmp_path, monkeypatch):
    package = tmp_path / "ganclf"
    package.mkdir()
    (package / "__init__.py").write_text("")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "x")
    monkeypatch.setattr(prov, "PACKAGE_DIR", package)
    clean = prov.provenance()
    assert re.fullmatch(r"[0-9a-f]{40}", clean["git_commit"]) and clean["git_dirty"] is False
    (package / "__init__.py").write_text("edited = True\n")
    assert prov.provenance()["git_dirty"] is True


def test_untracked_package_inside_another_repository_has_no_commit(tmp_path, monkeypatch):
    # e.g. ganclf installed into a virtual environment that sits inside some project's checkout
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "x")
    package = tmp_path / "venv" / "ganclf"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(prov, "PACKAGE_DIR", package)
    assert prov.provenance()["git_commit"] is None


def test_outside_a_git_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # git must not look above tmp_path
    monkeypatch.setattr(prov, "PACKAGE_DIR", tmp_path)
    p = prov.provenance()
    assert p["git_commit"] is None and p["git_dirty"] is None
    assert set(p) == KEYS


@pytest.mark.parametrize("error", [FileNotFoundError("git"), subprocess.TimeoutExpired("git", 5)])
def test_git_missing_or_hanging(monkeypatch, error):
    def broken(*args, **kwargs):
        raise error
    monkeypatch.setattr(prov.subprocess, "run", broken)
    p = prov.provenance()
    assert p["git_commit"] is None and p["git_dirty"] is None


def test_failing_probes_never_raise(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("probe failed")
    monkeypatch.setattr(prov.platform, "platform", broken)
    monkeypatch.setattr(prov.importlib.metadata, "version", broken)
    p = prov.provenance(device="no-such-device")
    assert p["platform"] is None and p["scipy"] is None and p["device"] is None
    assert p["python"]  # the rest is still recorded


def test_cuda_device_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"NVIDIA H200 #{index}")
    assert prov.provenance(device="cuda")["device"] == "cuda:0 (NVIDIA H200 #0)"
    assert prov.provenance(device=torch.device("cuda", 1))["device"] == "cuda:1 (NVIDIA H200 #1)"
