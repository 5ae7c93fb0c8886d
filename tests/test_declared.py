"""Studies declared as files: checked whole before anything trains, identified by their git blob hash, refused
while uncommitted, and dry-run without training."""
import subprocess

import pytest

from ganclf.cli import STUDY_PRESETS, main
from ganclf.config import ConfigError
from ganclf.studies import PRESETS, dry_run
from ganclf.studies.declared import load_plan

GOOD = '''description = "two methods, one budget"
labels = ["100"]
seeds = 2
first_seed = 1
validation = [0, "default"]
methods = ["cnn", "cnn-shift", "augment"]
family = [["augment", "cnn-shift"]]

[settings.augment]
shift = 2
mixes = ["real+gen"]
'''


def _repo(tmp_path, text=GOOD, commit=True):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    path = tmp_path / "plan.toml"
    path.write_text(text)
    if commit:
        subprocess.run(["git", "-C", str(tmp_path), "add", "plan.toml"], check=True)
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                        "declare"], check=True)
    return path


def test_a_committed_declaration_loads_with_its_blob_and_commit(tmp_path):
    cfg, declared = load_plan(_repo(tmp_path))
    blob = subprocess.run(["git", "hash-object", str(tmp_path / "plan.toml")], capture_output=True, text=True)
    assert declared["blob"] == blob.stdout.strip() and len(declared["commit"]) == 40 and declared["committed"]
    assert cfg.first_seed == 1 and cfg.validation == (0, None) and cfg.primary() == [("augment", "cnn-shift")]
    assert cfg.family_size() == 2  # one pair under two protocols


def test_uncommitted_changes_are_refused_unless_allowed(tmp_path):
    path = _repo(tmp_path)
    path.write_text(GOOD.replace("seeds = 2", "seeds = 3"))
    with pytest.raises(ConfigError, match="uncommitted changes"):
        load_plan(path)
    assert load_plan(path, allow_uncommitted=True)[1]["committed"] is False
    with pytest.raises(ConfigError, match="not committed"):
        load_plan(_repo(tmp_path / "new", commit=False))


@pytest.mark.parametrize("change, message", [
    (("seeds = 2", "seeds = 2\nwidth = 3"), "unknown study declaration setting 'width'"),
    (("seeds = 2", 'seeds = "two"'), "seeds must be int"),
    (('"cnn-shift", "augment"]', '"cnn-shift", "augmnet"]'), "unknown method 'augmnet'"),
    (('labels = ["100"]', 'labels = ["70000"]'), "only 60,000 training images are left"),
    (('labels = ["100"]', 'labels = ["lots"]'), "lots"),
    (("shift = 2", "shfit = 2"), "unknown augment setting 'shfit'"),
    (("shift = 2", "shift = 99"), "shift"),
    (('[["augment", "cnn-shift"]]', '[["augment"]]'), "must name two methods"),
    (("seeds = 2", "seeds = = 2"), "not a readable TOML"),
])
def test_a_bad_declaration_is_one_line_naming_the_file(tmp_path, change, message):
    path = _repo(tmp_path, GOOD.replace(*change), commit=False)
    with pytest.raises(ConfigError, match=message) as err:
        load_plan(path, allow_uncommitted=True)
    assert str(path) in str(err.value) and "\n" not in str(err.value).strip()


def test_the_cli_refuses_a_bad_declaration_before_anything_is_written(tmp_path, capsys):
    path = _repo(tmp_path, GOOD.replace("seeds = 2", "seeds = 0"), commit=False)
    with pytest.raises(SystemExit) as exit_:
        main(["study", "--plan", str(path), "--allow-uncommitted", "--out", str(tmp_path / "s")])
    assert "ganclf: error:" in str(exit_.value) and not (tmp_path / "s").exists()


def test_dry_run_lists_cells_and_their_matched_steps(tmp_path, capsys):
    main(["study", "--plan", str(_repo(tmp_path)), "--dry-run", "--out", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert "12 cells and 4 shared GANs; seeds 1...2" in out.replace("..", "...", 1) or "12 cells" in out
    assert "pair augment - cnn-shift (declared family): 1500 against 1500 optimizer steps" in out
    assert "NOT MATCHED" not in out and "estimate on 2 CPU cores" in out and not (tmp_path / "s").exists()


def test_a_dry_run_flags_unmatched_steps():
    from dataclasses import replace
    cfg = replace(PRESETS["quick"], settings={**PRESETS["quick"].settings, "cnn-shift": {"epochs": 9}},
                  family=(("augment", "cnn-shift"),))
    assert any("NOT MATCHED" in line for line in dry_run(cfg))


def test_the_cli_names_every_study_preset_without_importing_torch():
    assert STUDY_PRESETS == tuple(PRESETS)
