"""Runs you can trust: every case of the audit ends in one line or the right behaviour, and nothing is lost.

Each test that refuses something also checks that the run directory (or the outside file) is byte for byte
what it was. The size cap on downloads is tested in test_download.py (a response over twice the published size,
with and without a declared length).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save

from conftest import MNIST_DIR
from ganclf import api, study
from ganclf.cli import main
from ganclf.config import ConfigError
from ganclf.files import write_atomic
from ganclf.runs import RunError, load_checkpoint, save_checkpoint
from test_ssl_gan import _tiny

TINY_GAN = dict(labels="200", epochs=2, batch_size=50, min_steps_per_epoch=0, quiet=True)  # as test_gan's TINY
UMASK = os.umask(0o022)
os.umask(UMASK)


def snapshot(root) -> dict:
    """Every file under root with its bytes (folders as None)."""
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def cli_error(*argv) -> str:
    """The command's one-line error (the CLI in this process, so monkeypatches hold)."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    message = str(exit_.value.code)
    assert message.startswith("ganclf: error: ") and "\n" not in message, message
    return message


def interrupted(run: Path, where: Path) -> Path:
    """A copy of a finished run as a run stopped after its last checkpoint (no results.json)."""
    shutil.copytree(run, where)
    (where / "results.json").unlink()
    return where


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cnn"
    api.baseline("cnn", labels="100", epochs=1, out=out, quiet=True, data_dir=MNIST_DIR)
    return out


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cdcgan"
    api.train_gan("cdcgan", out=out, seed=0, data_dir=MNIST_DIR, **TINY_GAN)
    return out


@pytest.fixture(scope="module")
def ssl_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "ssl"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _tiny(monkeypatch)
        api.ssl_gan(labels="100", seed=0, out=out, preset="tiny", quiet=True, data_dir=MNIST_DIR)
    return out


# --- data loss -------------------------------------------------------------------------------------------------

def test_study_refuses_a_single_run_and_foreign_content_untouched(cnn_run, tmp_path):
    args = dict(labels="100", seeds=1, methods="pca-knn", quiet=True, executor="sequential")  # no workers to start
    single = tmp_path / "single"
    shutil.copytree(cnn_run, single)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    other = tmp_path / "other"
    other.mkdir()
    (other / "study.json").write_text(json.dumps({"preset": "quick", "seeds": 7}))
    for out, message in ((single, "holds a single ganclf run"), (foreign, "holds no ganclf study"),
                         (other, "holds another study")):
        before = snapshot(out)
        with pytest.raises(RunError, match=message):
            study("quick", out, **args)
        assert snapshot(out) == before, out
    result = subprocess.run([sys.executable, "-m", "ganclf", "study", "--out", str(single), "--labels", "100",
                             "--seeds", "1", "--methods", "pca-knn", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("ganclf: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert snapshot(single) == snapshot(cnn_run)


def test_study_resumes_its_own_study_and_writes_ordinary_files(tmp_path):
    args = dict(labels="100", seeds=1, methods="pca-knn", quiet=True, executor="sequential")  # no workers to start
    first = study("quick", tmp_path / "s", **args)
    again = study("quick", tmp_path / "s", **args)
    assert [c["cached"] for c in again["cells"]] == [True] and again["summary"] == first["summary"]
    files = [p for p in (tmp_path / "s").rglob("*") if p.is_file()]
    assert {"study.json", "results.csv", "results.json", "report.html"} <= {p.name for p in files}
    assert not [p for p in files if p.name.endswith(".tmp")]
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~UMASK for p in files), files


def test_a_study_from_before_a_new_setting_still_resumes(tmp_path):
    args = dict(labels="100", seeds=1, methods="pca-knn", quiet=True, executor="sequential")  # no workers to start
    study("quick", tmp_path / "s", **args)
    stored = json.loads((tmp_path / "s" / "study.json").read_text())
    del stored["quality_samples"]  # as ganclf 0.2.0 wrote it
    (tmp_path / "s" / "study.json").write_text(json.dumps(stored))
    assert [c["cached"] for c in study("quick", tmp_path / "s", **args)["cells"]] == [True]
    with pytest.raises(RunError, match="holds another study"):
        study("quick", tmp_path / "s", **{**args, "seeds": 2})


def test_interrupted_gan_is_not_restarted_unasked(gan_run, tmp_path):
    run = interrupted(gan_run, tmp_path / "g")
    before = snapshot(run)
    with pytest.raises(RunError, match="interrupted run"):
        api.train_gan("cdcgan", out=run, seed=0, **TINY_GAN)
    message = cli_error("train-gan", "--model", "cdcgan", "--labels", "200", "--epochs", "2", "--batch-size", "50",
                        "--set", "min_steps_per_epoch=0", "--out", run, "--quiet")
    assert "interrupted run" in message and "--resume" in message
    assert snapshot(run) == before


def test_other_labels_in_an_interrupted_ssl_gan_run_are_refused_untouched(ssl_run, tmp_path, monkeypatch):
    _tiny(monkeypatch)
    run = interrupted(ssl_run, tmp_path / "s")
    before = snapshot(run)
    for resume in (False, True):
        with pytest.raises(RunError, match="labels is 100, not 1000"):
            api.ssl_gan(labels="1000", seed=0, out=run, preset="tiny", resume=resume, quiet=True)
    cli_error("ssl-gan", "--preset", "tiny", "--labels", "1000", "--out", run, "--quiet")
    assert snapshot(run) == before  # config.json, split.json, checkpoint, metrics: as they were
    results = api.run(resume=run, quiet=True)
    assert results["labels"] == "100" and results["n_labelled"] == 100
    assert results["test_accuracy"] == json.loads((ssl_run / "results.json").read_text())["test_accuracy"]


def test_run_killed_before_its_first_checkpoint_resumes_from_scratch(gan_run, tmp_path, monkeypatch):
    from ganclf.methods import gan
    step = gan.GANTrainer.step

    def killed(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(gan.GANTrainer, "step", killed)
    with pytest.raises(KeyboardInterrupt):
        api.train_gan("cdcgan", out=tmp_path / "g", seed=0, **TINY_GAN)
    assert not (tmp_path / "g" / "checkpoint.safetensors").exists() and (tmp_path / "g" / "config.json").exists()
    monkeypatch.setattr(gan.GANTrainer, "step", step)
    api.train_gan("cdcgan", out=tmp_path / "g", seed=0, resume=True, **TINY_GAN)  # --resume with --out
    resumed, _ = load_checkpoint(tmp_path / "g" / "checkpoint.safetensors")
    straight, _ = load_checkpoint(gan_run / "checkpoint.safetensors")
    for name, weights in straight["modules"].items():
        assert all(torch.equal(v, resumed["modules"][name][k]) for k, v in weights.items()), name
    assert [json.loads(x)["epoch"] for x in (tmp_path / "g" / "metrics.jsonl").read_text().splitlines()] == [1, 2]


@pytest.mark.parametrize("argv, says, never", [
    (["train-gan", "--out", "OUT"], "--resume OUT (from its last checkpoint, if it wrote one)", "kept"),
    (["baseline"], "--resume RUN_DIR", "kept"),
    (["study", "--out", "OUT"], "run the same command", "--resume"),
    (["sample", "--run", "OUT"], "ganclf: interrupted", "resume"),
])
def test_ctrl_c_says_only_what_is_true(argv, says, never, tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    for name in ("run", "sample"):
        monkeypatch.setattr(api, name, interrupt)
    monkeypatch.setattr("ganclf.studies.study", interrupt)
    out = str(tmp_path / "r")
    with pytest.raises(SystemExit) as exit_:
        main([a.replace("OUT", out) for a in argv])
    assert says.replace("OUT", out) in str(exit_.value.code) and never not in str(exit_.value.code)


def test_resuming_a_finished_run_is_refused_untouched(gan_run, cnn_run):
    before = {run: snapshot(run) for run in (gan_run, cnn_run)}
    for run in (gan_run, cnn_run):
        with pytest.raises(RunError, match="already holds a finished run"):
            api.run(resume=run, quiet=True)
        cli_error("train-gan" if run == gan_run else "baseline", "--resume", run, "--quiet")
    with pytest.raises(RunError, match="already holds a finished run"):
        api.train_gan("cdcgan", out=gan_run, seed=0, resume=True, **TINY_GAN)
    assert {run: snapshot(run) for run in (gan_run, cnn_run)} == before


def test_wall_time_is_summed_over_resumes(gan_run, tmp_path):
    run = interrupted(gan_run, tmp_path / "g")
    state, meta = load_checkpoint(run / "checkpoint.safetensors")
    save_checkpoint(run / "checkpoint.safetensors", state, {**meta, "wall_time_s": 1000.0})  # earlier attempts
    assert api.run(resume=run, quiet=True)["wall_time_s"] >= 1000.0


@pytest.mark.parametrize("link", ["metrics.jsonl", "samples"])
def test_links_out_of_a_run_are_never_followed(gan_run, tmp_path, link):
    run = interrupted(gan_run, tmp_path / "g")
    outside = tmp_path / "outside"
    shutil.move(run / link, outside)
    (run / link).symlink_to(outside)
    kept, before = snapshot(tmp_path), snapshot(run)
    with pytest.raises(RunError, match="symbolic link"):
        api.run(resume=run, quiet=True)
    assert "symbolic link" in cli_error("train-gan", "--resume", run, "--quiet")
    assert snapshot(tmp_path) == kept and snapshot(run) == before


# --- run contents are validated ----------------------------------------------------------------------------------

def _stored_config_cases():
    """name -> (what becomes of the stored config.json, what the error says)"""
    return {
        "missing keys": (lambda c: {"method": "cnn"}, "missing 'config'"),
        "a list for the configuration": (lambda c: {**c, "config": [1, 2]}, "expected a mapping of settings"),
        "a list for the file": (lambda c: [c], "expected a JSON object"),
        "a list for a nested dict": (lambda c: {**c, "config": {**c["config"], "train": []}}, "config.train: expected"),
        "100k-deep nesting": (lambda c: "[" * 100_000 + "]" * 100_000, "not readable JSON (RecursionError)"),
        "an unknown field": (lambda c: {**c, "config": {**c["config"], "colour": "red"}}, "unknown colour"),
        "a CNN width of 200,000": (lambda c: {**c, "config": {**c["config"], "width": 200_000}},
                                   "width must be between 1 and 1024"),
        "an unknown method": (lambda c: {**c, "method": "gpt"}, "unknown method 'gpt'"),
        "a list for the method": (lambda c: {**c, "method": ["cnn"]}, "not a ganclf run configuration"),
        "a text for the seed": (lambda c: {**c, "seed": "zero"}, "not a ganclf run configuration"),
    }


@pytest.mark.parametrize("case", list(_stored_config_cases()))
def test_bad_config_json_is_one_line_and_untouched(cnn_run, tmp_path, case):
    run = interrupted(cnn_run, tmp_path / "r")
    change, says = _stored_config_cases()[case]
    bad = change(json.loads((run / "config.json").read_text()))
    (run / "config.json").write_text(bad if isinstance(bad, str) else json.dumps(bad))
    before = snapshot(run)
    with pytest.raises((RunError, ConfigError)):
        api.run(resume=run, quiet=True)
    message = cli_error("baseline", "--resume", run, "--quiet")
    assert f"{run / 'config.json'}: " in message and says in message, message
    assert snapshot(run) == before


def _raw_checkpoint(path, skeleton: str, metadata: str) -> None:
    path.write_bytes(save({"w": torch.zeros(2)}, metadata={"skeleton": skeleton, "metadata": metadata}))


def _gan_cases():
    """name -> (how the checkpoint's state and metadata change, or "raw": written by hand; what the error says)"""
    def wrong_shape(s, m):
        d = s["modules"]["D"]
        return {**s, "modules": {**s["modules"], "D": {**d, next(iter(d)): torch.zeros(3)}}}, m
    return {
        "10^8 classes": (lambda s, m: (s, {**m, "num_classes": 10 ** 8}), "num_classes 100000000 out of range"),
        "an unknown gan_config field": (lambda s, m: (s, {**m, "gan_config": {**m["gan_config"], "depth": 3}}),
                                        "unknown depth"),
        "a list for the networks": (lambda s, m: ({**s, "modules": []}, m), "not a usable GAN checkpoint"),
        "a weight of the wrong shape": (wrong_shape, "size mismatch"),
        "no dataset": (lambda s, m: (s, {k: v for k, v in m.items() if k != "dataset"}), "missing 'dataset'"),
        "100k-deep metadata": ("raw", "maximum recursion depth"),
        "a list for the metadata": ("raw", "must be JSON objects"),
        "a missing tensor": ("raw", "missing 'nope'"),
    }


@pytest.mark.parametrize("case", list(_gan_cases()))
def test_bad_gan_checkpoint_is_one_line_naming_it(gan_run, tmp_path, case):
    run = tmp_path / "g"
    shutil.copytree(gan_run, run)
    path = run / "checkpoint.safetensors"
    state, meta = load_checkpoint(path)
    change, says = _gan_cases()[case]
    if change == "raw":
        skeleton, metadata = {"100k-deep metadata": ("{}", "[" * 100_000 + "]" * 100_000),
                              "a list for the metadata": ("{}", "[]"),
                              "a missing tensor": (json.dumps({"modules": "__tensor__:nope"}), json.dumps(meta))}[case]
        _raw_checkpoint(path, skeleton, metadata)
    else:
        save_checkpoint(path, *change(state, meta))
    before = snapshot(run)
    message = cli_error("sample", "--run", run, "--out", tmp_path / "s.png", "--npz", tmp_path / "s.npz")
    assert f"{path}: " in message and says in message, message
    assert snapshot(run) == before and not (tmp_path / "s.png").exists() and not (tmp_path / "s.npz").exists()
    if change == "raw" or "networks" in case or "weight" in case:  # what resuming reads is refused there too
        with pytest.raises(RunError):
            api.run(resume=interrupted(run, tmp_path / "i"), quiet=True)


def test_inconsistent_gan_history_is_refused_for_resuming(gan_run, tmp_path):
    run = interrupted(gan_run, tmp_path / "g")
    state, meta = load_checkpoint(run / "checkpoint.safetensors")
    save_checkpoint(run / "checkpoint.safetensors", state, {**meta, "history": [5]})
    before = snapshot(run)
    assert "does not fit" in cli_error("train-gan", "--resume", run, "--quiet")
    assert snapshot(run) == before


def _classifier_cases():
    """name -> (how model.safetensors' state and metadata change, or "raw": written by hand; what the error says)"""
    transfer = {"classifier": "transfer", "gan": {"model": "cdcgan", "networks": "default", "num_classes": 10 ** 8},
                "transfer": {"head": "mlp", "head_activation": "relu", "dropout": 0.5}}
    return {
        "a CNN width of 200,000": (lambda s, m: (s, {**m, "classifier_kwargs": {"width": 200_000}}), "out of range"),
        "10^8 classes": (lambda s, m: (s, {**m, "num_classes": 10 ** 8}), "num_classes 100000000 out of range"),
        "a transferred cdcgan of 10^8 classes": (lambda s, m: (s, {**m, **transfer}),
                                                 "num_classes 100000000 out of range"),
        "classes that do not fit": (lambda s, m: (s, {**m, "classes": ["0", "1"]}), "do not fit 10 classes"),
        "a number for the classes": (lambda s, m: (s, {**m, "classes": 10}), "do not fit 10 classes"),
        "a list for the dataset": (lambda s, m: (s, {**m, "dataset": ["mnist"]}), "do not fit 10 classes"),
        "a weight of the wrong shape": (lambda s, m: ({"model": {**s["model"], next(iter(s["model"])): torch.zeros(3)}},
                                                      m), "size mismatch"),
        "no model weights": (lambda s, m: ({}, m), "missing 'model'"),
        "100k-deep metadata": ("raw", "maximum recursion depth"),
    }


@pytest.mark.parametrize("case", list(_classifier_cases()))
def test_bad_classifier_weights_are_one_line_naming_them(cnn_run, tmp_path, case):
    run = tmp_path / "c"
    shutil.copytree(cnn_run, run)
    path = run / "model.safetensors"
    change, says = _classifier_cases()[case]
    if change == "raw":
        _raw_checkpoint(path, "{}", "[" * 100_000 + "]" * 100_000)
    else:
        save_checkpoint(path, *change(*load_checkpoint(path)))
    digit = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(digit)
    before = snapshot(run)
    message = cli_error("predict", "--run", run, digit)
    assert f"{path}: " in message and says in message, message
    assert snapshot(run) == before


def test_sample_count_and_format_are_checked_before_anything_is_written(gan_run, tmp_path):
    assert "x.xyz" in cli_error("sample", "--run", gan_run, "--out", tmp_path / "x.xyz")
    assert "1,000,000" in cli_error("sample", "--run", gan_run, "--n", 10 ** 9, "--out", tmp_path / "s.png")
    assert "label must be" in cli_error("sample", "--run", gan_run, "--label", 10, "--out", tmp_path / "s.png")
    assert list(tmp_path.iterdir()) == []


# --- one line instead of a traceback -----------------------------------------------------------------------------

def test_out_that_is_a_file_or_unwritable_is_one_line(tmp_path):
    keep = tmp_path / "keep.txt"
    keep.write_text("precious")
    for out in (keep, keep / "sub", "/sys/ganclf-trust-test"):
        assert str(out) in cli_error("baseline", "--labels", "100", "--epochs", "1", "--out", out, "--quiet")
    assert keep.read_text() == "precious" and not Path("/sys/ganclf-trust-test").exists()


def test_zero_epochs_is_refused_not_replaced_by_the_preset(tmp_path):
    assert "epochs" in cli_error("baseline", "--labels", "100", "--epochs", "0", "--out", tmp_path / "r", "--quiet")
    assert not (tmp_path / "r").exists()


def _png_header(path, width: int, height: int) -> None:
    """A PNG that declares width x height pixels but holds almost none: what a decompression bomb looks like
    before it is decoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
                     + chunk(b"IEND", b""))


def test_predict_names_each_bad_image_and_classifies_the_others(cnn_run, mnist, tmp_path, capsys):
    from ganclf.data.decode import MAX_PIXELS
    assert Image.MAX_IMAGE_PIXELS == 2 * MAX_PIXELS  # Pillow's own cap, set explicitly (its default: 89 Mpx)
    good = tmp_path / "good.png"
    Image.fromarray(mnist.test_images[0, 0].numpy()).save(good)
    bad = {"bomb.png": "decompression bomb", "big.png": "decompression bomb", "nan.tif": "NaN",
           "inf.tif": "infinite", "notes.png": "not a readable image", "missing.png": "not found"}
    _png_header(tmp_path / "bomb.png", 20_000, 20_000)
    _png_header(tmp_path / "big.png", 10_000, 10_000)
    for name, value in (("nan.tif", np.nan), ("inf.tif", np.inf)):
        pixels = np.zeros((28, 28), np.float32)
        pixels[4:24, 12:16], pixels[0, 0] = 255, value
        Image.fromarray(pixels, mode="F").save(tmp_path / name)
    (tmp_path / "notes.png").write_text("not an image")
    images = [good, *(tmp_path / name for name in bad), good]
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--run", str(cnn_run), *map(str, images)])
    out, err = capsys.readouterr()
    assert exit_.value.code == 1
    assert [line.split(" (")[0] for line in out.splitlines()] == [f"{good}: {mnist.test_labels[0].item()}"] * 2
    errors = err.splitlines()
    assert len(errors) == len(bad) and "Traceback" not in err
    for line, (name, why) in zip(errors, bad.items()):
        assert line.startswith(f"ganclf: error: {tmp_path / name}: ") and why in line, line


@pytest.mark.slow
def test_predict_works_on_every_run_that_holds_a_classifier(cnn_run, gan_run, ssl_run, mnist, tmp_path):
    digits = []
    for i in range(3):
        digits.append(tmp_path / f"{i}.png")
        Image.fromarray(mnist.test_images[i, 0].numpy()).save(digits[-1])
    api.transfer(gan_run, labels="200", out=tmp_path / "t", epochs=1, compare=False, quiet=True)
    api.augment(gan_run, labels="200", out=tmp_path / "a", synthetic=100, epochs=1, quiet=True)
    runs = [cnn_run, ssl_run, tmp_path / "t", *(tmp_path / "a" / mix for mix in ("real", "real_gen", "gen"))]
    for run in runs:
        answers = api.predict(run, digits, top_k=3)
        assert [len(a["top"]) for a in answers] == [3, 3, 3] and all("error" not in a for a in answers), run
    message = cli_error("predict", "--run", tmp_path / "a", digits[0])
    assert "one classifier per mix" in message and str(tmp_path / "a" / "real_gen") in message


def test_evaluating_an_interrupted_gan_is_refused_untouched(gan_run, tmp_path):
    run = interrupted(gan_run, tmp_path / "g")
    before = snapshot(run)
    assert "interrupted" in cli_error("evaluate-gan", "--run", run, "--n", 100)
    assert snapshot(run) == before  # no results.json: it can still be resumed


# --- every file written atomically, with ordinary permissions -------------------------------------------------------

def test_every_file_of_a_run_has_ordinary_permissions(cnn_run, gan_run, tmp_path):
    api.sample(gan_run, n=10, out=tmp_path / "grid.png", npz=tmp_path / "s.npz")
    files = [p for root in (cnn_run, gan_run, tmp_path) for p in Path(root).rglob("*") if p.is_file()]
    assert {"curves.png", "confusion.png", "model.safetensors", "samples.png", "grid.png", "s.npz"} <= \
        {p.name for p in files}
    assert not [p for p in files if p.name.endswith(".tmp")]
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~UMASK for p in files), \
        [(p.name, oct(p.stat().st_mode)) for p in files]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["results.json"]
