"""The study's report.html: the comparison first, then the evidence behind each number."""
from pathlib import Path

from ..files import write_atomic
from . import html
from .figures import plot_accuracy_vs_labels

# Images a cell may hold, shown for seed 0 of every cell, in this order.
CELL_IMAGES = (("samples.png", "samples"), ("curves.png", "loss and accuracy"),
               ("confusion.png", "test confusion matrix"))


def write_study_report(out: Path, config: dict, summary: list[dict], rows: list[dict], command: str,
                       demonstration: bool = False) -> Path:
    labels = list(dict.fromkeys(s["labels"] for s in summary))
    methods = list(dict.fromkeys(s["method"] for s in summary))
    plot_accuracy_vs_labels(summary, out / "accuracy_vs_labels.png", title=config["dataset"])
    best = {lab: max((s for s in summary if s["labels"] == lab), key=lambda s: s["mean"]) for lab in labels}
    lead = "Best mean test accuracy per label budget: " + "; ".join(
        f"{lab} labels: {b['method']} ({b['mean']:.4f})" for lab, b in best.items()) + "."
    if demonstration:
        lead = ("A demonstration: this preset shortens every recipe to run in minutes, so its numbers say nothing "
                "about which method is better. " + lead)
    sections = [
        html.section("Comparison", _comparison_table(summary, methods, labels, best),
                     html.figure(out / "accuracy_vs_labels.png", "test accuracy against labelled images", 650)),
        html.section("Wall time", _time_table(summary, methods, labels)),
        html.section("Runs", *[_cell_images(rows, m, lab) for m in methods for lab in labels]),
        html.section("Reproduce", html.code(command),
                     "<p>Every cell's directory (under <code>cells/</code>) holds its config, split, per-epoch metrics, "
                     "weights and results.json.</p>"),
    ]
    title = f"ganclf study: {config['dataset']}, {', '.join(labels)} labels, {config['seeds']} seed(s)"
    path = out / "report.html"
    write_atomic(path, html.page(title, lead, *sections).encode())
    return path


def _comparison_table(summary, methods, labels, best) -> str:
    by_key = {(s["method"], s["labels"]): s for s in summary}
    rows, classes = [], []
    for m in methods:
        cells = [by_key.get((m, lab)) for lab in labels]
        rows.append([m] + [_mean(s) if s else "" for s in cells])
        classes.append([""] + ["best" if s and best[s["labels"]] is s else "" for s in cells])
        reported = [s["seed_reported"] if s else None for s in cells]
        if any(reported):
            rows.append([f"  seed-reported ({next(r[1] for r in reported if r)})"] +
                        [f"{r[0]:.4f}" if r else "" for r in reported])
            classes.append(["ref"] * (len(labels) + 1))
    seeds = max(s["seeds"] for s in summary)
    return (html.table(["method"] + [f"{lab} labels" for lab in labels], rows, classes) +
            f"<p>Mean ± standard deviation of test accuracy over {seeds} seed(s); best per budget highlighted. "
            "Models and hyperparameters were selected on a fixed 5,000-image validation split.</p>")


def _mean(s: dict) -> str:
    return f"{s['mean']:.4f} ± {s['std']:.4f}" if s["std"] is not None else f"{s['mean']:.4f} (n = 1)"


def _time_table(summary, methods, labels) -> str:
    by_key = {(s["method"], s["labels"]): s for s in summary}
    rows = [[m] + [f"{by_key[(m, lab)]['wall_time_s']:.0f} s" if (m, lab) in by_key else "" for lab in labels]
            for m in methods]
    return html.table(["method"] + [f"{lab} labels" for lab in labels], rows) + "<p>Summed over seeds.</p>"


def _cell_images(rows, method, labels) -> str:
    row = next((r for r in rows if r["method"] == method and r["labels"] == labels), None)
    if row is None:
        return ""
    run, gan = Path(row["run_dir"]), Path(row["gan_dir"]) if row.get("gan_dir") else None
    places = [(gan, "samples.png", "GAN samples"), (gan, "losses.png", "GAN losses")] if gan else []
    places += [(run, name, caption) for name, caption in CELL_IMAGES]
    figures = [html.figure(d / name, caption, 420) for d, name, caption in places if (d / name).exists()]
    title = f"{method} @ {labels} labels (seed {row['seed']}): test {row['test_accuracy']:.4f}"
    return html.section(title, f"<div class='grid'>{''.join(figures)}</div>", collapsed=True)
