"""The study's report.html: first what the study shows (test accuracy per method and budget, the gains seed by
seed, the GANs' samples), then the verdict grid (each comparison at each budget: the paired difference and its
verdict), the shared GANs' quality, the time, each cell's evidence and how to reproduce it."""
from html import escape
from pathlib import Path

from .. import stats
from ..files import write_atomic
from ..names import METHOD_KIND_LINES, METHOD_KINDS, method_kind
from ..provenance import provenance
from ..runs import read_json
from . import html
from .figures import plot_accuracy_vs_labels, plot_gains

# Images a cell's run directory may hold, shown for its first seed, in this order: its GAN's (the shared GAN's
# folder), its own (ssl-gan trains a generator of its own), then those of the classifiers it trained in
# sub-folders (augment: one per mix).
GAN_IMAGES = (("samples.png", "samples of the GAN it used"), ("losses.png", "that GAN's losses"))
CELL_IMAGES = (("samples.png", "samples of its generator"), ("losses.png", "losses"),
               ("curves.png", "loss and accuracy"), ("confusion.png", "test confusion matrix"))
CLASSIFIER_IMAGES = CELL_IMAGES[2:]
VERDICT_CLASS = {"helps": "best", "hurts": "worse"}
QUALITY = (("fid", "FID", 2), ("precision", "precision", 3), ("recall", "recall", 3),
           ("label_accuracy", "label accuracy", 3), ("cas", "CAS", 4))
# A shared GAN this short, or this far from the real images, is flagged: its numbers describe an untrained GAN.
SHORT_GAN_EPOCHS = 5
LOW_PRECISION = 0.05
SAMPLES_PX = 180  # two sample grids side by side in a 420 px window; 18 px a digit


def write_study_report(out: Path, config: dict, summary: list[dict], verdict: list[dict], rows: list[dict],
                       command: str, demonstration: bool = False, gans: list[dict] = ()) -> Path:
    groups = list(dict.fromkeys((s["dataset"], s["validation"]) for s in summary))
    sections = [_accuracy_section(out, i, dataset, validation, summary, verdict, rows)
                for i, (dataset, validation) in enumerate(groups)]
    samples = _samples(rows)
    if samples:
        sections.append(html.section("Samples", samples))
    sections.append(html.section("Verdict", _verdict(verdict, demonstration)))
    if gans:
        sections.append(html.section("Shared GANs: quality", _quality_table(gans)))
    sections += [html.section("Wall time", _time_table(rows)),
                 html.section("Runs", *[_cell_images(rows, key) for key in dict.fromkeys(_cell_key(r) for r in rows)]),
                 html.section("Reproduce", html.code(command), _provenance(config))]
    title = (f"ganclf study: {', '.join(config['datasets'])}, {', '.join(config['labels'])} labels, "
             f"{config['seeds']} seed(s)")
    path = out / "report.html"
    write_atomic(path, html.page(title, _lead(verdict, demonstration), *sections).encode())
    return path


def _accuracy_section(out: Path, i: int, dataset: str, validation, summary, verdict, rows) -> str:
    """The accuracy table of one dataset and protocol, accuracy against labels, and the gains seed by seed."""
    def mine(items):
        return [x for x in items if (x["dataset"], x["validation"]) == (dataset, validation)]

    part = mine(summary)
    title = f"{dataset}, {_protocol(validation, part)}"
    figure = out / f"accuracy_vs_labels-{i + 1}.png"
    plot_accuracy_vs_labels(part, figure, title=title)
    several = any(s["seeds"] > 1 for s in part)
    parts = [_comparison_table(part), html.figure(figure, "mean test accuracy (bars: 95% interval over seeds) "
                                                  "against labels" if several else "test accuracy against labels")]
    gains = _gains(mine(rows), mine(verdict))
    if any(gains.values()):
        figure = out / f"gains-{i + 1}.png"
        plot_gains(gains, figure, title=title)
        parts.append(html.figure(figure, "each GAN method and its control against cnn, and each GAN method "
                                 "against its control: the difference in test accuracy seed by seed (dots, same "
                                 "labelled images on both sides), its mean (diamond) and 95% interval (bar); above "
                                 "zero the first method scored higher"))
    return html.section(f"Test accuracy: {title}", *parts)


def _samples(rows: list[dict]) -> str:
    """The images of each generator the study trained, once per method and dataset (its first cell's)."""
    figures, shown = [], set()
    for r in rows:
        for folder, what in ((r.get("gan_dir"), "its shared GAN"), (r["run_dir"], "its own generator")):
            image = Path(folder) / "samples.png" if folder else None
            if image and image.exists() and (r["dataset"], r["method"]) not in shown:
                shown.add((r["dataset"], r["method"]))
                figures.append(html.figure(image, f"{r['method']}, {what} ({r['dataset']}, {r['labels']} labels, "
                                                  f"seed {r['seed']})", width=SAMPLES_PX))
    return f"<div class='grid'>{''.join(figures)}</div>" if figures else ""


def _gains(rows: list[dict], verdict: list[dict]) -> dict:
    """The paired differences the gain plot draws: each method of the verdict's comparisons against cnn (GAN
    methods and their controls alike), and each GAN method against a control other than cnn."""
    pairs = list(dict.fromkeys((v["method"], v["control"]) for v in verdict))
    names = [m for m in dict.fromkeys(m for pair in pairs for m in pair) if m != "cnn"]
    against_cnn = [(m, "cnn") for m in names] if any(r["method"] == "cnn" for r in rows) else []
    return {"against cnn": stats.verdict_table(rows, against_cnn),
            "against its control": stats.verdict_table(rows, [p for p in pairs if p[1] != "cnn"])}


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
    """One grid per dataset and protocol: a row per comparison, a column per budget, each cell the mean paired
    difference and its verdict (and, where the verdict rows carry it, the Holm-adjusted verdict beside it)."""
    if not verdict:
        return "<p>No method ran beside its control.</p>"
    holm = any("holm_p" in v for v in verdict)
    groups = list(dict.fromkeys((v["dataset"], v["validation"]) for v in verdict))
    grids = []
    for dataset, validation in groups:
        mine = [v for v in verdict if (v["dataset"], v["validation"]) == (dataset, validation)]
        budgets = list(dict.fromkeys(v["labels"] for v in mine))
        by_key = {(v["method"], v["control"], v["labels"]): v for v in mine}
        header = ["comparison"]
        for b in budgets:
            header += [f"{b} labels"] + ([f"{b}: Holm"] if holm else [])
        rows, classes = [], []
        for method, control in dict.fromkeys((v["method"], v["control"]) for v in mine):
            row, cls = [f"{method} − {control}"], [""]
            for b in budgets:
                v = by_key.get((method, control, b))
                row.append(_verdict_cell(v))
                cls.append(VERDICT_CLASS.get(v["verdict"], "") if v else "")
                if holm:
                    row.append(_holm_cell(v))
                    cls.append(VERDICT_CLASS.get(v.get("holm_verdict"), "") if v else "")
            rows.append(row)
            classes.append(cls)
        title = f"<h3>{escape(dataset)}, {escape(_protocol(validation, mine))}</h3>" if len(groups) > 1 else ""
        grids.append(title + html.table(header, rows, classes))
    note = ("<p>Each cell: the mean difference in test accuracy between the two methods, seed by seed on the same "
            "labelled images (above zero: the first scored higher), and the verdict: <b>helps</b> or <b>hurts</b> "
            "when its 95% t-interval excludes zero, else <b>no detectable difference</b> at that many seeds; one "
            "seed gives no interval and no verdict.")
    if holm:
        note += (" The Holm columns test the same differences with p-values adjusted by Holm's method over the "
                 "study's declared family of comparisons.")
    note += " Intervals, seeds and labels used are in the details below.</p>"
    if demonstration:
        note += "<p class='banner'>Demonstration preset: shortened recipes, too few seeds for a verdict.</p>"
    return "".join(grids) + note + html.section("Verdict details", _verdict_details(verdict, holm), collapsed=True)


def _verdict_cell(v: dict | None) -> str:
    if v is None:
        return ""
    difference = f"{v['mean']:+.3f}" if v["mean"] is not None else "n/a"
    word = "one seed: no verdict" if v["verdict"] == "not enough seeds" and v["n"] == 1 else v["verdict"]
    return f"{difference}\n{word}"


def _holm_cell(v: dict | None) -> str:
    if v is None or v.get("holm_p") is None:
        return ""
    return f"p = {v['holm_p']:.3f}\n{v.get('holm_verdict', '')}"


def _verdict_details(verdict: list[dict], holm: bool) -> str:
    rows = []
    for v in verdict:
        interval = f"[{v['ci_low']:+.4f}, {v['ci_high']:+.4f}]" if v["ci_low"] is not None else "none (one seed)"
        rows.append([v["dataset"], _protocol(v["validation"], [v]), v["labels"], f"{v['method']} − {v['control']}",
                     f"{v['mean']:+.4f}" if v["mean"] is not None else "", interval, v["n"], v["verdict"],
                     f"{v['labels_used']:,}" if v.get("labels_used") else ""] +
                    ([f"{v['holm_p']:.4f}" if v.get("holm_p") is not None else "", v.get("holm_verdict", "")]
                     if holm else []))
    header = ["dataset", "protocol", "labels", "comparison", "difference", "95% interval", "seeds", "verdict",
              "labels used"] + (["Holm p", "Holm verdict"] if holm else [])
    return html.table(header, rows) + ("<p>Labels used counts every labelled image the number cost, validation "
                                       "included.</p>")


def _protocol(validation, part: list[dict]) -> str:
    if validation == 0:
        return "no validation labels"
    n = next((p.get("n_validation") for p in part if p.get("n_validation")), None)
    return f"{n:,} validation labels" if n else "default validation"


def _mean(s: dict) -> str:
    if s["std"] is None:
        return f"{s['mean']:.4f}"
    return f"{s['mean']:.4f} ± {s['std']:.4f}\n[{s['ci_low']:.4f}, {s['ci_high']:.4f}], n = {s['seeds']}"


def _comparison_table(summary: list[dict]) -> str:
    """Test accuracy, a row per method and a column per budget; the best of a budget highlighted only where every
    method of that budget ran over two seeds or more (one seed ranks noise)."""
    labels = list(dict.fromkeys(s["labels"] for s in summary))
    kind = {m: method_kind(m) for m in dict.fromkeys(s["method"] for s in summary)}
    methods = sorted(kind, key=lambda m: list(METHOD_KINDS).index(kind[m]))  # grouped by kind, plan order within
    by_key = {(s["method"], s["labels"]): s for s in summary}
    best = {lab: max(ss, key=lambda s: s["mean"]) for lab in labels
            if (ss := [s for s in summary if s["labels"] == lab]) and all(s["seeds"] > 1 for s in ss)}
    reported_any = any(s["seed_reported"] for s in summary)
    rows, classes = [], []
    for m in methods:
        cells = [by_key.get((m, lab)) for lab in labels]
        reported = [s["seed_reported"] for s in cells if s and s["seed_reported"]]
        rows.append([f"{m}\n{METHOD_KIND_LINES[kind[m]]}"] + [_mean(s) if s else "" for s in cells] +
                    (["; ".join(f"{r[0]:.4f} ({r[1]})" for r in reported)] if reported_any else []))
        classes.append([""] + ["best" if s is not None and best.get(s["labels"]) is s else "" for s in cells] +
                       (["ref"] if reported_any else []))
    used = ", ".join(f"{lab}: {by_key[(methods[0], lab)]['labels_used']:,}" for lab in labels
                     if by_key.get((methods[0], lab)) and by_key[(methods[0], lab)].get("labels_used"))
    header = (["method"] + [f"{lab} labels" for lab in labels]
              + (["original projects reported"] if reported_any else []))
    seeds = {s["seeds"] for s in summary}
    if seeds == {1}:
        shows = "Test accuracy of one seed: no spread, no interval, no ranking."
    else:
        shows = ("Mean test accuracy over seeds ± standard deviation, [95% interval of the mean], n = seeds"
                 + ("; a bare number is one seed" if 1 in seeds else "")
                 + ("; the best of a budget highlighted" if best else "") + ".")
    reported_note = (" The last column is what the original projects this toolkit grew from reported for the same "
                     "method and budget (their code, their selection), for orientation only." if reported_any else "")
    return html.table(header, rows, classes) + (
        f"<p>{shows} Labels used per budget, validation included: {used or 'n/a'}.{reported_note}</p>")


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
    places = [(gan, name, caption) for name, caption in GAN_IMAGES] if gan else []
    places += [(run, name, caption) for name, caption in CELL_IMAGES]
    for sub, mix in _sub_runs(run):
        places += [(sub, name, f"{mix}: {caption}") for name, caption in CLASSIFIER_IMAGES]
    shown = [(d, name, caption) for d, name, caption in places if (d / name).exists()]
    figures = "".join(html.figure(d / name, caption) for d, name, caption in shown)
    note = "" if any(name == "curves.png" for _, name, _ in shown) else \
        "<p>No training curves: this method trains no epochs.</p>"
    title = f"{row['dataset']}: {row['method']} @ {row['labels']} labels (seed {row['seed']}): test " \
            f"{row['test_accuracy']:.4f}"
    return html.section(title, f"<div class='grid'>{figures}</div>{note}", collapsed=True)


def _sub_runs(run: Path) -> list[tuple[Path, str]]:
    """The classifiers a cell trained in sub-folders of its run directory (augment: one per mix), each with its
    name and test accuracy, in the order the cell's results list its mixes."""
    order = list(read_json(run / "results.json").get("mixes", {}))
    subs = []
    for path in sorted(run.glob("*/results.json")):
        results = read_json(path)
        name = results.get("mix") or path.parent.name
        subs.append((order.index(name) if name in order else len(order), path.parent,
                     f"{name} (test {results['test_accuracy']:.4f})"))
    return [(folder, name) for _, folder, name in sorted(subs)]


def _quality_table(gans: list[dict]) -> str:
    rows, notes = [], [_gan_note(g) for g in gans]
    for g, note in zip(gans, notes):  # the flag in the first column, so a narrow window shows it too
        q = g["quality"] or {}
        rows.append([g["gan"] + (f"\nflagged: {note}" if note else ""), ", ".join(g["used_by"]),
                     f"{g['images']:,}" if g["images"] else "",
                     *[f"{q[key]:.{digits}f}" if key in q else "" for key, _, digits in QUALITY],
                     f"{q['n_samples']:,}" if q else "not scored"])
    counts = sorted({g["quality"]["n_samples"] for g in gans if g["quality"]})
    flagged = [["worse" if note else ""] + [""] * (len(r) - 1) for r, note in zip(rows, notes)]
    table = html.table(["GAN", "used by", "trained on (images)", *[name for _, name, _ in QUALITY], "samples"], rows,
                       flagged)
    if any(notes):
        table += ("<p class='banner'>A flagged GAN trained too few epochs, or makes images unlike the real ones "
                  f"(precision below {LOW_PRECISION}): its scores, and the numbers of the methods that used it, "
                  "describe an untrained GAN, not the method.</p>")
    if not counts:
        return table + ("<p>Not scored: the study's quality_samples is 0 (<code>ganclf evaluate-gan --run "
                        "OUT/gans/NAME</code> scores one).</p>")
    return table + (
        f"<p>Scored on {' / '.join(f'{n:,}' for n in counts)} generated images each, against as many real test "
        "images, in the features of a CNN trained on the dataset (once, cached; what <code>ganclf evaluate-gan"
        "</code> measures): FID (lower: closer to the real images), "
        "precision (the share of generated images that look like some real one) and recall (the share of real "
        "images the generated ones cover), and for conditional GANs label accuracy (how often that CNN gives a "
        "generated image its intended class) and CAS (the study's cnn recipe trained on the generated images "
        "alone, tested on the real test images). FID falls as the number of images grows: compare numbers of one "
        "sample count only.</p>")


def _gan_note(g: dict) -> str:
    """Why a shared GAN's numbers say little: too few epochs, or images unlike the real ones."""
    notes = []
    if g.get("epochs") is not None and g["epochs"] < SHORT_GAN_EPOCHS:
        notes.append(f"short: {g['epochs']} epoch{'s' if g['epochs'] != 1 else ''}")
    precision = (g.get("quality") or {}).get("precision")
    if precision is not None and precision < LOW_PRECISION:
        notes.append(f"precision {precision:.3f}: unlike the real images")
    return "; ".join(notes)


def _provenance(config: dict) -> str:
    p = provenance()
    facts = {"date": p["created"], "ganclf": p["ganclf"], "commit": f"{p['git_commit'] or 'unknown'}"
             f"{' (uncommitted changes)' if p['git_dirty'] else ''}", "device": p["device"], "threads": p["threads"],
             "torch": p["torch"], "settings beyond the presets' defaults": config.get("settings") or "none"}
    items = "".join(f"<li><b>{escape(k)}</b>: {escape(str(v))}</li>" for k, v in facts.items())
    return ("<p>Every cell's directory (under <code>cells/</code>) holds its config, split, per-epoch metrics, "
            f"weights and results.json (with its own provenance).</p><ul>{items}</ul>")
