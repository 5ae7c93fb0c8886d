"""Seed statistics for the verdict: summaries, paired differences with t-intervals, and plain sentences.

Pure functions over floats (numpy and scipy only). A comparison is paired by seed because a seed fixes the
labelled subset, and which 100 images get labels moves accuracy more than most method changes do: differencing
on the same seed removes that shared part of the noise.
"""
import math
import numbers

import numpy as np
from scipy import stats as st


def summary(values, level: float = 0.95) -> dict:
    """n, mean, sample std (ddof=1) and the t-interval of the mean; std and interval are None when n == 1."""
    x = _finite(values)
    mean = float(x.mean())
    if len(x) == 1:  # one value says nothing about spread; None rather than a misleading 0
        return {"n": 1, "mean": mean, "std": None, "ci_low": None, "ci_high": None, "level": level}
    std = float(x.std(ddof=1))
    low, high = _t_interval(mean, std, len(x), level)
    return {"n": len(x), "mean": mean, "std": std, "ci_low": low, "ci_high": high, "level": level}


def format_summary(s: dict, digits: int = 4) -> str:
    """'0.9123 +- 0.0040 [0.9070, 0.9176] (n = 5)': mean +- std [interval]; '0.9123 (n = 1)' for one value."""
    if s["std"] is None:
        return f"{s['mean']:.{digits}f} (n = {s['n']})"
    return (f"{s['mean']:.{digits}f} +- {_spread(s['std'], digits)} "
            f"[{s['ci_low']:.{digits}f}, {s['ci_high']:.{digits}f}] (n = {s['n']})")


def paired_difference(a: dict, b: dict, level: float = 0.95) -> dict:
    """Per-seed differences a - b (seed -> accuracy maps) over the seeds both have, with a t-interval and a verdict.

    Keys: n, seeds (shared, sorted), only_a / only_b (seeds dropped because the other side lacks them),
    differences (seed -> a - b), mean, std, ci_low, ci_high, level, verdict, p_value (the paired t-test's,
    None under two seeds; helps / hurts exactly when p_value < 1 - level).
    verdict: "helps" if ci_low > 0, "hurts" if ci_high < 0, else "no detectable difference";
    "not enough seeds" when n < 2 (std and interval None; mean None when n == 0).
    Zero spread is not special-cased: the interval then collapses onto the mean, so identical methods (all
    differences exactly 0) get "no detectable difference" and a constant nonzero difference over >= 2 seeds
    gets helps/hurts by its sign -- the t-interval's own limit, and what a reader of the numbers would conclude.
    """
    seeds = sorted(set(a) & set(b))
    differences = {s: float(a[s]) - float(b[s]) for s in seeds}
    result = {"n": len(seeds), "seeds": seeds, "only_a": sorted(set(a) - set(b)), "only_b": sorted(set(b) - set(a)),
              "differences": differences, "mean": None, "std": None, "ci_low": None, "ci_high": None,
              "level": level, "verdict": "not enough seeds", "p_value": None}
    if not seeds:
        return result
    s = summary(list(differences.values()), level)
    result.update(mean=s["mean"], std=s["std"], ci_low=s["ci_low"], ci_high=s["ci_high"])
    if s["n"] >= 2:
        result["verdict"] = _verdict(s["ci_low"], s["ci_high"])
        result["p_value"] = _t_test_p(s["mean"], s["std"], s["n"])
    return result


def holm(p_values: list, size: int | None = None) -> list:
    """Holm's step-down adjustment of a family's p-values (None: not tested yet): the adjusted p-values, each
    compared with alpha keeps the family-wise error rate at alpha (Holm 1979). `size`: the declared family's size
    when some of its hypotheses are not tested yet; they count as p = 1, so a partial family is never adjusted
    less than the whole one will be."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    size = max(size or 0, len(tested))
    adjusted, running = [None] * len(p_values), 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (size - rank) * p))  # monotone: never below a smaller p's
        adjusted[i] = running
    return adjusted


def adjust_family(rows: list[dict], alpha: float = 0.05, size: int | None = None) -> list[dict]:
    """Each row (a paired_difference result) with holm_p and holm_verdict added, Holm-adjusted over all the rows
    as one declared family (of `size` hypotheses, default the rows tested): helps / hurts by the sign of the mean
    where holm_p < alpha, else no detectable difference; rows without a test (under two seeds) keep their verdict."""
    adjusted = holm([r.get("p_value") for r in rows], size)
    out = []
    for row, p in zip(rows, adjusted):
        verdict = row["verdict"] if p is None else \
            ("helps" if row["mean"] > 0 else "hurts") if p < alpha else "no detectable difference"
        out.append({**row, "holm_p": p, "holm_verdict": verdict,
                    "family_size": max(size or 0, sum(q is not None for q in adjusted))})
    return out


def verdict_sentence(method: str, control: str, diff: dict, labels_cost: dict, digits: int = 3) -> str:
    """One plain sentence for a paired_difference result.

    labels_cost: {"labelled": count or budget text, "validation": count} -- every label the method consumed,
    validation included, since selecting on 5,000 labelled validation images is part of a method's label cost.
    """
    labelled = labels_cost["labelled"]
    cost = _count(labelled) + (f" + {_count(labels_cost['validation'])} validation"
                               if labels_cost.get("validation") else "")
    where = f"at {_count(labelled)} labels"
    dropped = _dropped(method, control, diff)
    if diff["verdict"] == "not enough seeds":
        shown = f"{diff['n']} shared seed: {_signed(diff['mean'], digits)}" if diff["n"] else "no shared seeds"
        return f"{method} vs {control} {where}: not enough seeds to judge ({shown}{dropped}; labels used: {cost})"
    numbers = (f"{_signed(diff['mean'], digits)} [{_signed(diff['ci_low'], digits)}, "
               f"{_signed(diff['ci_high'], digits)}], {diff['n']} seeds{dropped}; labels used: {cost}")
    if diff["verdict"] == "helps":
        return f"{method} helps over {control} {where} ({numbers})"
    if diff["verdict"] == "hurts":
        return f"{method} hurts compared with {control} {where} ({numbers})"
    return f"{method} vs {control} {where}: no detectable difference at {diff['n']} seeds ({numbers})"


def verdict_table(cells: list[dict], comparisons: list[tuple[str, str]], level: float = 0.95) -> list[dict]:
    """One row per (method, control) pair and budget where both ran, from study rows {method, labels, seed,
    test_accuracy, n_labelled?}; budgets in the order they first appear in cells.

    Row keys: method, control, labels, n_labelled (the method's, None if unknown), n, seeds, only_method,
    only_control (seeds dropped for lack of a partner), differences (seed -> method - control), mean (of the
    differences), std, ci_low, ci_high, level, verdict -- the meanings of paired_difference.
    """
    accuracy, n_labelled = _by_cell(cells)
    budgets = list(dict.fromkeys(r["labels"] for r in cells))
    rows = []
    for method, control in comparisons:
        for labels in budgets:
            if (method, labels) not in accuracy or (control, labels) not in accuracy:
                continue
            d = paired_difference(accuracy[method, labels], accuracy[control, labels], level)
            d["only_method"], d["only_control"] = d.pop("only_a"), d.pop("only_b")
            rows.append({"method": method, "control": control, "labels": labels,
                         "n_labelled": n_labelled.get((method, labels)), **d})
    return rows


def _by_cell(cells: list[dict]) -> tuple[dict, dict]:
    """(method, labels) -> {seed: test accuracy}, and -> n_labelled; a repeated seed is an error, not a silent pick."""
    accuracy, n_labelled = {}, {}
    for r in cells:
        key = (r["method"], r["labels"])
        seeds = accuracy.setdefault(key, {})
        if r["seed"] in seeds:
            raise ValueError(f"{r['method']} at {r['labels']} labels has seed {r['seed']} twice")
        seeds[r["seed"]] = r["test_accuracy"]
        if r.get("n_labelled") is not None:
            n_labelled.setdefault(key, r["n_labelled"])
    return accuracy, n_labelled


def _finite(values) -> np.ndarray:
    x = np.asarray(list(values), dtype=float)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"need at least one value, all finite; got {x.tolist()}")
    return x


def _t_interval(mean: float, std: float, n: int, level: float) -> tuple[float, float]:
    half = float(st.t.ppf((1 + level) / 2, n - 1)) * std / math.sqrt(n)
    return mean - half, mean + half


def _t_test_p(mean: float, std: float, n: int) -> float:
    """Two-sided p-value of the paired t-test of mean difference 0 (the test behind the t-interval)."""
    if std == 0:
        return 1.0 if mean == 0 else 0.0
    return float(2 * st.t.sf(abs(mean) / (std / math.sqrt(n)), n - 1))


def _verdict(low: float, high: float) -> str:
    if low > 0:
        return "helps"
    if high < 0:
        return "hurts"
    return "no detectable difference"


def _spread(std: float, digits: int) -> str:
    """A spread that would print as 0.0000 but is not zero keeps its significant digits (4e-05), so the
    printout never claims a zero spread that was not measured; an exact zero prints as 0."""
    text = f"{std:.{digits}f}"
    return f"{std:.{digits}g}" if float(text) == 0 else text


def _signed(x: float, digits: int) -> str:
    return f"{x:+.{digits}f}"


def _count(x) -> str:
    return f"{x:,}" if isinstance(x, numbers.Integral) else str(x)  # numpy ints from study rows too


def _dropped(method: str, control: str, diff: dict) -> str:
    only_a = diff.get("only_a", diff.get("only_method", []))
    only_b = diff.get("only_b", diff.get("only_control", []))
    parts = [f"seed{'s' * (len(s) > 1)} {', '.join(map(str, s))} only in {name}"
             for s, name in ((only_a, method), (only_b, control)) if s]
    return "; dropped " + " and ".join(parts) if parts else ""
