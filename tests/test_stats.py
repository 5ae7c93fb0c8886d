import math

import numpy as np
import pytest
import scipy.stats

from ganclf.stats import format_summary, paired_difference, summary, verdict_sentence, verdict_table

SEEDS = range(5)
COST = {"labelled": 100, "validation": 5000}


def control(seed):
    # Spread across seeds far larger than the effects tested: pairing must remove it for a verdict to show.
    return 0.90 + 0.02 * math.sin(seed * 1.7)


def accs(shift, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return {s: control(s) + shift + noise * rng.standard_normal() for s in SEEDS}


def test_summary_matches_scipy():
    values = [0.91, 0.93, 0.92, 0.95]
    s = summary(values)
    low, high = scipy.stats.t.interval(0.95, df=3, loc=np.mean(values), scale=scipy.stats.sem(values))
    assert s["n"] == 4 and s["mean"] == pytest.approx(0.9275)
    assert s["std"] == pytest.approx(np.std(values, ddof=1))
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_format_summary():
    assert format_summary(summary([0.91, 0.93, 0.92])) == "0.9200 +- 0.0100 [0.8952, 0.9448] (n = 3)"
    assert format_summary(summary([0.91234])) == "0.9123 (n = 1)"
    assert "+- 0.0000" not in format_summary(summary([0.9, 0.90001, 0.90002]))
    assert format_summary(summary([0.9, 0.9])) == "0.9000 +- 0 [0.9000, 0.9000] (n = 2)"


@pytest.mark.parametrize("bad", [[], [0.9, float("nan")]])
def test_summary_rejects_empty_or_nan(bad):
    with pytest.raises(ValueError):
        summary(bad)


def test_ci_matches_independent_t_values():
    d = paired_difference({0: 3.0, 1: 5.0, 2: 7.0}, {0: 2.0, 1: 3.0, 2: 4.0})  # differences 1, 2, 3
    half = scipy.stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sample std of [1, 2, 3] is 1
    assert d["differences"] == {0: 1.0, 1: 2.0, 2: 3.0}
    assert d["mean"] == pytest.approx(2.0) and d["std"] == pytest.approx(1.0)
    assert d["ci_low"] == pytest.approx(2 - half) and d["ci_high"] == pytest.approx(2 + half)
    assert d["verdict"] == "no detectable difference"  # 2 +- 2.48: three seeds this spread cannot tell


def test_identical_method_has_no_detectable_difference():
    d = paired_difference(accs(0.0), accs(0.0))
    assert d["differences"] == {s: 0.0 for s in SEEDS}
    assert d["ci_low"] == d["ci_high"] == 0.0
    assert d["verdict"] == "no detectable difference"


def test_clearly_better_helps_and_worse_hurts():
    better = paired_difference(accs(0.05, noise=0.003, seed=1), accs(0.0))
    assert better["mean"] == pytest.approx(0.05, abs=0.01) and better["ci_low"] > 0
    assert better["verdict"] == "helps"
    worse = paired_difference(accs(-0.05, noise=0.003, seed=2), accs(0.0))
    assert worse["ci_high"] < 0 and worse["verdict"] == "hurts"


def test_pairing_removes_seed_spread():
    # +0.01 everywhere is smaller than the spread across seeds (0.02) but is found because seeds are paired.
    a, b = accs(0.01, noise=0.001, seed=3), accs(0.0)
    assert paired_difference(a, b)["verdict"] == "helps"
    assert summary(a.values())["ci_low"] < summary(b.values())["ci_high"]  # unpaired intervals overlap


def test_constant_nonzero_difference_decides_by_sign():
    # Exact binary fractions, so the differences are exactly equal and the spread exactly zero.
    d = paired_difference({0: 0.75, 1: 0.5}, {0: 0.5, 1: 0.25})
    assert d["std"] == 0.0 and d["ci_low"] == d["ci_high"] == 0.25
    assert d["verdict"] == "helps"
    assert paired_difference({0: 0.5, 1: 0.25}, {0: 0.75, 1: 0.5})["verdict"] == "hurts"


def test_noise_straddling_zero_is_no_detectable_difference():
    d = paired_difference({s: control(s) + e for s, e in zip(SEEDS, [0.01, -0.012, 0.008, -0.009, 0.002])},
                          accs(0.0))
    assert d["ci_low"] < 0 < d["ci_high"]
    assert d["verdict"] == "no detectable difference"


def test_one_seed_is_not_enough():
    d = paired_difference({0: 0.95}, {0: 0.90})
    assert d["n"] == 1 and d["mean"] == pytest.approx(0.05)
    assert d["std"] is None and d["ci_low"] is None and d["ci_high"] is None
    assert d["verdict"] == "not enough seeds"
    assert format_summary(summary([0.95])).endswith("(n = 1)")
    sentence = verdict_sentence("ssl-gan", "cnn", d, COST)
    assert "not enough seeds" in sentence and "1 shared seed: +0.050" in sentence


def test_no_shared_seed():
    d = paired_difference({0: 0.95}, {1: 0.90})
    assert d["n"] == 0 and d["mean"] is None and d["verdict"] == "not enough seeds"
    assert "no shared seeds" in verdict_sentence("a", "b", d, COST)


def test_missing_seeds_are_dropped_and_reported():
    a, b = accs(0.05, noise=0.003, seed=4), accs(0.0)
    a[7], b[9] = 0.10, 0.99  # partnerless seeds that would swing the mean if they were used
    del b[2]
    d = paired_difference(a, b)
    assert d["seeds"] == [0, 1, 3, 4] and d["n"] == 4
    assert d["only_a"] == [2, 7] and d["only_b"] == [9]
    assert sorted(d["differences"]) == [0, 1, 3, 4]
    assert d["mean"] == pytest.approx(np.mean([a[s] - b[s] for s in (0, 1, 3, 4)]))
    sentence = verdict_sentence("ssl-gan", "cnn", d, COST)
    assert "4 seeds" in sentence and "dropped seeds 2, 7 only in ssl-gan and seed 9 only in cnn" in sentence


def test_sentences():
    helps = paired_difference({0: 0.93, 1: 0.95, 2: 0.94}, {0: 0.90, 1: 0.92, 2: 0.90})
    assert verdict_sentence("ssl-gan", "pi-model", helps, COST) == (
        f"ssl-gan helps over pi-model at 100 labels (+0.033 [{helps['ci_low']:+.3f}, {helps['ci_high']:+.3f}], "
        "3 seeds; labels used: 100 + 5,000 validation)")
    hurts = paired_difference({0: 0.90, 1: 0.92, 2: 0.90}, {0: 0.93, 1: 0.95, 2: 0.94})
    assert verdict_sentence("gan", "cnn", hurts, {"labelled": 1000}).startswith("gan hurts compared with cnn at 1,000")
    assert verdict_sentence("gan", "cnn", hurts, {"labelled": np.int64(1000)}).endswith("3 seeds; labels used: 1,000)")
    same = paired_difference(accs(0.0), accs(0.0))
    assert "no detectable difference at 5 seeds" in verdict_sentence("a", "b", same, COST)


def cells_of(method, labels, values, n_labelled=None):
    return [{"method": method, "labels": labels, "seed": s, "test_accuracy": v, "n_labelled": n_labelled}
            for s, v in values.items()]


def test_verdict_table():
    cells = (cells_of("cnn", "100", accs(0.0), 100) + cells_of("ssl-gan", "100", accs(0.05, 0.003, 5), 100)
             + cells_of("cnn", "1000", accs(0.0), 1000) + cells_of("ssl-gan", "1000", accs(0.0), 1000)
             + cells_of("augment", "1000", {0: 0.8}, 1000))  # augment never ran at 100 labels
    rows = verdict_table(cells, [("ssl-gan", "cnn"), ("augment", "cnn"), ("transfer", "cnn")])
    assert [(r["method"], r["control"], r["labels"]) for r in rows] == [
        ("ssl-gan", "cnn", "100"), ("ssl-gan", "cnn", "1000"), ("augment", "cnn", "1000")]
    assert [r["verdict"] for r in rows] == ["helps", "no detectable difference", "not enough seeds"]
    assert rows[2]["only_control"] == [1, 2, 3, 4] and rows[2]["only_method"] == []
    assert rows[0]["n_labelled"] == 100 and rows[0]["n"] == 5
    assert set(rows[0]) == {"method", "control", "labels", "n_labelled", "n", "seeds", "only_method",
                            "only_control", "differences", "mean", "std", "ci_low", "ci_high", "level", "verdict",
                            "p_value"}
    assert "dropped seeds 1, 2, 3, 4 only in cnn" in verdict_sentence("augment", "cnn", rows[2], COST)


def test_verdict_table_rejects_a_repeated_seed():
    cells = cells_of("cnn", "100", {0: 0.9}) + cells_of("cnn", "100", {0: 0.8}) + cells_of("a", "100", {0: 0.9})
    with pytest.raises(ValueError, match="seed 0 twice"):
        verdict_table(cells, [("a", "cnn")])


def test_holm_steps_down_and_stays_monotone():
    from ganclf.stats import holm
    assert holm([0.01, 0.04, 0.03, None, 0.2]) == [0.04, 0.09, 0.09, None, 0.2]
    assert holm([0.5, 0.5]) == [1.0, 1.0] and holm([]) == []
    # a declared family of 6 with 2 measured: adjusted as strictly as the whole family will be
    assert holm([0.01, 0.02], size=6) == [0.06, 0.1]


def test_the_p_value_agrees_with_the_interval():
    from ganclf.stats import paired_difference
    for shift in (0.0, 0.004, 0.01, 0.05):
        d = paired_difference(accs(shift, 0.003, 5), accs(0.0))
        assert (d["p_value"] < 0.05) == (d["verdict"] != "no detectable difference"), shift


def test_a_family_can_undo_a_raw_helps():
    from ganclf.stats import adjust_family, paired_difference
    borderline = paired_difference({0: 0.9, 1: 0.93, 2: 0.91}, {0: 0.88, 1: 0.9, 2: 0.895})  # p = 0.039
    rows = [paired_difference(accs(0.05, 0.003, 5), accs(0.0)), borderline, borderline]  # one clearly better
    assert borderline["verdict"] == "helps" and 0.025 < borderline["p_value"] < 0.05
    adjusted = adjust_family(rows)
    assert [r["holm_verdict"] for r in adjusted] == ["helps", "no detectable difference", "no detectable difference"]
    assert adjusted[1]["holm_p"] == adjusted[2]["holm_p"] == pytest.approx(2 * borderline["p_value"])
    assert all(r["family_size"] == 3 for r in adjusted) and adjusted[1]["verdict"] == "helps"  # raw kept beside
