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

TINY = dict(labels="100,200", seeds=2, methods="cnn-seed,pca-knn")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from conftest import MNIST_DIR
    out = tmp_path_factory.mktemp("study")
    return out, study("quick", out, data_dir=MNIST_DIR, quiet=True, **TINY)


def test_study_writes_every_cell_and_a_report(finished):
    out, results = finished
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2
    assert {(r["method"], r["labels"]) for r in rows} == {(m, b) for m in ("cnn-seed", "pca-knn") for b in ("100", "200")}
    assert all(0.1 < float(r["test_accuracy"]) <= 1 for r in rows)
    summary = {(s["method"], s["labels"]): s for s in results["summary"]}
    assert summary[("pca-knn", "200")]["seeds"] == 2
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "pca-knn" in page and "<table>" in page


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


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_in_a_real_browser(finished, tmp_path):
    out, _ = finished
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,1400", f"--screenshot={shot}",
                    (out / "report.html").as_uri()], capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    matplotlib_blue = (np.abs(pixels - [31, 119, 180]).sum(axis=2) < 30).sum()
    highlighted_best = (np.abs(pixels - [227, 244, 227]).sum(axis=2) < 6).sum()
    assert matplotlib_blue > 200  # the embedded accuracy plot was decoded and drawn
    assert highlighted_best > 500  # the comparison table is laid out with its best cells marked


CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("width", [420, 1400])
def test_report_has_no_horizontal_scroll(finished, tmp_path, width):
    out, _ = finished
    probe = tmp_path / "probe.html"  # the report is script-free; a copy measures its own layout
    script = ("<script>window.onload=()=>{document.body.setAttribute('data-overflow',"
              "document.documentElement.scrollWidth-window.innerWidth)}</script></body>")
    probe.write_text((out / "report.html").read_text().replace("</body>", script))
    dom = subprocess.run([*CHROMIUM, f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},900",
                          "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    overflow = int(dom.split('data-overflow="')[1].split('"')[0])
    assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"


def test_gan_methods_share_their_gans_and_resume_them(tmp_path):
    from conftest import MNIST_DIR
    short_gan = {"epochs": 1, "min_steps_per_epoch": 8}
    settings = dict(labels="100", seeds=1, methods="transfer,augment", gan_images="200", data_dir=MNIST_DIR,
                    quiet=True, settings={"transfer": {"epochs": 1}, "augment": {"epochs": 1, "synthetic": 100},
                                          "dcgan-cnn": short_gan, "cdcgan": short_gan})
    first = study("quick", tmp_path, **settings)
    gans = sorted(p.name for p in (tmp_path / "gans" / "mnist").iterdir())
    assert gans == ["cdcgan-seed0@100", "dcgan-cnn-seed0"]
    cells = {c["method"]: c for c in first["cells"]}
    assert cells["transfer"]["gan_dir"].endswith("dcgan-cnn-seed0")
    assert cells["augment"]["gan_dir"].endswith("cdcgan-seed0@100")
    # an interrupted GAN (checkpoint, no results) is resumed, not retrained, when its cell runs again
    (tmp_path / "gans" / "mnist" / "dcgan-cnn-seed0" / "results.json").unlink()
    (cell_dir(tmp_path, "transfer", "100", 0) / "results.json").unlink()
    again = study("quick", tmp_path, **settings)
    records = (tmp_path / "gans" / "mnist" / "dcgan-cnn-seed0" / "metrics.jsonl").read_text().splitlines()
    assert len(records) == 1  # the finished epoch was not trained twice
    assert [s["mean"] for s in again["summary"]] == [s["mean"] for s in first["summary"]]


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
