"""Optional TensorBoard scalars: the same numbers as metrics.jsonl, or a one-line error without the package."""
import json
import sys

import pytest

from ganclf import api
from ganclf.cli import main

from conftest import MNIST_DIR

RUN = dict(labels="100", epochs=2, data_dir=MNIST_DIR, quiet=True)


def scalars_of(folder) -> dict:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


@pytest.mark.slow
def test_tensorboard_scalars_mirror_metrics_jsonl(tmp_path):
    pytest.importorskip("tensorboard")
    out = tmp_path / "cnn"
    api.run("cnn", out=out, tensorboard=True, **RUN)
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    scalars = scalars_of(out / "tensorboard")
    assert set(scalars) == set(lines[0]) - {"epoch"}
    for key, points in scalars.items():
        assert points == [(r["epoch"], pytest.approx(r[key], rel=1e-6)) for r in lines]  # float32 events


@pytest.mark.slow
def test_the_environment_variable_asks_for_them_and_nothing_is_written_unasked(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    api.run("cnn", out=tmp_path / "plain", **RUN)
    assert not (tmp_path / "plain" / "tensorboard").exists()
    monkeypatch.setenv("GANCLF_TENSORBOARD", "1")
    api.run("cnn", out=tmp_path / "asked", **RUN)
    assert [step for step, _ in scalars_of(tmp_path / "asked" / "tensorboard")["val_acc"]] == [1, 2]


def test_without_the_package_asking_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails as if not installed
    with pytest.raises(SystemExit) as stop:
        main(["baseline", "--labels", "100", "--out", str(tmp_path / "r"), "--tensorboard", "--quiet"])
    assert str(stop.value) == ("ganclf: error: TensorBoard scalars need the tensorboard package: "
                               "pip install 'ganclf[tensorboard]'")
    assert not (tmp_path / "r").exists()
