import csv
import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from ganclf import study
from ganclf.methods import REGISTRY, get_method
from ganclf.studies import Cell

TINY = dict(labels="100,200", seeds=2, methods="cnn-original,pca-knn")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from conftest import MNIST_DIR
    out = tmp_path_factory.mktemp("study")
    return out, study("quick", out, data_dir=MNIST_DIR, quiet=True, **TINY)


@pytest.mark.slow
def test_study_writes_every_cell_and_a_report(finished):
    out, results = finished
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2
    assert {(r["method"], r["labels"]) for r in rows} == {(m, b) for m in ("cnn-original", "pca-knn")
                                                          for b in ("100", "200")}
    assert all(0.1 < float(r["test_accuracy"]) <= 1 for r in rows)
    summary = {(s["method"], s["labels"]): s for s in results["summary"]}
    assert summary[("pca-knn", "200")]["seeds"] == 2
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "pca-knn" in page and "<table>" in page


@pytest.mark.slow
def test_rerun_reads_finished_cells_and_redoes_only_the_missing_one(finished):
    out, first = finished
    target = cell_dir(out, "pca-knn", "200", 1)
    (target / "results.json").unlink()
    again = study("quick", out, quiet=True, **TINY)
    cells = json.loads((out / "results.json").read_text())["cells"]
    rerun = [(c["method"], c["labels"], c["seed"]) for c in cells if not c["cached"]]
    assert rerun == [("pca-knn", "200", 1)]
    assert [s["mean"] for s in again["summary"]] == [s["mean"] for s in first["summary"]]  # seeded: same numbers


@pytest.mark.parametrize("kwargs, message", [(dict(methods="cnn,gpt"), "unknown method"),
                                             (dict(preset="huge"), "unknown study preset"),
                                             (dict(labels="100,0"), "must be positive")])
def test_bad_study_settings(tmp_path, kwargs, message):
    args = {"preset": "quick", **kwargs}
    with pytest.raises(ValueError, match=message):
        study(out=tmp_path, quiet=True, **args)


def cell_dir(out, method, labels, seed):
    return out / Cell(method, "mnist", labels, seed, {}).folder


@pytest.mark.parametrize("name", REGISTRY)
def test_every_registered_method_has_one_shape(name):
    method = get_method(name)
    assert method.name == name and callable(method.train) and method.default_preset in method.presets


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_in_a_real_browser(finished, tmp_path, screenshots):
    out, _ = finished
    shot = tmp_path / "report.png"
    screenshots.screenshot(out / "report.html", 1100, shot)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    matplotlib_blue = (np.abs(pixels - [31, 119, 180]).sum(axis=2) < 30).sum()
    highlighted_best = (np.abs(pixels - [227, 244, 227]).sum(axis=2) < 6).sum()
    assert matplotlib_blue > 200  # the embedded accuracy plot was decoded and drawn
    assert highlighted_best > 500  # the comparison table is laid out with its best cells marked


@pytest.fixture(scope="module")
def screenshots():
    """benchmarks/screenshots.py: its Chromium command line is the one these tests drive."""
    from conftest import benchmark_script
    return benchmark_script("screenshots")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("width", [420, 1400])
def test_report_has_no_horizontal_scroll(finished, tmp_path, width, screenshots):
    out, _ = finished
    probe = tmp_path / "probe.html"  # the report is script-free; a copy measures its own layout
    script = ("<script>window.onload=()=>{document.body.setAttribute('data-overflow',"
              "document.documentElement.scrollWidth-window.innerWidth)}</script></body>")
    probe.write_text((out / "report.html").read_text().replace("</body>", script))
    dom = subprocess.run([*screenshots.CHROMIUM, f"--user-data-dir={tmp_path / 'profile'}",
                          f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    overflow = int(dom.split('data-overflow="')[1].split('"')[0])
    assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"


@pytest.fixture
def quick_features(monkeypatch):
    """A feature network trained in seconds (1 epoch, 500 images) for the studies that score their GANs."""
    from functools import partial
    from ganclf.methods import quality
    monkeypatch.setattr(quality, "feature_network", partial(quality.feature_network, epochs=1, max_images=500))


@pytest.mark.slow
def test_gan_methods_share_their_gans_score_them_once_and_resume_them(tmp_path, monkeypatch, quick_features):
    from conftest import MNIST_DIR
    from ganclf import api
    scored, evaluate = [], api.evaluate_gan
    monkeypatch.setattr(api, "evaluate_gan", lambda run, *a, **k: scored.append(run.name) or evaluate(run, *a, **k))
    short_gan = {"epochs": 1, "min_steps_per_epoch": 8}
    settings = dict(labels="100", seeds=1, methods="cnn,transfer,augment", gan_images="200", data_dir=MNIST_DIR,
                    quiet=True, quality_samples=200, executor="sequential",  # the patches above reach no worker
                    settings={"transfer": {"epochs": 1}, "augment": {"epochs": 1, "synthetic": 100},
                              "cnn": {"epochs": 1}, "dcgan-cnn": short_gan, "cdcgan": short_gan})
    first = study("quick", tmp_path, **settings)
    gans = sorted(p.name for p in (tmp_path / "gans" / "mnist").iterdir())
    assert gans == ["cdcgan-seed0@100", "dcgan-cnn-seed0"]
    cells = {c["method"]: c for c in first["cells"]}
    assert cells["transfer"]["gan_dir"].endswith("dcgan-cnn-seed0")
    assert cells["augment"]["gan_dir"].endswith("cdcgan-seed0@100")
    # each shared GAN scored once, stored in its results.json and shown in the report with its sample count
    assert sorted(scored) == gans
    quality = {g["gan"]: g["quality"] for g in first["gans"]}
    conditional, plain = quality["mnist/cdcgan-seed0@100"], quality["mnist/dcgan-cnn-seed0"]
    assert conditional["n_samples"] == plain["n_samples"] == conditional["n_real"] == 200
    assert conditional["fid"] > 0 and 0 <= conditional["label_accuracy"] <= 1 and 0 <= conditional["cas"] <= 1
    assert "cas" not in plain and "label_accuracy" not in plain and plain["fid"] > 0
    assert json.loads((tmp_path / "gans/mnist/dcgan-cnn-seed0/results.json").read_text())["quality"] == plain
    page = (tmp_path / "report.html").read_text()
    assert "Scored on 200 generated images each" in page and f"{conditional['fid']:.2f}" in page
    # the report shows all the evidence: augment's mixes, the GAN's samples, the gains against cnn
    test = {m: json.loads((cell_dir(tmp_path, "augment", "100", 0) / m / "results.json").read_text())["test_accuracy"]
            for m in ("real", "real_gen", "gen")}
    for mix, folder in (("real", "real"), ("real+gen", "real_gen"), ("gen", "gen")):
        assert f"{mix} (test {test[folder]:.4f}): test confusion matrix" in page
    assert page.count("samples of the GAN it used") == 2
    assert (tmp_path / "gains-1.png").is_file() and 'alt="gains-1.png"' in page
    # an interrupted GAN (checkpoint, no results) is resumed, not retrained, when its cell runs again
    (tmp_path / "gans" / "mnist" / "dcgan-cnn-seed0" / "results.json").unlink()
    (cell_dir(tmp_path, "transfer", "100", 0) / "results.json").unlink()
    again = study("quick", tmp_path, **settings)
    records = (tmp_path / "gans" / "mnist" / "dcgan-cnn-seed0" / "metrics.jsonl").read_text().splitlines()
    assert len(records) == 1  # the finished epoch was not trained twice
    assert [s["mean"] for s in again["summary"]] == [s["mean"] for s in first["summary"]]
    assert sorted(scored) == [*gans, "dcgan-cnn-seed0"]  # only the GAN that finished again is scored again
    for gan in again["gans"]:  # seeded samples: the same scores
        assert gan["quality"] == pytest.approx(quality[gan["gan"]], rel=1e-6)
    # a filed cell is read back as it is, even when its GAN's weights are gone (a ledger keeps results, not weights)
    (tmp_path / "gans" / "mnist" / "cdcgan-seed0@100" / "checkpoint.safetensors").unlink()
    assert all(c["cached"] for c in study("quick", tmp_path, **settings)["cells"])


@pytest.mark.slow
def test_a_running_study_speaks_at_least_every_ten_seconds(tmp_path):
    """The quick preset's cadence, on a study small enough for a test: a line at most 10 s after the previous."""
    from conftest import MNIST_DIR
    command = [sys.executable, "-u", "-m", "ganclf", "study", "--preset", "quick", "--labels", "100",
               "--methods", "pca-knn,pi-model", "--data-dir", str(MNIST_DIR), "--out", str(tmp_path / "s")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    times, lines, start = [], [], time.time()
    for line in process.stdout:
        times.append(time.time())
        lines.append(line.rstrip())
    assert process.wait() == 0, "\n".join(lines[-5:])
    gaps = [b - a for a, b in zip([start, *times], times)]
    assert len(lines) >= 4 and max(gaps) <= 10.5, (max(gaps), lines)  # pi-model's epoch alone takes longer
    page = (tmp_path / "s" / "report.html").read_text()  # each cell shows what its run directory holds
    assert all(f"<figcaption>{caption}</figcaption>" in page for caption in ("losses", "loss and accuracy"))
    assert "No training curves: this method trains no epochs." in page  # pca-knn


def test_the_gain_plot_pairs_each_seed_with_cnn_and_with_the_control(tmp_path):
    from ganclf.report.figures import plot_gains
    from ganclf.report.study import _gains
    accuracy = {"cnn": (0.80, 0.82, 0.81), "cnn-shift": (0.83, 0.84, 0.82), "augment": (0.85, 0.85, 0.86)}
    rows = [{"method": m, "labels": "100", "seed": seed, "test_accuracy": a}
            for m, values in accuracy.items() for seed, a in enumerate(values)]
    gains = _gains(rows, [{"method": "augment", "control": "cnn-shift"}, {"method": "augment", "control": "cnn"}])
    against_cnn = {g["method"]: g["differences"] for g in gains["against cnn"]}
    assert against_cnn == {"augment": pytest.approx({0: 0.05, 1: 0.03, 2: 0.05}),
                           "cnn-shift": pytest.approx({0: 0.03, 1: 0.02, 2: 0.01})}
    [control] = gains["against its control"]
    assert (control["method"], control["control"]) == ("augment", "cnn-shift")
    assert control["differences"] == pytest.approx({0: 0.02, 1: 0.01, 2: 0.04}) and control["ci_low"] < 0.02
    plot_gains(gains, tmp_path / "gains.png")
    pixels = np.asarray(Image.open(tmp_path / "gains.png").convert("RGB")).astype(int)
    blue, orange = ((np.abs(pixels - colour).sum(axis=2) < 30).sum() for colour in ([31, 119, 180], [255, 127, 14]))
    assert pixels.shape[1] > 1000 and blue > 50 and orange > 50  # two panels, both series drawn


def test_a_study_that_scores_no_gan_says_so():
    from ganclf.report.study import _quality_table
    page = _quality_table([{"gan": "mnist/cdcgan-seed0@100", "used_by": ["augment"], "images": 100, "quality": None}])
    assert "<td class=\"\">not scored</td>" in page and "Not scored: the study's quality_samples is 0" in page
