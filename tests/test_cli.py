"""The command line's names: one command per job, aliases that map onto it, old option names still accepted, and
misspelt names refused with the valid ones before torch loads."""
import subprocess
import sys

import pytest

from ganclf.cli import _check_names, _settings, build_parser, expand_alias, main
from ganclf.names import METHOD_PRESETS, STUDY_PRESETS


def parsed(*argv):
    args = build_parser().parse_args(expand_alias(list(argv)))
    _check_names(args)
    return args


@pytest.mark.parametrize("argv, expected", [
    (["baseline", "--method", "pca-knn", "--labels", "500"], ["run", "pca-knn", "--labels", "500"]),
    (["baseline", "--labels", "500"], ["run", "cnn", "--labels", "500"]),
    (["train-gan", "--model", "cdcgan", "--epochs", "2"], ["run", "train-gan", "--preset", "cdcgan", "--epochs", "2"]),
    (["train-gan", "--preset", "cnn"], ["run", "train-gan", "--preset", "dcgan-cnn"]),
    (["train-gan", "--model=gan", "--preset=seed"], ["run", "train-gan", "--preset", "gan-original"]),
    (["transfer", "--gan", "g"], ["run", "transfer", "--gan", "g"]),
    (["ssl-gan", "--shift", "1"], ["run", "ssl-gan", "--shift", "1"]),
    (["study", "--preset", "quick"], ["study", "--preset", "quick"]),
])
def test_per_method_commands_are_aliases_of_run(argv, expected):
    assert expand_alias(argv) == expected


def test_old_option_and_method_names_map_to_the_new_ones():
    args = parsed("transfer", "--gan", "runs/g", "--preset", "seed-trial1", "--epochs", "3")
    assert (args.method, args.preset, args.run) == ("transfer", "original-trial1", "runs/g")
    assert _settings(args) == {"gan": "runs/g", "epochs": 3, "compare": True}
    assert _settings(parsed("augment", "--gan", "g", "--synthetic", "50"))["synthetic"] == 50
    assert _settings(parsed("run", "augment", "--run", "g", "--samples", "50"))["synthetic"] == 50
    assert parsed("baseline", "--method", "cnn-seed").method == "cnn-original"
    assert parsed("sample", "--run", "g", "--n", "5").samples == 5
    assert parsed("evaluate-gan", "--run", "g", "--n", "7").samples == 7
    study = parsed("study", "--preset", "seeds", "--seeds", "2", "--quality-samples", "0", "--methods", "cnn-seed")
    assert (study.preset, study.seeds, study.quality_samples, study.methods) == ("original", 2, 0, "cnn-original")
    study = parsed("study", "--n-seeds", "4", "--samples", "10")
    assert (study.preset, study.seeds, study.quality_samples) == ("quick", 4, 10)


def test_run_takes_epochs_as_the_method_setting():
    assert _settings(parsed("run", "cnn", "--epochs", "5", "--set", "train.lr=0.001")) == {
        "epochs": 5, "train": {"lr": 0.001}}


@pytest.mark.parametrize("argv, says", [
    (["run", "cnnn"], "unknown method 'cnnn'; choose from cnn, cnn-original, cnn-shift, pca-knn"),
    (["run", "transfer", "--preset", "trial1"], "unknown transfer preset 'trial1'; choose from default, original"),
    (["train-gan", "--model", "vae"], "unknown train-gan preset 'vae'; choose from dcgan, gan"),
    (["study", "--preset", "quik"], "unknown study preset 'quik'; choose from quick, original, full, verdict"),
    (["study", "--methods", "cnn,resnet"], "unknown method 'resnet'; choose from cnn"),
    (["run", "cnn", "--run", "runs/g"], "--run names the GAN that transfer and augment start from"),
])
def test_misspelt_names_are_refused_with_the_valid_ones_before_torch_loads(argv, says):
    code = ("import sys\nfrom ganclf.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    print(e.code)\nprint('torch loaded' if 'torch' in sys.modules else 'no torch')")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True).stdout
    assert says in out and out.strip().endswith("no torch"), out


def test_help_never_prints_an_empty_default():
    parser = build_parser()
    texts = [parser.format_help()] + [p.format_help() for p in parser._subparsers._group_actions[0].choices.values()]
    assert not any("default None" in t or "(default: None)" in t for t in texts)
    assert all(f"alias of `ganclf run {m}`" in texts[0] for m in ("train-gan", "transfer", "augment", "ssl-gan"))


def test_list_shows_every_method_and_study_preset(capsys):
    main(["list"])
    out = capsys.readouterr().out
    for method, presets in METHOD_PRESETS.items():
        assert f"{method:<17} presets: {', '.join(presets)}" in out
    assert "(its control: pi-model)" in out
    for name in STUDY_PRESETS:
        assert f"  {name} " in out
    from ganclf.studies.plan import PRESETS, plan
    jobs, cells = plan(PRESETS["quick"])
    assert f"  {'quick':<24} {len(cells):>4} cells + {len(jobs)} shared GANs, about " in out
