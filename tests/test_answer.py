"""The README's answer is generated from the committed result files (benchmarks/answer.py), never typed: the section
between its markers must be what the script renders from them now, and every verdict word must follow the
Holm-adjusted verdict of a declared family (secondary comparisons keep their raw one)."""
import re

import pytest

from conftest import benchmark_script


@pytest.fixture(scope="module")
def answer():
    return benchmark_script("answer")


def test_readme_answer_is_what_the_result_files_give(answer):
    readme = (answer.ROOT / "README.md").read_text()
    section = re.search(f"{answer.START}\n(.*)\n{answer.END}", readme, flags=re.S)
    assert section, "README.md lost its answer markers"
    assert section.group(1) == answer.render()[0], "README.md is stale: run python benchmarks/answer.py"


def test_a_primary_comparison_says_helps_only_if_it_survives_holm(answer):
    row = {"primary": True, "verdict": "helps", "holm_verdict": "no detectable difference", "mean": 0.036,
           "ci_low": 0.005, "ci_high": 0.067, "n": 5}
    assert answer.word(row) == "no detectable difference"
    assert answer.cell(row).endswith("no detectable difference (5 seeds, raw: helps)")
    assert answer.word(dict(row, holm_verdict="helps")) == "**helps**"
    assert answer.word(dict(row, primary=False)) == "**better**"  # a secondary comparison: raw, and said so
    assert answer.cell(dict(row, primary=False)).endswith("(5 seeds, raw)")


def test_a_mean_that_rounds_to_zero_keeps_its_sign_and_a_digit(answer):
    assert answer.signed(0.0138) == "+0.014"
    assert answer.signed(-0.00032) == "-0.0003"
    assert answer.signed(0.0) == "+0.0000"
