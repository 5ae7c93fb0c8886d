"""Hostile inputs, table-driven (tests/hostile_cases.py, also run by benchmarks/hostile.py): each case ends in the
expected exit code and one line naming the option or file at fault, with no traceback and nothing written or lost.
"""
import json
import signal
import subprocess
import sys

import pytest

from conftest import MNIST_DIR
from ganclf import api
from ganclf.cli import main
from hostile_cases import CASES, run_case, world


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory):
    return world(tmp_path_factory.mktemp("hostile") / "world", MNIST_DIR)


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_hostile_case(hostile_world, index):
    result = run_case(CASES[index], hostile_world, index)
    assert result["traceback"] is None, result
    assert not result["unclear"], result
    assert not result["lost"], result


def test_a_second_writer_in_another_process_is_told_the_holders_pid(hostile_world):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from ganclf.runs import lock; "
                               f"lock(__import__('pathlib').Path(sys.argv[1])); print('held', flush=True); "
                               "time.sleep(60)", str(hostile_world["scratch"] / "held")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SystemExit) as exit_:
            main(["baseline", "--labels", "100", "--out", str(hostile_world["scratch"] / "held"), "--quiet"])
        assert f"(PID {holder.pid})" in str(exit_.value.code)
    finally:
        holder.kill()  # SIGKILL: the OS releases the lock, nothing stale is left
        holder.wait()
    from ganclf.runs import lock, unlock
    unlock(lock(hostile_world["scratch"] / "held"))


def test_augment_counts_the_labels_its_gan_saw_beyond_the_budget(hostile_world, tmp_path):
    r = api.augment(hostile_world["gan"], labels="100", seed=1, out=tmp_path / "a", mixes=("real+gen",),
                    synthetic=100, epochs=1, validation=0, quiet=True, data_dir=MNIST_DIR)
    gan_labels = json.loads((hostile_world["gan"] / "split.json").read_text())["labelled"]
    assert not r["gan_labels_inside_budget"] and r["gan_labels_outside_budget"] > 0
    assert r["labels_used"] == 100 + r["gan_labels_outside_budget"]
    assert r["gan_labels_outside_budget"] <= len(gan_labels)


def test_transfer_from_a_conditional_gan_counts_its_labels_too(hostile_world, tmp_path):
    r = api.run("transfer", gan=str(hostile_world["gan"]), labels="100", seed=1, out=tmp_path / "t", epochs=1,
                validation=0, quiet=True, data_dir=MNIST_DIR)
    assert r["gan_labels_outside_budget"] > 0 and r["labels_used"] == 100 + r["gan_labels_outside_budget"]


def test_evaluate_gan_keeps_stored_scores_and_adds_its_own(hostile_world, tmp_path, monkeypatch):
    import shutil
    from ganclf.methods import quality
    run = shutil.copytree(hostile_world["gan"], tmp_path / "g")
    monkeypatch.setattr(quality, "feature_network", lambda *a, **k: None)
    monkeypatch.setattr(quality, "reference_features", lambda data, net, n: [0] * n)
    monkeypatch.setattr(quality, "gan_quality", lambda *a: {"fid": 2.0})
    api.evaluate_gan(run, 50, cas=False)
    stored = json.loads((run / "results.json").read_text())
    assert stored["quality"] == {"n_samples": 100, "fid": 1.0} and stored["quality_by_samples"]["50"]["fid"] == 2.0


def test_ctrl_c_ignores_a_second_ctrl_c_while_exiting(monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "sample", interrupt)
    with pytest.raises(SystemExit):
        main(["sample", "--run", "x"])
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # the atexit handlers run uninterrupted (conftest
    # restores the handler)
