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
# the fair, declared studies (their plans/<name>.toml, each with its own family) and the earlier CPU parts
FAIR = ["verdict-100-realistic", "verdict-1000-realistic", "verdict-100-validation"]
EARLIER = ["verdict_cpu", "verdict_cpu_transfer", "verdict_cpu_augment", "verdict_cpu_fashion", "verdict_cpu_noval"]
START, END = "<!-- answer:start -->", "<!-- answer:end -->"
TABLE_INTRO = ("Each cell: test accuracy of a GAN use minus its control, mean over seeds [raw 95% interval], and the "
               "verdict after Holm's adjustment. The controls differ by the GAN alone: `pi-model` is the same "
               "discriminator trained without a generator; `transfer-scratch` the same classifier from random weights "
               "instead of a GAN's; `cnn-shift` the same CNN with random shifts and no generated images. Both arms of "
               "a pair took their recipe from the same small grid, chosen once on MNIST with 5,000 validation labels at "
               "a tuning seed (0) that no verdict cell uses, and carried unchanged into the protocol without "
               "validation labels and to Fashion-MNIST: a user holding only 100 labels could not have made those "
               "choices (Oliver et al. 2018). The choice mattered most for a control, `pi-model`: {logits:.3f} last-epoch "
               "validation accuracy with consistency on logits, {probabilities:.3f} on probabilities "
               "(`consistency_val.json`).")


def pi_model_choice() -> dict:
    """pi-model's last-epoch validation accuracy per consistency target, from the committed tuning record."""
    runs = json.loads((RESULTS / "consistency_val.json").read_text())["runs"]
    return {r["variant"]: r["last_val_acc"] for r in runs if r["method"] == "pi-model"}


FAIR_TABLES = [["MNIST, 100 labels, no validation", "Fashion-MNIST, 100 labels, no validation",
                "MNIST, 1,000 labels, no validation"],
               ["MNIST, 100 labels + 5,000 validation", "Fashion-MNIST, 100 labels + 5,000 validation"]]


def results_stem(name: str) -> str:
    """A study's results file name: plan verdict-100-realistic writes verdict_100_realistic.json."""
    return name.replace("-", "_")


def load_summary(name: str) -> dict | None:
    """The study's results summary, or None before it has numbers."""
    path = RESULTS / f"{results_stem(name)}.json"
    return json.loads(path.read_text())["summary"] if path.exists() else None


def gan_rows(name: str, summary: dict | None, pairs=NAMES) -> list[dict]:
    if summary is None:
        return []
    rows = [dict(r, source=results_stem(name), declaration=summary.get("declaration")) for r in summary["verdict"]
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


def dataset_name(row: dict) -> str:
    return {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(row["dataset"], row["dataset"])


def column(row: dict) -> str:
    dataset = dataset_name(row)
    labels = f"{int(row['labels']):,} labels"
    return f"{dataset}, {labels}, no validation" if row["validation"] == 0 else f"{dataset}, {labels} + 5,000 validation"


def word(row: dict) -> str:
    """A primary comparison's verdict after Holm's adjustment; a secondary one's raw verdict, which is all it has."""
    if not row.get("primary", True):
        return {"helps": "**better**", "hurts": "**worse**"}.get(row["verdict"], "no detectable difference")
    return {"helps": "**helps**", "hurts": "**hurts**"}.get(row["holm_verdict"], "no detectable difference")


def signed(x: float) -> str:
    """+0.014; a mean that rounds to zero keeps a fourth decimal (-0.0003, not -0.000)."""
    return f"{x:+.3f}" if round(abs(x), 3) else f"{x:+.4f}"


def cell(row: dict | None) -> str:
    if row is None:
        return "fewer than 2 seeds so far"
    raw = (", raw" if not row.get("primary", True)
           else f", raw: {row['verdict']}" if row["verdict"] != row["holm_verdict"] else "")
    return f"{signed(row['mean'])} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] {word(row)} ({row['n']} seeds{raw})"


def markdown(cells: dict, note: str, columns: list | None = None, pairs=NAMES) -> str:
    columns = columns or list(dict.fromkeys(c for *_, c in cells))
    lines = ["| GAN use | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for pair, name in pairs.items():
        lines.append(f"| {name} | " + " | ".join(cell(cells.get((*pair, c))) for c in columns) + " |")
    return "\n".join(lines) + "\n\n" + note


SHORT = {("ssl-gan", "pi-model"): "The semi-supervised GAN",
         ("transfer", "transfer-scratch"): "A GAN's discriminator as the starting point",
         ("augment", "cnn-shift"): "cGAN images added to the training set",
         ("ssl-gan", "fixmatch"): "Against FixMatch, the non-GAN rival (`ssl-gan` − `fixmatch`, secondary, raw)"}


def headline(cells: dict) -> str:
    """One line per GAN use: where its verdict (Holm-adjusted for the family) says it helps, hurts or neither."""
    lines = []
    for pair, name in SHORT.items():
        by_word = {}
        for (*key, _), row in cells.items():
            if tuple(key) == pair:
                where = (f"{dataset_name(row)} at {int(row['labels']):,}"
                         f"{'' if row['validation'] == 0 else ' + 5,000 validation'} labels")
                by_word.setdefault(word(row), []).append(f"{where} ({signed(row['mean'])}, {row['n']} seeds)")
        lines.append(f"- {name}: " + "; ".join(f"{w} on {', '.join(where)}" for w, where in by_word.items()) + ".")
    return ("**In short**, each GAN use against its control (the labels named are all that a number cost), after Holm's "
            "adjustment:\n\n" + "\n".join(lines))


def summaries() -> dict:
    """{plan: its results file's summary} for each fair study with numbers so far."""
    return {name: summary for name in FAIR if (summary := load_summary(name)) is not None}


def accuracies(summary: dict) -> str:
    """Each method's mean test accuracy in a fair study so far, best first, a sentence per dataset and budget."""
    sentences = []
    for key in dict.fromkeys((r["dataset"], r["labels"], r["validation"]) for r in summary["accuracy"]):
        rows = sorted((r for r in summary["accuracy"] if (r["dataset"], r["labels"], r["validation"]) == key),
                      key=lambda r: -r["mean"])
        listed = ", ".join(f"`{r['method']}` {r['mean']:.3f} ({r['seeds']})" for r in rows)
        sentences.append(f"{column(dict(zip(('dataset', 'labels', 'validation'), key)))}: {listed}.")
    return " ".join(sentences)


def fair_note(done: dict) -> str:
    progress = "; ".join(f"`plans/{name}.toml`: " + (f"{done[name]['cells_finished']} of {done[name]['cells_declared']}"
                                                     " cells measured" if name in done else "not started")
                         for name in FAIR)
    note = (f"The fair verdict, declared before it ran ({progress}). Each study is Holm-adjusted over its own declared "
            "family (hypotheses not measured yet count as p = 1); raw 95% intervals shown. \\* Secondary comparisons, "
            "declared but outside the family: raw intervals only; FixMatch trains the CNN, `ssl-gan` an MLP "
            "discriminator, so those rows compare methods, not the GAN alone.")
    if done:
        note += " Mean test accuracy so far (seeds): " + " ".join(accuracies(s) for s in done.values())
    return note


EARLIER_NOTE = ("The earlier CPU parts of the verdict, Holm-adjusted over these {n} comparisons (raw 95% intervals "
                "shown). **Not fair**: `augment` trained ~4x its control's optimizer steps and the controls ran recipes "
                "tuned for their GAN arm (without validation labels `pi-model`, on a consistency term chosen with a "
                "generator, collapses to 0.42).")
ROW_KEYS = ("source", "dataset", "validation", "labels", "method", "control", "n", "mean", "ci_low", "ci_high",
            "verdict", "p_value", "primary", "holm_p", "holm_verdict", "family_size", "labels_used", "declaration")


def render() -> tuple[str, dict]:
    """The README's answer section and answer.json's content, from the result files."""
    done = summaries()
    fair = table([r for name, summary in done.items() for r in gan_rows(name, summary, {**NAMES, **RIVALS})])
    earlier_rows = [r for name in EARLIER for r in gan_rows(name, load_summary(name))]
    earlier, earlier_note = table(earlier_rows), EARLIER_NOTE.format(n=len(earlier_rows))
    measured = [columns for columns in FAIR_TABLES if any(c in columns for *_, c in fair)] or FAIR_TABLES[:1]
    fair_tables = [markdown(fair, "", columns, {**NAMES, **RIVALS}).rstrip() for columns in measured]
    intro = TABLE_INTRO.format(**pi_model_choice())
    note = fair_note(done)
    text = "\n\n".join([headline(fair), intro, *fair_tables, note, markdown(earlier, earlier_note)])
    rows = [{k: r.get(k) for k in ROW_KEYS} for r in [*fair.values(), *earlier.values()]]
    return text, {"notes": [note, earlier_note], "rows": rows}


def main() -> None:
    text, answer = render()
    readme = (ROOT / "README.md").read_text()
    (ROOT / "README.md").write_text(re.sub(f"{START}.*?{END}", f"{START}\n{text}\n{END}", readme, flags=re.S))
    (RESULTS / "answer.json").write_text(json.dumps(answer, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
