import pytest
import torch

from ganclf.runs import RunError, load_checkpoint, load_optimizer_state, open_run, optimizer_state, save_checkpoint


def test_checkpoint_round_trip_with_optimizer(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, {"model": model.state_dict(), "opt": optimizer_state(opt), "epoch": 7}, {"kind": "test"})

    state, meta = load_checkpoint(path)
    fresh = torch.nn.Linear(3, 2)
    fresh.load_state_dict(state["model"])
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=0.5)
    load_optimizer_state(fresh_opt, state["opt"])

    assert meta == {"kind": "test"} and state["epoch"] == 7
    assert torch.equal(fresh.weight, model.weight)
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    assert torch.equal(fresh_opt.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert (tmp_path / "ckpt.json").exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_foreign_file_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(RunError, match="not a readable ganclf checkpoint"):
        load_checkpoint(path)
    with pytest.raises(RunError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")


def _finished(path, config):
    run = open_run(path, config)
    run.log({"epoch": 1})
    run.finish({"test_accuracy": 0.5})
    return run


def test_finished_run_is_never_overwritten_and_read_back_only_when_reused(tmp_path):
    run = _finished(tmp_path / "r", {"a": 1})
    before = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()}
    with pytest.raises(RunError, match="already holds a finished run"):
        open_run(tmp_path / "r", {"a": 1}, resume=True)
    with pytest.raises(RunError, match="holds another run"):
        open_run(tmp_path / "r", {"a": 2}, reuse=True)
    assert open_run(tmp_path / "r", {"a": 1}, reuse=True).finished
    assert {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()} == before
    assert run.metrics() == [{"epoch": 1}]


def test_interrupted_run_is_resumed_only_when_asked(tmp_path):
    open_run(tmp_path / "r", {"a": 1}).log({"epoch": 1})
    with pytest.raises(RunError, match="interrupted run; resume it"):
        open_run(tmp_path / "r", {"a": 1})
    with pytest.raises(RunError, match="holds another run"):
        open_run(tmp_path / "r", {"a": 2}, resume=True)
    resumed = open_run(tmp_path / "r", {"a": 1}, resume=True)
    assert resumed.metrics() == [{"epoch": 1}]
    resumed.restore_metrics([])
    assert resumed.metrics() == []


@pytest.mark.parametrize("make", ["file", "foreign folder"])
def test_what_is_not_a_run_is_refused_untouched(tmp_path, make):
    target = tmp_path / "x"
    if make == "file":
        target.write_text("keep me")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("keep me")
    with pytest.raises(RunError):
        open_run(target, {"a": 1})
    assert (target.read_text() if make == "file" else (target / "notes.txt").read_text()) == "keep me"


def test_metrics_symlinked_out_of_the_run_is_not_followed(tmp_path):
    run = open_run(tmp_path / "r", {"a": 1})
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (tmp_path / "r" / "metrics.jsonl").symlink_to(outside)
    with pytest.raises(RunError, match="symbolic link"):
        run.log({"epoch": 1})
    with pytest.raises(RunError, match="symbolic link"):
        run.restore_metrics([])
    assert outside.read_text() == "precious\n"


def test_results_are_written_with_ordinary_permissions(tmp_path):
    _finished(tmp_path / "r", {"a": 1})
    for name in ("config.json", "results.json", "metrics.jsonl"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == 0o644, name


def test_wall_time_adds_the_time_before_a_resume(tmp_path):
    run = open_run(tmp_path / "r", {"a": 1})
    run.add_earlier_time(100.0)
    assert run.finish({})["wall_time_s"] >= 100.0
