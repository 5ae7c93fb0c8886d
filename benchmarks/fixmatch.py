"""Issue 29's numbers: fixmatch, the rival a practitioner would pick instead of a GAN, beside cnn and ssl-gan at 100
labels under the realistic protocol (no validation labels, fixed schedules, final weights).

They come from the declared fair verdict (plans/verdict-100-realistic.toml), which runs fixmatch on the same labelled
images and seeds (1-5) as every GAN method and declares fixmatch - cnn and ssl-gan - fixmatch as its secondary
comparisons; nothing is trained twice. This script reads that study's result file (run or continue it with
`python benchmarks/verdict.py --plan plans/verdict-100-realistic.toml`) and writes the fixmatch part on its own,
with the declaration's hash and the machine it ran on:

    python benchmarks/fixmatch.py        # -> benchmarks/results/fixmatch.json
"""
import json

from common import RESULTS, print_table

from ganclf.files import write_json

SOURCE = RESULTS / "verdict_100_realistic.json"
COMPARISONS = (("fixmatch", "cnn"), ("ssl-gan", "fixmatch"))
METHODS = ("fixmatch", "cnn", "ssl-gan")


def main() -> None:
    verdict = json.loads(SOURCE.read_text())
    summary = verdict["summary"]
    accuracy = [r for r in summary["accuracy"] if r["method"] in METHODS]
    comparisons = [r for r in summary["verdict"] if (r["method"], r["control"]) in COMPARISONS]
    print_table(accuracy, ["dataset", "method", "mean", "std", "seeds"])
    for r in comparisons:
        print(f"{r['method']} - {r['control']} on {r['dataset']}: {r['mean']:+.4f} [{r['ci_low']:+.4f}, "
              f"{r['ci_high']:+.4f}], {r['verdict']} ({r['n']} seeds, raw)")
    write_json(RESULTS / "fixmatch.json", {
        "what": "fixmatch, cnn and ssl-gan (30 epochs) at 100 labels, validation=0 (final weights, no labels beyond "
                "the budget), seeds 1-5 as measured so far; paired 95% t-intervals, declared as secondary "
                "comparisons of the fair verdict (raw, outside its Holm family)",
        "source": SOURCE.name, "command": summary["command"], "declaration": summary["declaration"],
        "cells_finished": summary["cells_finished"], "cells_declared": summary["cells_declared"],
        "accuracy": accuracy, "comparisons": comparisons, "filed_on": verdict["machine"],
        "cells_per_cpu": summary["cells_per_cpu"], "machine_notes": summary["machine_notes"],
        "threads_per_cell": summary["threads_per_cell"],
        "runs": [r for r in verdict["runs"] if r["method"] in METHODS]})


if __name__ == "__main__":
    main()
