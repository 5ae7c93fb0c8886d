"""Hostile command lines, one table shared by tests/test_hostile.py and benchmarks/hostile.py.

Each case is (name, argv, exit code, what the one-line message must say, what it may write). The runner calls the
CLI in this process against a small world of runs made once (a finished cnn, a finished and a half-trained cdcgan,
a finished study and copies with broken cells, locked directories, a folder dataset with a name that is not UTF-8)
and records, per case: a traceback (an exception other than SystemExit), an unclear message (not one
'ganclf: error: ' line saying the expected words; argparse's usage errors end in one such line), data lost (any byte
of the world changed, or {new} created when nothing may be written).
"""
import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganclf import api, study
from ganclf.cli import main
from ganclf.runs import lock

STUDY = ["--labels", "100", "--n-seeds", "1", "--methods", "pca-knn", "--quiet"]
TINY_GAN = ["--labels", "200", "--epochs", "1", "--batch-size", "50", "--set", "min_steps_per_epoch=0", "--quiet"]


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple
    code: int  # 1: ganclf's one-line error, 2: argparse's usage error
    says: str  # words the message must hold (the option or file at fault)
    writes: bool = False  # may create {new} (a run that stops itself), never finish it
    patch: str = ""  # a hostile environment: "disk-full", "tiny-ssl"


def C(name, argv, code, says, **kw) -> Case:
    return Case(name, tuple(argv.split()) if isinstance(argv, str) else tuple(argv), code, says, **kw)


CASES = [
    # outputs never overwrite a run's files, nor any file unasked
    C("sample npz over the checkpoint", "sample --run {gan} --samples 4 --out {new}.png --npz {gan}/checkpoint.safetensors",
      1, "--npz"),
    C("sample npz over results.json", "sample --run {gan} --samples 4 --out {new}.png --npz {gan}/results.json", 1, "--npz"),
    C("sample npz inside a run", "sample --run {gan} --samples 4 --out {new}.png --npz {gan}/extra.npz", 1,
      "inside the run directory"),
    C("sample grid over samples.png", "sample --run {gan} --samples 4 --out {gan}/samples/epoch0001.png", 1,
      "inside the run directory"),
    C("sample grid inside a cnn run", "sample --run {gan} --samples 4 --out {cnn}/grid.png", 1, "inside the run directory"),
    C("sample grid inside a study", "sample --run {gan} --samples 4 --out {study}/grid.png", 1, "inside the run directory"),
    C("sample grid over an existing file", "sample --run {gan} --samples 4 --out {png}", 1, "pass --force"),
    C("sample npz over an existing file", "sample --run {gan} --samples 4 --out {new}.png --npz {npz}", 1, "pass --force"),
    C("sample grid as .txt", "sample --run {gan} --samples 4 --out {new}.txt", 1, "--out"),
    C("sample grid onto a folder", "sample --run {gan} --samples 4 --out {folder_png}", 1, "--out"),
    C("sample 0 images", "sample --run {gan} --samples 0 --out {new}.png", 1, "--samples 0"),
    C("sample -5 images", "sample --run {gan} --samples -5 --out {new}.png", 1, "--samples -5"),
    C("sample 10^9 images", "sample --run {gan} --samples 1000000000 --out {new}.png", 1, "1,000,000"),
    C("sample label -1", "sample --run {gan} --samples 4 --label -1 --out {new}.png", 1, "--label"),
    C("sample label 10", "sample --run {gan} --samples 4 --label 10 --out {new}.png", 1, "label must be in 0..9"),
    C("sample seed -1", "sample --run {gan} --samples 4 --seed -1 --out {new}.png", 1, "--seed"),
    C("sample seed 2^40", "sample --run {gan} --samples 4 --seed 1099511627776 --out {new}.png", 1, "--seed"),
    C("sample seed abc", "sample --run {gan} --seed abc --out {new}.png", 2, "--seed"),
    C("sample a half-trained GAN", "sample --run {half} --samples 4 --out {new}.png", 1, "interrupted GAN run"),
    C("sample a cnn run", "sample --run {cnn} --samples 4 --out {new}.png", 1, "holds no GAN checkpoint"),
    C("sample a missing run", "sample --run {scratch}/missing --samples 4 --out {new}.png", 1, "missing"),
    C("sample on tpu", "sample --run {gan} --samples 4 --out {new}.png --device tpu", 1, "--device"),
    C("sample on cuda without one", "sample --run {gan} --samples 4 --out {new}.png --device cuda", 1, "--device cuda"),
    C("sample on cuda:7", "sample --run {gan} --samples 4 --out {new}.png --device cuda:7", 1, "--device cuda:7"),
    C("sample on a full disk", "sample --run {gan} --samples 4 --out {new}.png", 1, "{new}.png: No space left",
      patch="disk-full"),
    # evaluate-gan: only its own results.json, beside the stored scores
    C("evaluate 1 sample", "evaluate-gan --run {gan} --samples 1", 1, "--samples 1"),
    C("evaluate scores already stored", "evaluate-gan --run {gan} --samples 100", 1, "pass --force"),
    C("evaluate a half-trained GAN", "evaluate-gan --run {half} --samples 100", 1, "interrupted GAN run"),
    C("evaluate a cnn run", "evaluate-gan --run {cnn} --samples 100", 1, "holds no GAN checkpoint"),
    C("evaluate on tpu", "evaluate-gan --run {gan} --samples 100 --device tpu", 1, "--device"),
    C("evaluate on cuda without one", "evaluate-gan --run {gan} --samples 100 --device cuda", 1, "--device cuda"),
    C("evaluate seed -3", "evaluate-gan --run {gan} --seed -3", 1, "--seed"),
    # predict
    C("predict top-k 0", "predict --run {cnn} --top-k 0 {digit}", 1, "--top-k 0"),
    C("predict top-k -1", "predict --run {cnn} --top-k -1 {digit}", 1, "--top-k -1"),
    C("predict with a GAN run", "predict --run {gan} {digit}", 1, "holds no classifier"),
    C("predict a missing image", "predict --run {cnn} {scratch}/nope.png", 1, "nope.png"),
    # one writer per run directory and per study
    C("resume a run another process writes", "train-gan --resume {locked_half} --quiet", 1, "(PID"),
    C("a second identical study", ["study", "--out", "{locked_study}", *STUDY], 1, "(PID"),
    C("a new run in a locked folder", "baseline --labels 100 --out {locked_empty} --quiet", 1, "(PID"),
    # --resume means resume
    C("resume with other labels", "train-gan --resume {half} --labels 5000", 1, "--labels 5000"),
    C("resume with another seed", "train-gan --resume {half} --seed 3", 1, "--seed 3"),
    C("resume with another lr_d", "train-gan --resume {half} --set lr_d=0.1", 1, "lr_d"),
    C("resume with fewer epochs", "train-gan --resume {half} --epochs 1", 1, "--epochs 1"),
    C("resume with another batch size", "train-gan --resume {half} --batch-size 10", 1, "batch_size"),
    C("resume with another model", "train-gan --resume {half} --model dcgan", 1, "--preset"),
    C("resume with another dataset", "train-gan --resume {half} --dataset fashion-mnist", 1, "--dataset"),
    C("resume with another validation", "train-gan --resume {half} --validation 0", 1, "--validation 0"),
    C("resume a GAN as cnn", "run cnn --resume {half}", 1, "not cnn"),
    C("resume a GAN as ssl-gan", "ssl-gan --resume {half}", 1, "not ssl-gan"),
    C("resume a GAN as pca-knn", "baseline --method pca-knn --resume {half}", 1, "not pca-knn"),
    C("resume a finished run", "train-gan --resume {gan}", 1, "already holds a finished run"),
    C("resume a missing run", "baseline --resume {scratch}/missing", 1, "missing"),
    C("resume without a directory", "baseline --resume", 1, "--resume"),
    # a GAN used as input must be finished
    C("transfer from a half-trained GAN", "transfer --run {half} --labels 100 --out {new} --quiet", 1,
      "interrupted GAN run"),
    C("augment from a half-trained GAN", "augment --run {half} --labels 100 --out {new} --quiet", 1,
      "interrupted GAN run"),
    C("transfer from a cnn run", "transfer --run {cnn} --labels 100 --out {new} --quiet", 1, "holds no GAN"),
    C("augment from a missing GAN", "augment --run {scratch}/missing --labels 100 --out {new} --quiet", 1, "missing"),
    # every value checked before the output path is created
    C("train on cuda without one", "baseline --labels 100 --device cuda --out {new}", 1, "--device cuda"),
    C("train on tpu", "baseline --labels 100 --device tpu --out {new}", 1, "--device"),
    C("train on a bad GANCLF_DEVICE", "baseline --labels 100 --out {new}", 1, "$GANCLF_DEVICE", patch="env-device"),
    C("train seed -1", "run cnn --labels 100 --seed -1 --out {new}", 1, "--seed -1"),
    C("train 0 epochs", "baseline --labels 100 --epochs 0 --out {new}", 1, "--epochs 0"),
    C("train-gan batch size 0", "train-gan --batch-size 0 --out {new}", 1, "--batch-size 0"),
    C("ssl-gan shift 9", "ssl-gan --shift 9 --out {new}", 1, "--shift 9"),
    C("augment real fraction 1.5", "augment --run {gan} --real-fraction 1.5 --out {new}", 1, "--real-fraction"),
    C("augment 0 synthetic", "augment --run {gan} --samples 0 --out {new}", 1, "--samples 0"),
    C("transfer unfreeze after -1", "transfer --run {gan} --unfreeze-after -1 --out {new}", 1, "--unfreeze-after"),
    C("validation -1", "baseline --labels 100 --validation -1 --out {new}", 1, "--validation -1"),
    C("labels abc", "baseline --labels abc --out {new}", 1, "abc"),
    C("labels 0", "baseline --labels 0 --out {new}", 1, "0"),
    C("an unknown method", "run nosuch --out {new}", 1, "nosuch"),
    C("an unknown setting", "baseline --labels 100 --set nonsense=1 --out {new}", 1, "nonsense"),
    C("a --set without a value", "baseline --labels 100 --set epochs --out {new}", 1, "--set"),
    C("an unknown dataset", "baseline --labels 100 --dataset nosuch --out {new}", 1, "nosuch"),
    C("an unknown preset", "transfer --run {gan} --preset nosuch --out {new}", 1, "nosuch"),
    C("ssl-gan arch foo", "ssl-gan --arch foo --out {new}", 2, "--arch"),
    C("out is a file", "baseline --labels 100 --epochs 1 --out {png}", 1, "is a file"),
    C("out holds another run", "baseline --labels 100 --epochs 1 --out {gan}", 1, "holds another run"),
    C("out holds a study", "baseline --labels 100 --epochs 1 --out {study}", 1, "holds no ganclf run"),
    C("out inside a GAN run", "baseline --labels 100 --epochs 1 --out {gan}/cnn", 1, "inside the run directory"),
    C("out inside a study", "run cnn --labels 100 --set epochs=1 --out {study}/cells/extra", 1, "inside the run"),
    C("a study inside a run", ["study", "--out", "{cnn}/study", *STUDY], 1, "inside the run directory"),
    C("a missing data dir", "baseline --labels 100 --data-dir {scratch}/nowhere --no-download --out {new}", 1,
      "nowhere"),
    C("a folder dataset with a name that is not UTF-8", "baseline --labels 4 --dataset {badname} --out {new}", 1,
      "not UTF-8"),
    # a study: validated before OUT is taken, and its cells' files checked when read back
    C("study with no methods", ["study", "--methods", "", "--out", "{new}", "--quiet"], 1, "--methods"),
    C("study with an unknown method", "study --methods nosuch --out {new} --quiet", 1, "nosuch"),
    C("study validation x", "study --validation x --out {new} --quiet", 1, "--validation 'x'"),
    C("study validation -1", "study --validation -1 --out {new} --quiet", 1, "--validation"),
    C("study 0 seeds", "study --n-seeds 0 --out {new} --quiet", 1, "--n-seeds 0"),
    C("study -1 quality samples", "study --samples -1 --out {new} --quiet", 1, "--samples -1"),
    C("study 0 cpus a cell", "study --cpus-per-cell 0 --out {new} --quiet", 1, "--cpus-per-cell"),
    C("study gpus without ray", "study --gpus-per-cell 1 --out {new} --quiet", 1, "gpus_per_cell"),
    C("study an unknown preset", "study --preset nosuch --out {new} --quiet", 1, "nosuch"),
    C("study over a single run", ["study", "--out", "{cnn}", *STUDY], 1, "holds a single ganclf run"),
    C("study over a file", ["study", "--out", "{png}", *STUDY], 1, "is a file"),
    C("study cell without test_accuracy", ["study", "--out", "{study_missing}", *STUDY], 1,
      "results.json: no test_accuracy"),
    C("study cell with a string accuracy", ["study", "--out", "{study_string}", *STUDY], 1,
      "results.json: test_accuracy"),
    C("study cell with a NaN accuracy", ["study", "--out", "{study_nan}", *STUDY], 1, "results.json: test_accuracy"),
    C("study cell with accuracy 1.5", ["study", "--out", "{study_big}", *STUDY], 1, "results.json: test_accuracy"),
    C("study cell with a negative time", ["study", "--out", "{study_time}", *STUDY], 1, "results.json: wall_time_s"),
    # divergence: a loss that explodes stops the run, which is never marked finished
    C("cnn at lr 1e9", "run cnn --labels 100 --set epochs=1 --set lr=1e9 --out {new} --quiet", 1,
      "lower the learning rate", writes=True),
    C("ssl-gan at lr 1e9", "ssl-gan --preset tiny --labels 100 --set lr=1e9 --out {new} --quiet", 1, "diverged",
      writes=True, patch="tiny-ssl"),
]


def world(root: Path, data_dir=None) -> dict:
    """The runs and files the cases point at, made once: {name: path}; every path but scratch must never change."""
    w = {k: root / k for k in ("cnn", "gan", "half", "study", "scratch")}
    w["scratch"].mkdir(parents=True)
    api.baseline("cnn", labels="100", epochs=1, min_steps_per_epoch=0, out=w["cnn"], quiet=True,
                 data_dir=data_dir)  # one step
    api.train_gan("cdcgan", out=w["gan"], seed=0, labels="200", epochs=2, batch_size=50, min_steps_per_epoch=0,
                  quiet=True, data_dir=data_dir)
    results = json.loads((w["gan"] / "results.json").read_text())  # as if scored on 100 samples
    (w["gan"] / "results.json").write_text(json.dumps({**results, "quality": {"n_samples": 100, "fid": 1.0}}))
    shutil.copytree(w["gan"], w["half"])
    (w["half"] / "results.json").unlink()
    shutil.copytree(w["half"], root / "locked_half")
    study("quick", w["study"], labels="100", seeds=1, methods="pca-knn", quiet=True, data_dir=data_dir)
    broken = {"missing": lambda r: {k: v for k, v in r.items() if k != "test_accuracy"},
              "string": lambda r: {**r, "test_accuracy": "0.9"}, "nan": lambda r: {**r, "test_accuracy": np.nan},
              "big": lambda r: {**r, "test_accuracy": 1.5}, "time": lambda r: {**r, "wall_time_s": -1}}
    for name, change in broken.items():
        copy = shutil.copytree(w["study"], root / f"study_{name}")
        cell = next(copy.glob("cells/**/results.json"))
        cell.write_text(json.dumps(change(json.loads(cell.read_text()))))
        w[f"study_{name}"] = copy
    shutil.copytree(w["study"], root / "locked_study")
    (root / "locked_empty").mkdir()
    w.update({"locked_half": root / "locked_half", "locked_study": root / "locked_study",
              "locked_empty": root / "locked_empty", "png": root / "existing.png", "npz": root / "existing.npz",
              "folder_png": root / "folder.png", "digit": root / "digit.png", "badname": root / "badname"})
    w["png"].write_bytes(b"keep me")
    w["npz"].write_bytes(b"keep me too")
    w["folder_png"].mkdir()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(w["digit"])
    for cls in ("a", "b"):
        (w["badname"] / "train" / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(w["badname"] / "train" / cls / f"{i}.png")
    shutil.copy(w["digit"], os.fsdecode(os.fsencode(w["badname"] / "train" / "a") + b"/\xff.png"))
    w["locks"] = [lock(w[k]) for k in ("locked_half", "locked_study", "locked_empty")]  # held by "another writer"
    return w


def snapshot(root: Path, skip: Path) -> dict:
    """A hash of every file under root (folders as None), skip's tree left out."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        out[os.fsencode(path.relative_to(root))] = hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() \
            else None
    return out


def hostile(patch: str, monkeypatch) -> None:
    """The case's hostile environment, undone when monkeypatch is."""
    if patch == "disk-full":
        def full(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(os, "fsync", full)
    if patch == "env-device":
        monkeypatch.setenv("GANCLF_DEVICE", "tpu")
    if patch == "tiny-ssl":
        import ganclf.methods.ssl_gan as S
        import ganclf.names as N
        monkeypatch.setitem(S.PRESETS, "tiny", S.SSLConfig(epochs=2, batch_size=100, sample_every=1, bf16=False))
        monkeypatch.setitem(N.METHOD_PRESETS, "ssl-gan", (*N.METHOD_PRESETS["ssl-gan"], "tiny"))
        monkeypatch.setattr(S, "_steps_per_epoch", lambda n_unl, cfg: 5)


def run_case(case: Case, w: dict, index: int) -> dict:
    """Run one case; returns {name, code, message, traceback, unclear, lost}."""
    root, new = w["gan"].parent, w["scratch"] / f"case{index}"
    values = {k: str(v) for k, v in w.items() if isinstance(v, Path)} | {"new": str(new)}
    argv = [a.format(**values) for a in case.argv]
    says = case.says.format(**values)
    before = snapshot(root, w["scratch"])
    code, message, traceback = None, "", None
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch:
        hostile(case.patch, monkeypatch)
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                main(argv)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            printed = stderr.getvalue().strip().splitlines() or [""]
            message = exit_.code if isinstance(exit_.code, str) else printed[-1]
        except BaseException as err:  # noqa: BLE001 (what the hostile table counts)
            traceback = f"{type(err).__name__}: {err}"
    lines = message.strip().splitlines()
    unclear = traceback is None and not (code == case.code and len(lines) == 1 and says in lines[0] and (
        lines[0].startswith("ganclf: error: ") or case.code == 2 and "error:" in lines[0]))
    lost = snapshot(root, w["scratch"]) != before or (
        (new.exists() or Path(f"{new}.png").exists()) if not case.writes else (new / "results.json").exists())
    return {"name": case.name, "argv": " ".join(argv).replace(str(root), "WORLD"), "code": code,
            "message": message.replace(str(root), "WORLD"), "traceback": traceback, "unclear": unclear, "lost": lost}
