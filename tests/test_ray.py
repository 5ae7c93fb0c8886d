"""The Ray executor: a local Ray instance and a two-node cluster on this machine run a tiny study (a shared GAN, a
transfer cell that needs it, a PCA+k-NN cell) and get the sequential executor's numbers; a killed worker, a cell
that fails, Ctrl-C and a rerun leave the study whole. The packing of run directories is tested without Ray."""
import contextlib
import io
import json
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import torch

from ganclf import study
from ganclf.studies import Cell
from ganclf.studies.ray_executor import move_paths, pack, run_unit, unpack

SHORT_GAN = {"epochs": 1, "min_steps_per_epoch": 8}
# quality_samples 0: scoring the GAN trains a feature network on each worker (test_study checks the scores)
TINY = dict(labels="100", seeds=1, methods="pca-knn,transfer", gan_images="200", quality_samples=0,
            settings={"transfer": {"epochs": 1, "compare": False}, "dcgan-cnn": SHORT_GAN})
MARK = "GANCLF_TEST_RAY"  # in the environment of this module's Ray workers, so only they are ever killed


@pytest.fixture(scope="module")
def data_dir():
    from conftest import MNIST_DIR
    return MNIST_DIR


@pytest.fixture(scope="module")
def sequential(tmp_path_factory, data_dir):
    """The tiny study run in this process with one thread, as each one-CPU Ray task trains."""
    threads = torch.get_num_threads()
    out = tmp_path_factory.mktemp("sequential")
    yield study("quick", out, data_dir=data_dir, quiet=True, cpus_per_cell=1, **TINY)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def ray():
    ray = pytest.importorskip("ray")
    os.environ[MARK] = str(os.getpid())
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()
    del os.environ[MARK]


@pytest.fixture(scope="module")
def on_ray(ray, tmp_path_factory, data_dir):
    """The tiny study run by the Ray executor on the local instance: (its directory, its results, what it printed)."""
    out = tmp_path_factory.mktemp("ray")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = study("quick", out, data_dir=data_dir, executor="ray", **TINY)
    return out, results, printed.getvalue()


def numbers(results) -> list[tuple]:
    return [(c["method"], c["labels"], c["seed"], c["val_accuracy"], c["test_accuracy"]) for c in results["cells"]]


@pytest.mark.slow
def test_local_ray_gets_the_sequential_numbers(on_ray, sequential, data_dir):
    out, results, printed = on_ray
    assert numbers(results) == numbers(sequential) and results["failed"] == []
    assert not any(c["cached"] for c in results["cells"])
    assert "2 of 2 cells to run (0 finished already), 1 shared GAN to train, 2 at once" in printed
    assert "[2/2] " in printed and "min left" in printed
    # what the workers wrote is the driver's run directory: a sequential rerun reads every cell back
    config = json.loads((out / "cells/mnist/transfer/seed0@100/config.json").read_text())
    assert config["config"]["gan"] == str(out / "gans/mnist/dcgan-cnn-seed0")
    again = study("quick", out, data_dir=data_dir, quiet=True, cpus_per_cell=1, **TINY)
    assert all(c["cached"] for c in again["cells"]) and numbers(again) == numbers(sequential)


@pytest.mark.slow
def test_rerun_sends_only_unfinished_units_and_resumes_an_interrupted_gan(on_ray, sequential, tmp_path, data_dir):
    shutil.copytree(on_ray[0], tmp_path, dirs_exist_ok=True)
    gan = tmp_path / "gans/mnist/dcgan-cnn-seed0"
    checkpoint = (gan / "checkpoint.json").read_text()
    (gan / "results.json").unlink()  # interrupted after its last checkpoint
    shutil.rmtree(tmp_path / "cells/mnist/transfer")  # (its config.json names the GAN in the study's first directory)
    again = study("quick", tmp_path, data_dir=data_dir, executor="ray", quiet=True, **TINY)
    assert [(c["method"], c["cached"]) for c in again["cells"]] == [("pca-knn", True), ("transfer", False)]
    assert (gan / "checkpoint.json").read_text() == checkpoint  # shipped and resumed, not trained again
    assert numbers(again) == numbers(sequential)


@pytest.mark.slow
def test_a_failing_cell_is_reported_and_the_others_go_on(ray, tmp_path, data_dir, capsys):
    results = study("quick", tmp_path, data_dir=data_dir, executor="ray", labels="100", seeds=1,
                    methods="pca-knn,cnn", settings={"cnn": {"epochs": 0}})
    assert [c["method"] for c in results["cells"]] == ["pca-knn"]
    [failed] = results["failed"]
    assert failed["method"] == "cnn" and "ConfigError" in failed["error"] and "epochs" in failed["error"]
    assert json.loads((tmp_path / "results.json").read_text())["failed"] == [failed]
    assert "mnist/cnn/seed0@100: FAILED: ConfigError" in capsys.readouterr().out
    assert not (tmp_path / "cells/mnist/cnn").exists()


@pytest.mark.slow
def test_a_killed_worker_does_not_lose_the_study(ray, sequential, tmp_path, data_dir):
    killed = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_first_unit, args=(killed, stop), daemon=True)
    killer.start()
    try:  # one cell (the cheapest) is enough: Ray retries a crashed GAN task the same way
        results = study("quick", tmp_path, data_dir=data_dir, executor="ray", quiet=True,
                        **{**TINY, "methods": "pca-knn"})
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was running a unit to kill"
    assert results["failed"] == [] and numbers(results) == numbers(sequential)[:1]


def kill_first_unit(killed: list, stop: threading.Event) -> None:
    """SIGKILL the first worker of this module's Ray that runs a study unit (Ray titles it ray::run_unit)."""
    mark = f"{MARK}={os.getpid()}".encode()
    while not stop.is_set() and not killed:
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                title = (proc / "cmdline").read_bytes().split(b"\0")[0]
                if title == b"ray::run_unit" and mark in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)
                    killed.append(int(proc.name))
                    return
            except (OSError, ValueError):
                continue
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_keeps_what_finished_and_the_study_resumes(ray, tmp_path, data_dir, monkeypatch):
    settings = dict(labels="100,200", seeds=1, methods="pca-knn", data_dir=data_dir, executor="ray", quiet=True)
    wait, calls = ray.wait, []

    def interrupted_wait(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return wait(*args, **kwargs)

    monkeypatch.setattr(ray, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        study("quick", tmp_path, **settings)
    monkeypatch.setattr(ray, "wait", wait)
    finished = [p.parent.name for p in (tmp_path / "cells/mnist/pca-knn").glob("*/results.json")]
    assert len(finished) == 1
    again = study("quick", tmp_path, **settings)
    assert [c["cached"] for c in again["cells"]] == [f == finished[0] for f in ("seed0@100", "seed0@200")]


@pytest.mark.slow
def test_a_two_node_cluster_gets_the_sequential_numbers(ray, sequential, tmp_path, data_dir):
    from ray.cluster_utils import Cluster
    ray.shutdown()  # this module's local instance: the study connects to the cluster instead
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        results = study("quick", tmp_path, data_dir=data_dir, executor="ray", address=cluster.address, quiet=True,
                        **TINY)
    finally:
        cluster.shutdown()
    assert results["failed"] == [] and numbers(results) == numbers(sequential)


def test_run_unit_trains_in_a_temporary_root_with_the_cpus_it_was_given(tmp_path, data_dir):
    threads = torch.get_num_threads()
    cell = Cell("pca-knn", "mnist", "100", 0, {})
    try:
        torch.set_num_threads(2)
        packed = run_unit(cell, cell.folder, None, None, str(data_dir), 1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert packed["folder"] == cell.folder and not Path(packed["root"]).exists()  # cleaned up after packing
    assert {"config.json", "results.json", "split.json"} <= set(packed["files"])
    results = json.loads(unpack(packed, tmp_path).joinpath("results.json").read_text())
    assert results["run_dir"] == str(tmp_path / cell.folder)


def test_unpack_replaces_an_interrupted_unit_and_moves_paths(tmp_path):
    worker = tmp_path / "worker"
    unit = worker / "cells/transfer/seed0@100"
    unit.mkdir(parents=True)
    (unit / "config.json").write_text(json.dumps({"config": {"gan": str(worker / "gans/g"), "name": "gans"}}))
    (unit / "results.json").write_text(json.dumps({"run_dir": str(unit), "accuracy": 0.5}))
    (unit / "samples").mkdir()
    (unit / "samples/a.png").write_bytes(b"\x89PNG" + str(worker).encode())  # binary files travel as they are
    driver = tmp_path / "driver"
    (driver / "cells/transfer/seed0@100").mkdir(parents=True)
    (driver / "cells/transfer/seed0@100/stale.txt").write_text("an interrupted run's file")
    target = unpack(pack(worker, "cells/transfer/seed0@100"), driver)
    assert sorted(p.name for p in target.rglob("*")) == ["a.png", "config.json", "results.json", "samples"]
    assert json.loads((target / "config.json").read_text())["config"] == {"gan": str(driver / "gans/g"),
                                                                         "name": "gans"}
    assert json.loads((target / "results.json").read_text())["run_dir"] == str(target)
    assert (target / "samples/a.png").read_bytes() == b"\x89PNG" + str(worker).encode()
    assert [p.name for p in (driver / "cells/transfer").iterdir()] == ["seed0@100"]  # no temporary folder left


def test_paths_move_as_run_cell_spells_them():
    config = json.dumps({"gan": "/tmp/w1/gans/g", "other": "/tmp/w1/gansx", "cells": ["/tmp/w1/cells/c"]}).encode()
    assert json.loads(move_paths(config, "/tmp/w1", ".")) == {"gan": "gans/g", "other": "/tmp/w1/gansx",
                                                              "cells": ["cells/c"]}
    assert json.loads(move_paths(b'{"gan": "gans/g"}', ".", "/tmp/w2")) == {"gan": "/tmp/w2/gans/g"}
    untouched = b'{"gan":   "mnist"}'
    assert move_paths(untouched, ".", "/tmp/w2") is untouched


@pytest.mark.parametrize("name", ["../escape.json", "/etc/passwd", ""])
def test_unpack_refuses_paths_outside_the_unit(tmp_path, name):
    from ganclf.runs import RunError
    with pytest.raises(RunError, match="not a path inside it"):
        unpack({"folder": "cells/x", "root": "/w", "files": {name: b"{}"}}, tmp_path)
