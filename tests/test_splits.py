import numpy as np
import pytest

from ganclf.data import BudgetError, make_split, parse_budget


@pytest.fixture(scope="module")
def labels(mnist):
    return mnist.train_labels.numpy()


@pytest.mark.parametrize("text, expected", [("100", 100), ("10%", 0.1), ("all", "all"), ("ALL", "all"), ("1_000", 1000)])
def test_parse_budget(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text", ["0", "-5", "abc", "0%", "150%", "1.5"])
def test_bad_budgets(text):
    with pytest.raises(BudgetError):
        parse_budget(text)


def test_split_is_balanced_disjoint_and_reproducible(labels):
    split = make_split(labels, 100, seed=3)
    assert np.bincount(labels[split.labelled], minlength=10).tolist() == [10] * 10
    assert len(split.validation) == 5000
    parts = [set(split.labelled), set(split.unlabelled), set(split.validation)]
    assert sum(map(len, parts)) == len(labels) == len(set.union(*parts))
    again = make_split(labels, 100, seed=3)
    assert np.array_equal(split.labelled, again.labelled)
    assert split.name == "mnist.seed3@100"


def test_seeds_differ_but_validation_is_fixed(labels):
    a, b = make_split(labels, 100, seed=0), make_split(labels, 100, seed=1)
    assert not np.array_equal(a.labelled, b.labelled)
    assert np.array_equal(a.validation, b.validation)


def test_budgets_nest_for_one_seed(labels):
    small, large = make_split(labels, 100, seed=0), make_split(labels, 1000, seed=0)
    assert set(small.labelled) <= set(large.labelled)


def test_uneven_budget_spreads_the_remainder(labels):
    counts = np.bincount(labels[make_split(labels, 105, seed=0).labelled], minlength=10)
    assert counts.sum() == 105 and counts.min() == 10 and counts.max() == 11


def test_percentage_and_all(labels):
    assert len(make_split(labels, "10%", seed=0).labelled) == 5500
    everything = make_split(labels, "all", seed=0)
    assert len(everything.labelled) == 55000 and len(everything.unlabelled) == 0


@pytest.mark.parametrize("budget, message", [(5, "fewer than one per class"), (60000, "exceeds"),
                                             (54000, "only")])
def test_impossible_budgets(labels, budget, message):
    with pytest.raises(BudgetError, match=message):
        make_split(labels, budget, seed=0)
