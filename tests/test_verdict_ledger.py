"""benchmarks/verdict.py's ledger: a declared verdict accumulates across sittings because each finished unit's small
files are filed in benchmarks/results/<plan>/ as it finishes, and read back by the next sitting."""
import json
import time

from conftest import benchmark_script


def finish(unit, test_accuracy=0.9):
    unit.mkdir(parents=True)
    for name in ("config.json", "split.json"):
        (unit / name).write_text("{}")
    (unit / "results.json").write_text(json.dumps({"test_accuracy": test_accuracy}))
    (unit / "weights.safetensors").write_bytes(b"not filed")


def test_a_unit_is_filed_while_the_study_still_runs(tmp_path):
    verdict = benchmark_script("verdict")
    out, ledger = tmp_path / "runs", tmp_path / "ledger"
    with verdict.filing(out, ledger, cells=[], every_s=0.05):
        finish(out / "cells/mnist/cnn/seed1@100.val0")
        deadline = time.monotonic() + 10
        while not (ledger / "cells/mnist/cnn/seed1@100.val0/results.json").exists():
            assert time.monotonic() < deadline, "the finished cell was not filed while the study ran"
            time.sleep(0.05)
    filed = ledger / "cells/mnist/cnn/seed1@100.val0"
    assert sorted(p.name for p in filed.iterdir()) == ["config.json", "results.json", "split.json"]


def test_the_ledger_restores_finished_units_and_skips_unfinished_ones(tmp_path):
    verdict = benchmark_script("verdict")
    out, ledger, later = tmp_path / "runs", tmp_path / "ledger", tmp_path / "later"
    finish(out / "cells/mnist/cnn/seed1@100.val0")
    (out / "cells/mnist/cnn/seed2@100.val0").mkdir(parents=True)  # still training: no results.json
    assert verdict.mirror(out, ledger) == 1 and verdict.mirror(out, ledger) == 0  # filed once
    assert verdict.mirror(ledger, later) == 1
    assert json.loads((later / "cells/mnist/cnn/seed1@100.val0/results.json").read_text())["test_accuracy"] == 0.9
    assert not (later / "cells/mnist/cnn/seed2@100.val0").exists()
