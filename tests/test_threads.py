"""torch's thread count follows the CPUs a process was given: GANCLF_THREADS, OMP_NUM_THREADS, its affinity."""
import json
import os

import pytest
import torch

from ganclf.threads import cpus_given, use_cpus


@pytest.fixture(autouse=True)
def keep_threads(monkeypatch):
    for name in ("GANCLF_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.mark.parametrize("env, expected", [({}, None), ({"OMP_NUM_THREADS": "3"}, 3), ({"OMP_NUM_THREADS": "5,2"}, 5),
                                           ({"GANCLF_THREADS": "2", "OMP_NUM_THREADS": "7"}, 2),
                                           ({"GANCLF_THREADS": "0", "OMP_NUM_THREADS": "4"}, 4),
                                           ({"OMP_NUM_THREADS": "many"}, None)])
def test_cpus_given(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cpus_given() == (expected or affinity())


def test_the_affinity_mask_is_what_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert cpus_given() == 3


@pytest.mark.parametrize("n, expected", [(3, 3), (1, 1), (0.5, 1), (2.0, 2)])
def test_use_cpus_sets_torch_threads(n, expected):
    assert use_cpus(n) == expected and torch.get_num_threads() == expected


def test_use_cpus_defaults_to_what_was_given(monkeypatch):
    monkeypatch.setenv("GANCLF_THREADS", "3")
    torch.set_num_threads(1)
    assert use_cpus() == 3 and torch.get_num_threads() == 3


def test_the_command_line_trains_with_the_cpus_it_was_given(monkeypatch, tmp_path):
    from conftest import MNIST_DIR
    from ganclf.cli import main
    monkeypatch.setenv("GANCLF_THREADS", "1")
    torch.set_num_threads(2)
    main(["run", "pca-knn", "--labels", "100", "--out", str(tmp_path / "run"), "--data-dir", str(MNIST_DIR), "--quiet"])
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("cpus_per_cell, threads", [(None, 1), (2, 2)])
def test_a_sequential_study_trains_with_one_thread_unless_asked(tmp_path, cpus_per_cell, threads):
    """One thread by default, as each worker of the local executor and each Ray task: a cell's numbers depend on
    its thread count, and every executor must give the same numbers for the same cell."""
    from conftest import MNIST_DIR
    from ganclf import study
    torch.set_num_threads(3)
    result = study("quick", tmp_path, labels="100", seeds=1, methods="pca-knn", data_dir=MNIST_DIR, quiet=True,
                   executor="sequential", cpus_per_cell=cpus_per_cell)
    cell = json.loads((tmp_path / result["cells"][0]["run_dir"] / "results.json").read_text())
    assert cell["provenance"]["threads"] == threads
    assert torch.get_num_threads() == 3  # and this session's own thread count is left as it was
