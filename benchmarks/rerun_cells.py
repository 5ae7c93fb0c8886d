"""Does a filed verdict cell give the same numbers on another machine? Reruns cells of a declared plan from scratch
(one torch thread each, as the verdict runs them) and sets their numbers beside those filed in the plan's ledger,
each with the CPU it ran on, and runs each cell more than once here. The same CPU and threads should give
identical numbers; another CPU rounds differently in its matrix kernels, and this measures how far that carries.

    python benchmarks/rerun_cells.py --plan plans/verdict-100-realistic.toml --methods cnn cnn-shift --seeds 1 --repeats 2
      -> benchmarks/results/rerun_cells.json
"""
import argparse
import json
import tempfile
from pathlib import Path

from common import DATA_ROOT, RESULTS, print_table, write_results

from ganclf.studies.declared import load_plan
from ganclf.studies.plan import plan
from ganclf.studies.run import run_cell
from ganclf.threads import cpus_for


def rerun(cell, ledger: Path, repeats: int) -> dict:
    """The cell run `repeats` times from scratch here: its test accuracies beside the filed one."""
    filed = json.loads((ledger / cell.folder / "results.json").read_text())
    accuracies = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp, cpus_for(1):
            accuracies.append(run_cell(cell, tmp, data_dir=DATA_ROOT)["test_accuracy"])
            provenance = json.loads((Path(tmp) / cell.folder / "results.json").read_text())["provenance"]
    return {"cell": cell.folder, "filed_test_accuracy": filed["test_accuracy"], "filed_cpu": filed["provenance"]["cpu"],
            "filed_cpu_id": filed["provenance"].get("cpu_id"), "rerun_test_accuracy": accuracies[0],
            "rerun_cpu": provenance["cpu"], "rerun_cpu_id": provenance.get("cpu_id"),
            "difference": round(accuracies[0] - filed["test_accuracy"], 6),
            "repeats_here": accuracies, "repeats_identical": len(set(accuracies)) == 1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True)
    parser.add_argument("--methods", nargs="+", required=True, help="cells that need no shared GAN")
    parser.add_argument("--seeds", nargs="+", type=int, required=True)
    parser.add_argument("--datasets", nargs="+", default=["mnist"])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each cell here (same CPU, same threads)")
    args = parser.parse_args()
    cfg, declaration = load_plan(args.plan)
    ledger = RESULTS / Path(args.plan).stem
    cells = [c for c in plan(cfg)[1] if c.method in args.methods and c.seed in args.seeds
             and c.dataset in args.datasets and not c.gan and (ledger / c.folder / "results.json").exists()]
    if not cells:
        raise SystemExit("rerun_cells: error: no filed cell without a shared GAN matches those methods and seeds")
    rows = [rerun(cell, ledger, args.repeats) for cell in cells]
    print_table(rows, ["cell", "filed_test_accuracy", "rerun_test_accuracy", "difference", "repeats_identical",
                       "filed_cpu", "rerun_cpu"])
    summary = {"command": "python benchmarks/rerun_cells.py " + " ".join(
                   ["--plan", args.plan, "--methods", *args.methods, "--seeds", *map(str, args.seeds),
                    "--datasets", *args.datasets, "--repeats", str(args.repeats)]),
               "declaration": declaration, "cells": len(rows), "repeats": args.repeats,
               "same_as_filed": sum(r["difference"] == 0 for r in rows),
               "largest_difference_from_filed": max(abs(r["difference"]) for r in rows),
               "repeats_identical_here": sum(r["repeats_identical"] for r in rows),
               "threads_per_cell": 1, "note": "filed and rerun cells differ only in the machine that ran them"}
    print("written to", write_results("rerun_cells", rows, summary))


if __name__ == "__main__":
    main()
