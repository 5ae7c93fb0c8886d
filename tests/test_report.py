"""The study report from made-up rows: what the study shows comes first, the verdict grid after it; one seed is
never ranked; short or failed GANs are flagged; a Holm column appears only where the verdict rows carry it."""
import json

from ganclf.report.study import write_study_report
from ganclf.studies import summarise, verdicts

PAIRS = [("augment", "cnn-shift"), ("augment", "cnn")]
CONFIG = {"datasets": ["mnist"], "labels": ["100", "1000"], "seeds": 1, "settings": {}}


def rows(tmp_path, seeds=(0,)):
    gan = tmp_path / "gans" / "cdcgan-seed0"
    gan.mkdir(parents=True, exist_ok=True)
    made = []
    for method, base in (("cnn", 0.80), ("cnn-shift", 0.82), ("augment", 0.85)):
        for labels in ("100", "1000"):
            for seed in seeds:
                run = tmp_path / "cells" / method / f"seed{seed}@{labels}"
                run.mkdir(parents=True, exist_ok=True)
                (run / "results.json").write_text(json.dumps({"test_accuracy": base}))
                made.append({"dataset": "mnist", "validation": None, "method": method, "labels": labels,
                             "seed": seed, "n_labelled": int(labels), "n_validation": 5000,
                             "labels_used": int(labels) + 5000,
                             "test_accuracy": base + 0.01 * seed + 0.001 * len(labels),
                             "wall_time_s": 10.0, "gan": "mnist/cdcgan-seed0" if method == "augment" else None,
                             "gan_dir": str(gan) if method == "augment" else None, "run_dir": str(run)})
    return made


def report(tmp_path, made, verdict=None, gans=()):
    verdict = verdicts(made, PAIRS) if verdict is None else verdict
    path = write_study_report(tmp_path, CONFIG, summarise(made), verdict, made, "ganclf study --preset quick",
                              demonstration=True, gans=list(gans))
    return path.read_text()


def test_one_seed_is_not_ranked_and_the_caption_says_what_cells_show(tmp_path):
    page = report(tmp_path, rows(tmp_path))
    assert 'class="best"' not in page and "highlighted" not in page
    assert "Test accuracy of one seed: no spread, no interval, no ranking." in page
    assert "± std" not in page and "(n = 1)" not in page
    assert "one seed: no verdict" in page
    # what the study shows comes before the verdict grid
    assert page.index("Test accuracy: mnist") < page.index("<h2>Verdict</h2>")


def test_several_seeds_rank_and_show_their_interval(tmp_path):
    page = report(tmp_path, rows(tmp_path, seeds=(0, 1, 2)))
    assert page.count('class="best"') >= 2  # augment, best at each budget
    assert "95% interval of the mean" in page and "n = 3" in page


def test_the_verdict_grid_has_a_row_per_comparison_and_a_column_per_budget(tmp_path):
    page = report(tmp_path, rows(tmp_path, seeds=(0, 1, 2)))
    grid = page[page.index("<h2>Verdict</h2>"):page.index("<details><summary>Verdict details")]
    assert "<th>comparison</th><th>100 labels</th><th>1000 labels</th></tr>" in grid
    assert grid.count("<tr>") == 3 and "augment − cnn-shift" in grid and "Holm" not in grid


def test_a_holm_column_appears_where_the_rows_carry_it(tmp_path):
    made = rows(tmp_path, seeds=(0, 1, 2))
    verdict = [{**v, "holm_p": 0.02, "holm_verdict": "helps"} for v in verdicts(made, PAIRS)]
    page = report(tmp_path, made, verdict)
    assert "<th>100: Holm</th>" in page and "p = 0.020<br>helps" in page and "<th>Holm p</th>" in page


def test_short_or_failed_gans_are_flagged(tmp_path):
    gans = [{"gan": "mnist/cdcgan-seed0", "used_by": ["augment"], "images": 100, "epochs": 2,
             "quality": {"fid": 250.0, "precision": 0.0, "recall": 0.0, "n_samples": 2000}},
            {"gan": "mnist/cdcgan-seed1", "used_by": ["augment"], "images": 100, "epochs": 40,
             "quality": {"fid": 5.0, "precision": 0.7, "recall": 0.6, "n_samples": 2000}}]
    page = report(tmp_path, rows(tmp_path), gans=gans)
    assert "mnist/cdcgan-seed0<br>flagged: short: 2 epochs; precision 0.000: unlike the real images" in page
    assert page.count('<td class="worse">') == 1 and "describe an untrained GAN" in page
