"""The study's report.html: the verdict first (each GAN method against its control, paired over seeds), then the
accuracies, the time, each cell's evidence and how to reproduce it."""
from html import escape
from pathlib import Path

from ..files import write_atomic
from ..provenance import provenance
from . import html
from .figures import plot_accuracy_vs_labels

# Images a cell may hold, shown for its first seed, in this order.
CELL_IMAGES = (("samples.png", "samples"), ("curves.png", "loss and accuracy"),
               ("confusion.png", "test confusion matrix"))
VERDICT_CLASS = {"helps": "best", "hurts": "worse"}


def write_study_report(out: Path, config: dict, summary: list[dict], verdict: list[dict], rows: list[dict],
                       command: str, demonstration: bool = False) -> Path:
    groups = list(dict.fromkeys((s["dataset"], s["validation"]) for s in summary))
    sections = [html.section("Verdict", _verdict(verdict, demonstration))]
    for dataset, validation in groups:
        part = [s for s in summary if (s["dataset"], s["validation"]) == (dataset, validation)]
        figure = out / f"accuracy_vs_labels-{len(sections)}.png"
        plot_accuracy_vs_labels(part, figure, title=f"{dataset}, {_protocol(validation, part)}")
        sections.append(html.section(f"Test accuracy: {dataset}, {_protocol(validation, part)}",
                                     _comparison_table(part), html.figure(figure, "mean test accuracy (bars: 95% "
                                                                          "interval over seeds) against labels")))
    sections += [html.section("Wall time", _time_table(rows)),
                 html.section("Runs", *[_cell_images(rows, key) for key in dict.fromkeys(_cell_key(r) for r in rows)]),
                 html.section("Reproduce", html.code(command), _provenance(config))]
    title = (f"ganclf study: {', '.join(config['datasets'])}, {', '.join(config['labels'])} labels, "
             f"{config['seeds']} seed(s)")
    path = out / "report.html"
    write_atomic(path, html.page(title, _lead(verdict, demonstration), *sections).encode())
    return path


def _lead(verdict: list[dict], demonstration: bool) -> str:
    if demonstration:
        return ("A demonstration: this preset shortens every recipe to run in minutes, so its numbers say nothing "
                "about which method is better. Run --preset verdict for the answer.")
    helps = [v for v in verdict if v["verdict"] == "helps"]
    if not verdict:
        return "No GAN method ran beside its control, so this study gives no verdict."
    if not helps:
        return (f"No GAN method beat its comparison in any of {len(verdict)} paired tests (95% intervals over "
                "seeds); see the verdict table.")
    return "Where a GAN helped (95% paired interval above zero): " + "; ".join(v["sentence"] for v in helps) + "."


def _verdict(verdict: list[dict], demonstration: bool) -> str:
    if not verdict:
        return "<p>No method ran beside its control.</p>"
    rows, classes = [], []
    for v in verdict:
        interval = f"[{v['ci_low']:+.4f}, {v['ci_high']:+.4f}]" if v["ci_low"] is not None else "n/a"
        rows.append([v["dataset"], _protocol(v["validation"], [v]), v["labels"], f"{v['method']} − {v['control']}",
                     f"{v['mean']:+.4f}" if v["mean"] is not None else "", interval, v["n"], v["verdict"],
                     f"{v['labels_used']:,}" if v.get("labels_used") else ""])
        classes.append([""] * 7 + [VERDICT_CLASS.get(v["verdict"], ""), ""])
    note = ("<p>Each row pairs a GAN method with a method that differs from it by the GAN alone (or with the CNN), "
            "seed by seed on the same labelled images: the mean difference in test accuracy, its 95% t-interval, "
            "and the verdict: <b>helps</b> or <b>hurts</b> when the interval excludes zero, else <b>no detectable "
            "difference</b> at that many seeds. Labels used counts every labelled image the number cost, "
            "validation included.</p>")
    if demonstration:
        note += "<p class='banner'>Demonstration preset: shortened recipes, too few seeds for a verdict.</p>"
    header = ["dataset", "protocol", "labels", "comparison", "difference", "95% interval", "seeds", "verdict",
              "labels used"]
    return html.table(header, rows, classes) + note


def _protocol(validation, part: list[dict]) -> str:
    if validation == 0:
        return "no validation labels"
    n = next((p.get("n_validation") for p in part if p.get("n_validation")), None)
    return f"{n:,} validation labels" if n else "default validation"


def _mean(s: dict) -> str:
    if s["std"] is None:
        return f"{s['mean']:.4f} (n = 1)"
    return f"{s['mean']:.4f} ± {s['std']:.4f} [{s['ci_low']:.4f}, {s['ci_high']:.4f}] (n = {s['seeds']})"


def _comparison_table(summary: list[dict]) -> str:
    labels = list(dict.fromkeys(s["labels"] for s in summary))
    methods = list(dict.fromkeys(s["method"] for s in summary))
    by_key = {(s["method"], s["labels"]): s for s in summary}
    best = {lab: max((s for s in summary if s["labels"] == lab), key=lambda s: s["mean"]) for lab in labels}
    rows, classes = [], []
    for m in methods:
        cells = [by_key.get((m, lab)) for lab in labels]
        reported = [s["seed_reported"] for s in cells if s and s["seed_reported"]]
        rows.append([m] + [_mean(s) if s else "" for s in cells] +
                    ["; ".join(f"{r[0]:.4f} ({r[1]})" for r in reported)])
        classes.append([""] + ["best" if s is not None and best[s["labels"]] is s else "" for s in cells] + ["ref"])
    used = ", ".join(f"{lab}: {by_key[(methods[0], lab)]['labels_used']:,}" for lab in labels
                     if by_key.get((methods[0], lab)) and by_key[(methods[0], lab)].get("labels_used"))
    return (html.table(["method"] + [f"{lab} labels" for lab in labels] + ["seed projects reported"], rows, classes) +
            "<p>Mean ± standard deviation of test accuracy over seeds, [95% interval of the mean], best per budget "
            f"highlighted. Labels used per budget, validation included: {used or 'n/a'}. The last column is what "
            "the seed projects this toolkit grew from reported for the same method and budget (their code, their "
            "selection), for orientation only.</p>")


def _time_table(rows: list[dict]) -> str:
    table = {}
    for r in rows:
        key = (r["dataset"], r["method"], r["labels"])
        t = table.setdefault(key, [0.0, 0.0])
        t[0] += r["wall_time_s"]
        t[1] += r.get("gan_wall_time_s") or 0.0
    body = [[d, m, lab, f"{own:.0f} s", f"{gan:.0f} s" if gan else "", f"{own + gan:.0f} s"]
            for (d, m, lab), (own, gan) in table.items()]
    return (html.table(["dataset", "method", "labels", "classifier", "GAN it used", "total"], body) +
            "<p>Summed over seeds. A shared GAN is counted in full for every cell that used it.</p>")


def _cell_key(r: dict) -> tuple:
    return r["dataset"], r["validation"], r["method"], r["labels"]


def _cell_images(rows, key) -> str:
    row = next(r for r in rows if _cell_key(r) == key)
    run, gan = Path(row["run_dir"]), Path(row["gan_dir"]) if row.get("gan_dir") else None
    places = [(gan, "samples.png", "GAN samples"), (gan, "losses.png", "GAN losses")] if gan else []
    places += [(run, name, caption) for name, caption in CELL_IMAGES]
    figures = [html.figure(d / name, caption) for d, name, caption in places if (d / name).exists()]
    title = f"{row['dataset']}: {row['method']} @ {row['labels']} labels (seed {row['seed']}): test " \
            f"{row['test_accuracy']:.4f}"
    return html.section(title, f"<div class='grid'>{''.join(figures)}</div>", collapsed=True)


def _provenance(config: dict) -> str:
    p = provenance()
    facts = {"date": p["created"], "ganclf": p["ganclf"], "commit": f"{p['git_commit'] or 'unknown'}"
             f"{' (uncommitted changes)' if p['git_dirty'] else ''}", "device": p["device"], "threads": p["threads"],
             "torch": p["torch"], "settings beyond the presets' defaults": config.get("settings") or "none"}
    items = "".join(f"<li><b>{escape(k)}</b>: {escape(str(v))}</li>" for k, v in facts.items())
    return ("<p>Every cell's directory (under <code>cells/</code>) holds its config, split, per-epoch metrics, "
            f"weights and results.json (with its own provenance).</p><ul>{items}</ul>")
