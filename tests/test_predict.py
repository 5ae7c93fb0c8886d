import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import MNIST_DIR
from ganclf import baseline, predict


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cnn"
    baseline("cnn", labels="1000", seed=0, out=out, epochs=1, quiet=True, data_dir=MNIST_DIR, download=False)
    return out


def user_styles(digit: np.ndarray, tmp_path, i: int) -> list:
    """One test digit as users send them: large grey, dark-on-light, coloured RGB, and RGBA on transparency."""
    big = Image.fromarray(digit).resize((120, 90), Image.BILINEAR)
    dark_on_light = Image.fromarray(255 - np.asarray(big))
    coloured = Image.merge("RGB", [dark_on_light, dark_on_light, Image.new("L", big.size, 255)])
    rgba = Image.merge("RGBA", [Image.new("L", big.size, 0)] * 3 + [big])
    paths = []
    for name, img in (("grey", big), ("inverted", dark_on_light), ("colour", coloured), ("alpha", rgba)):
        paths.append(tmp_path / f"{i}-{name}.png")
        img.save(paths[-1])
    return paths


def test_predicts_user_style_images(trained_run, mnist, tmp_path):
    digits, labels = mnist.test_images[:20, 0].numpy(), mnist.test_labels[:20].numpy()
    paths = [p for i, d in enumerate(digits) for p in user_styles(d, tmp_path, i)]
    predictions = predict(trained_run, paths)
    predicted = np.array([p["index"] for p in predictions]).reshape(20, 4)
    assert (predicted == labels[:, None]).mean() >= 0.85
    assert all(0 < p["probability"] <= 1 and p["class"] == str(p["index"]) for p in predictions)


@pytest.mark.slow
def test_bad_files_are_clear_errors(trained_run, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    blank = tmp_path / "blank.png"
    Image.new("L", (40, 40), 255).save(blank)
    for path, message in ((text, "not a readable image"), (blank, "blank"), (tmp_path / "nope.png", "not found")):
        result = subprocess.run([sys.executable, "-m", "ganclf", "predict", "--run", str(trained_run), str(path)],
                                capture_output=True, text=True)
        assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_run_without_classifier_is_refused(tmp_path):
    baseline("pca-knn", labels="100", out=tmp_path / "pk", quiet=True)
    result = subprocess.run([sys.executable, "-m", "ganclf", "predict", "--run", str(tmp_path / "pk"), "x.png"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "no classifier weights" in result.stderr
