import json
import subprocess
import sys

import numpy as np
import pytest

from ganclf import baseline
from ganclf.methods.baseline import PCAKNN


def test_pca_knn_selects_on_validation(mnist):
    x = mnist.train_images.reshape(60000, -1).numpy()
    y = mnist.train_labels.numpy()
    model = PCAKNN(components=(10, 30), neighbours=(1, 5)).fit(x[:3000], y[:3000], x[3000:4000], y[3000:4000])
    assert set(model.scores_) == {(10, 1), (10, 5), (30, 1), (30, 5)}
    assert model.scores_[(model.n_components_, model.k_)] == max(model.scores_.values())
    assert (model.predict(x[4000:5000]) == y[4000:5000]).mean() > 0.85


def test_pca_knn_handles_budgets_smaller_than_its_grid(mnist):
    x = mnist.train_images.reshape(60000, -1).numpy()
    y = mnist.train_labels.numpy()
    model = PCAKNN().fit(x[:20], y[:20], x[100:200], y[100:200])
    assert model.n_components_ <= 20


def test_cnn_baseline_end_to_end(tmp_path):
    results = baseline("cnn", labels="200", seed=1, out=tmp_path / "run", epochs=1, quiet=True)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"config.json", "split.json", "metrics.jsonl", "results.json", "model.safetensors",
            "curves.png", "confusion.png"} <= files
    assert results["n_labelled"] == 200 and results["split"] == "mnist.seed1@200"
    assert 0.3 < results["test_accuracy"] <= 1.0  # 1 epoch on 200 labels: well above chance
    assert np.sum(results["test"]["confusion_matrix"]) == 10000
    assert json.loads((tmp_path / "run" / "results.json").read_text())["test_accuracy"] == results["test_accuracy"]


@pytest.mark.slow
def test_same_seed_same_result(tmp_path):
    a = baseline("cnn-original", labels="100", seed=2, out=tmp_path / "a", epochs=2, quiet=True)
    b = baseline("cnn-original", labels="100", seed=2, out=tmp_path / "b", epochs=2, quiet=True)
    assert a["test"]["confusion_matrix"] == b["test"]["confusion_matrix"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "ganclf", *args], capture_output=True, text=True)


def test_cli_runs_a_baseline(tmp_path):
    result = cli("baseline", "--method", "pca-knn", "--labels", "500", "--out", str(tmp_path / "pk"))
    assert result.returncode == 0, result.stderr
    assert "pca-knn on mnist @ 500 labels" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--labels", "5"], "fewer than one per class"),
    (["--labels", "lots"], "not a count"),
    (["--method", "resnet"], "unknown method"),
    (["--dataset", "cifar"], "unknown dataset"),
])
def test_cli_errors_are_one_line(args, message):
    result = cli("baseline", *args)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_missing_data_without_download(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ganclf", "baseline", "--data-dir", str(tmp_path),
                             "--no-download"], capture_output=True, text=True,
                            env={"PATH": "", "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)})
    assert result.returncode != 0 and "not found" in result.stderr and "Traceback" not in result.stderr


def test_pca_knn_is_a_scikit_learn_estimator_and_selects_without_validation(mnist):
    from sklearn.base import clone
    x = mnist.train_images[:600].reshape(600, -1).numpy()
    y = mnist.train_labels[:600].numpy()
    model = PCAKNN(components=(10, 30), neighbours=(1, 5))
    assert clone(model).get_params() == {"components": (10, 30), "neighbours": (1, 5), "folds": 5}
    model.fit(x[:300], y[:300])  # no validation images: cross-validation on the labelled ones
    assert set(model.scores_) == {(10, 1), (10, 5), (30, 1), (30, 5)}
    assert model.score(x[300:], y[300:]) > 0.6
