import pytest
import torch

from ganclf.runs import Run, RunError, load_checkpoint, load_optimizer_state, optimizer_state, save_checkpoint


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


def test_finished_run_is_not_overwritten(tmp_path):
    run = Run(tmp_path / "r", {"a": 1})
    run.log({"epoch": 1})
    run.finish({"test_accuracy": 0.5})
    with pytest.raises(RunError, match="already holds a finished run"):
        Run(tmp_path / "r", {"a": 2})
    assert run.metrics() == [{"epoch": 1}]
