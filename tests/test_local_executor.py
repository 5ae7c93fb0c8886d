"""The local executor (the default): one-thread cells side by side in worker processes get the sequential
executor's numbers; a failing cell, a dying worker and Ctrl-C leave the study whole."""
import multiprocessing
import os

import pytest

from ganclf import study
from ganclf.studies import local_executor

SHORT = {"epochs": 1}
# two plain cells and one that needs a shared GAN, each short enough for a test
TINY = dict(labels="100", seeds=1, methods="cnn,cnn-shift,transfer", gan_images="200", quality_samples=0,
            settings={"cnn": SHORT, "cnn-shift": SHORT, "transfer": {"epochs": 1, "compare": False},
                      "dcgan-cnn": {"epochs": 1, "min_steps_per_epoch": 8}})


@pytest.fixture(autouse=True)
def console_as_it_was():
    """A loud study shows ganclf's messages by default from then on; the next test module must not inherit it."""
    from ganclf import logs
    handlers, level, propagate = logs.LOG.handlers[:], logs.LOG.level, logs.LOG.propagate
    yield
    logs.LOG.handlers, logs.LOG.propagate = handlers, propagate
    logs.LOG.setLevel(level)


@pytest.fixture
def two_cpus(monkeypatch):
    """Two workers side by side, as on a 2-core machine (the tests' environment may give one)."""
    monkeypatch.setenv("GANCLF_THREADS", "2")


def numbers(results) -> list[tuple]:
    return [(c["method"], c["labels"], c["seed"], c["val_accuracy"], c["test_accuracy"]) for c in results["cells"]]


@pytest.mark.slow
def test_local_and_sequential_executors_get_the_same_numbers(tmp_path, two_cpus, capsys):
    from conftest import MNIST_DIR
    local = study("quick", tmp_path / "local", data_dir=MNIST_DIR, **TINY)
    printed = capsys.readouterr().out
    sequential = study("quick", tmp_path / "sequential", data_dir=MNIST_DIR, executor="sequential", quiet=True, **TINY)
    assert numbers(local) == numbers(sequential) and local["failed"] == []
    assert not any(c["cached"] for c in local["cells"])
    assert "3 of 3 cells to run (0 finished already), 1 shared GAN to train, 2 at once" in printed
    assert "shared GAN mnist/dcgan-cnn-seed0 trained" in printed and "[3/3] " in printed
    assert not multiprocessing.active_children()  # the workers are gone


def test_a_failing_cell_is_reported_and_the_others_go_on(tmp_path, two_cpus, capsys):
    from conftest import MNIST_DIR
    results = study("quick", tmp_path, data_dir=MNIST_DIR, labels="100", seeds=1, methods="pca-knn,cnn",
                    settings={"cnn": {"epochs": 0}})
    assert [c["method"] for c in results["cells"]] == ["pca-knn"]
    [failed] = results["failed"]
    assert failed["method"] == "cnn" and "ConfigError" in failed["error"] and "epochs" in failed["error"]
    assert "mnist/cnn/seed0@100: FAILED: ConfigError" in capsys.readouterr().out


def die_once(cell, root, data_dir=None):
    """run_cell, but the first call kills its worker process (as the kernel's OOM killer would)."""
    mark = os.path.join(root, "died")
    if not os.path.exists(mark):
        open(mark, "w").close()
        os._exit(9)
    from ganclf.studies.run import run_cell
    return run_cell(cell, root, data_dir)


@pytest.mark.slow
def test_a_dead_worker_does_not_lose_the_study(tmp_path, monkeypatch):
    from conftest import MNIST_DIR
    monkeypatch.setattr(local_executor, "run_cell", die_once)  # workers import it from this module by name
    results = study("quick", tmp_path, data_dir=MNIST_DIR, labels="100", seeds=1, methods="pca-knn", quiet=True)
    assert (tmp_path / "died").exists() and results["failed"] == [] and len(results["cells"]) == 1


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_and_the_study_resumes(tmp_path, monkeypatch, two_cpus):
    from conftest import MNIST_DIR
    settings = dict(labels="100,200,300", seeds=1, methods="pca-knn", data_dir=MNIST_DIR, quiet=True)
    wait, calls = local_executor.wait, []

    def interrupted_wait(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return wait(*args, **kwargs)

    monkeypatch.setattr(local_executor, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        study("quick", tmp_path, **settings)
    assert not multiprocessing.active_children()
    monkeypatch.setattr(local_executor, "wait", wait)
    finished = {p.parent.name for p in (tmp_path / "cells/mnist/pca-knn").glob("*/results.json")}
    assert 1 <= len(finished) < 3
    again = study("quick", tmp_path, **settings)
    assert [c["cached"] for c in again["cells"]] == [f in finished for f in ("seed0@100", "seed0@200", "seed0@300")]


@pytest.mark.slow
def test_a_script_without_a_main_guard_is_told_why_the_workers_do_not_start(tmp_path):
    import subprocess
    import sys
    from conftest import MNIST_DIR
    script = tmp_path / "script.py"
    script.write_text(f"from ganclf import study\nstudy('quick', {str(tmp_path / 's')!r}, labels='100', seeds=1, "
                      f"methods='pca-knn', data_dir={str(MNIST_DIR)!r}, quiet=True)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "if __name__ == '__main__':" in result.stderr.splitlines()[-1]
