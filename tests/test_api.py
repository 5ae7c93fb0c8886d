"""The Python API finds itself: dir(ganclf) and help(ganclf) list it, every public function says what it does, and
the module's example runs as written."""
import doctest
import inspect
import subprocess
import sys

import pytest

import ganclf
from ganclf import api


def test_dir_lists_the_public_functions_before_they_are_loaded():
    code = "import ganclf, sys; print(' '.join(dir(ganclf))); print('torch' in sys.modules)"
    names, torch_loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout.splitlines()
    assert {"run", "study", "baseline", "train_gan", "transfer", "augment", "ssl_gan", "predict", "sample",
            "evaluate_gan", "stats"} <= set(names.split())
    assert torch_loaded == "False"


def test_every_public_function_has_a_docstring():
    for name in ganclf.__all__:
        value = getattr(ganclf, name)
        assert inspect.getdoc(value), f"ganclf.{name} has no docstring"
        assert name in ganclf.__doc__ or inspect.ismodule(value) or name == "Dataset", name


def test_run_and_study_document_what_they_return():
    for key in ("test_accuracy", "run_dir", "labels_used", "wall_time_s"):
        assert key in ganclf.run.__doc__
    for key in ("summary", "verdict", "gans", "cells", "failed", "report", "elapsed_s"):
        assert key in ganclf.study.__doc__


def test_the_module_example_runs_as_written():
    failed, attempted = doctest.testmod(ganclf)
    assert attempted >= 2 and failed == 0


def test_a_bad_device_in_the_environment_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    from ganclf.config import ConfigError
    monkeypatch.setenv("GANCLF_DEVICE", "tpu")
    with pytest.raises(ConfigError, match=r"\$GANCLF_DEVICE 'tpu'"):
        api.run("cnn", labels="100", out=tmp_path / "r", quiet=True)
    assert not (tmp_path / "r").exists()
