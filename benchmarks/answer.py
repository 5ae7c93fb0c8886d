"""The README's answer table, generated from the verdict result files, never typed.

Each GAN method against its control (the same network, steps and selection without the GAN), per dataset and
protocol: the paired difference in test accuracy over seeds, its raw 95% interval, and the verdict after Holm's
adjustment over the family the table reads together. A declared study's file (benchmarks/verdict.py --plan) brings
its own family and adjusted p-values; the earlier CPU parts, which predate declared families, are adjusted here as
one family of every GAN-versus-control row they hold (their p-values follow from their stored t-intervals).

    python benchmarks/answer.py            # rewrite README.md's answer section and benchmarks/results/answer.json
"""
import json
import re

from scipy import stats as st

from common import RESULTS, ROOT

from ganclf.stats import adjust_family

NAMES = {("ssl-gan", "pi-model"): "semi-supervised GAN (`ssl-gan` − `pi-model`)",
         ("transfer", "transfer-scratch"): "GAN discriminator transferred (`transfer` − `transfer-scratch`)",
         ("augment", "cnn-shift"): "cGAN images added (`augment` − `cnn-shift`)"}
# the rival a practitioner would pick instead: declared as secondary comparisons, raw intervals, no control
RIVALS = {("ssl-gan", "fixmatch"): "semi-supervised GAN against FixMatch (`ssl-gan` − `fixmatch`)*",
          ("fixmatch", "cnn"): "FixMatch over the plain CNN (`fixmatch` − `cnn`)*"}
# (results file, what its numbers are), read in this order; a fair, declared study goes first once it has numbers
SOURCES = {
    "fair": ["verdict_100_realistic"],
    "earlier": ["verdict_cpu", "verdict_cpu_transfer", "verdict_cpu_augment", "verdict_cpu_fashion",
                "verdict_cpu_noval"],
}
START, END = "<!-- answer:start -->", "<!-- answer:end -->"
FAIR_COLUMNS = ["MNIST, no validation labels", "Fashion-MNIST, no validation labels"]


def gan_rows(name: str, pairs=NAMES) -> list[dict]:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return []
    summary = json.loads(path.read_text())["summary"]
    rows = [dict(r, source=name, declaration=summary.get("declaration")) for r in summary["verdict"]
            if (r["method"], r["control"]) in pairs and r.get("n", 0) >= 2]
    for r in rows:
        r.setdefault("p_value", p_from_interval(r))
    return rows


def p_from_interval(row: dict) -> float:
    """The paired t-test's p-value that a stored 95% t-interval implies (mean and half-width over n seeds)."""
    se = (row["ci_high"] - row["mean"]) / st.t.ppf(0.975, row["n"] - 1)
    return 1.0 if se == 0 else float(2 * st.t.sf(abs(row["mean"]) / se, row["n"] - 1))


def table(rows: list[dict]) -> dict:
    """{(method, column): row} with holm_verdict; a file with its own declared family keeps its adjustment."""
    declared = [r for r in rows if "primary" in r]
    undeclared = adjust_family([r for r in rows if "primary" not in r])
    return {(r["method"], r["control"], column(r)): r for r in declared + undeclared}


def column(row: dict) -> str:
    dataset = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(row["dataset"], row["dataset"])
    return f"{dataset}, {'no validation labels' if row['validation'] == 0 else '5,000 validation labels'}"


def cell(row: dict | None) -> str:
    if row is None:
        return "not yet measured"
    if not row.get("primary", True):  # a secondary comparison: its raw interval is all there is
        word = {"helps": "**better**", "hurts": "**worse**"}.get(row["verdict"], "no detectable difference")
        return f"{row['mean']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] {word} ({row['n']} seeds, raw)"
    word = {"helps": "**helps**", "hurts": "**hurts**"}.get(row["holm_verdict"], "no detectable difference")
    return (f"{row['mean']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] {word} "
            f"({row['n']} seeds{', raw: ' + row['verdict'] if row['verdict'] != row['holm_verdict'] else ''})")


def markdown(cells: dict, note: str, columns: list | None = None, pairs=NAMES) -> str:
    columns = columns or list(dict.fromkeys(c for *_, c in cells))
    lines = ["| GAN use | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for pair, name in pairs.items():
        lines.append(f"| {name} | " + " | ".join(cell(cells.get((*pair, c))) for c in columns) + " |")
    return "\n".join(lines) + "\n\n" + note


def fair_summary() -> dict:
    return json.loads((RESULTS / f"{SOURCES['fair'][0]}.json").read_text())["summary"]


def accuracies(summary: dict) -> str:
    """Each method's mean test accuracy in the fair study so far, best first, a sentence per dataset."""
    sentences = []
    for dataset in dict.fromkeys(r["dataset"] for r in summary["accuracy"]):
        rows = sorted((r for r in summary["accuracy"] if r["dataset"] == dataset), key=lambda r: -r["mean"])
        listed = ", ".join(f"`{r['method']}` {r['mean']:.3f} ({r['seeds']})" for r in rows)
        sentences.append(f"{column({'dataset': dataset, 'validation': 0}).split(',')[0]}: {listed}.")
    return "Mean test accuracy so far (seeds): " + " ".join(sentences)


def main() -> None:
    fair = [r for name in SOURCES["fair"] for r in gan_rows(name, {**NAMES, **RIVALS})]
    earlier = [r for name in SOURCES["earlier"] for r in gan_rows(name)]
    earlier_note = (f"The earlier CPU parts of the verdict, Holm-adjusted over these {len(earlier)} comparisons (raw 95% "
                    "intervals shown). **Not fair**: `augment` trained ~4x its control's optimizer steps and the "
                    "controls ran recipes tuned for their GAN arm (without validation labels `pi-model`, on a "
                    "consistency term chosen with a generator, collapses to 0.42).")
    summary = fair_summary() if fair else None
    fair_note = (f"The fair verdict, declared in `plans/verdict-100-realistic.toml` ("
                 f"{summary['cells_finished']} of {summary['cells_declared']} cells measured" if fair else "not started")
    fair_note += ("; 100 labels a number): Holm-adjusted over its declared family of 6 (hypotheses not measured yet "
                  "count as p = 1); raw 95% intervals shown. \\* Secondary comparisons, declared but outside the "
                  "family: raw intervals only; FixMatch trains the CNN, `ssl-gan` an MLP discriminator, so that row "
                  "compares methods, not the GAN alone.")
    if fair:
        fair_note += " " + accuracies(summary)
    fair_cells, earlier_cells = table(fair), table(earlier)
    text = (markdown(fair_cells, fair_note, FAIR_COLUMNS, {**NAMES, **RIVALS}) + "\n\n"
            + markdown(earlier_cells, earlier_note))
    cells = {**{("fair",) + k: v for k, v in fair_cells.items()}, **earlier_cells}
    readme = (ROOT / "README.md").read_text()
    if START in readme:
        readme = re.sub(f"{START}.*?{END}", f"{START}\n{text}\n{END}", readme, flags=re.S)
        (ROOT / "README.md").write_text(readme)
    (RESULTS / "answer.json").write_text(json.dumps({"notes": [fair_note, earlier_note], "rows": [
        {k: r.get(k) for k in ("source", "dataset", "validation", "labels", "method", "control", "n", "mean",
                               "ci_low", "ci_high", "verdict", "p_value", "primary", "holm_p", "holm_verdict",
                               "family_size", "labels_used", "declaration")} for r in cells.values()]}, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
