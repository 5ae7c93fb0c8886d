"""Issue 16's target: a verdict study end to end, its paired intervals written with their configuration and
provenance. The study runs into benchmarks/runs/<preset>/ (resumable: run the same command again after an
interruption) and its verdict, summary and cells go to benchmarks/results/<preset>.json (verdict_cpu.json, verdict.json).

    python benchmarks/verdict.py --preset verdict-cpu --executor ray   # 2 CPU cores: two one-CPU cells at a time
    python benchmarks/verdict.py --preset verdict-cpu-transfer --executor ray   # verdict-cpu-augment, -fashion, -noval
    python benchmarks/verdict.py --preset verdict --executor ray       # the whole answer: a GPU machine or cluster
"""
import argparse

from common import DATA_ROOT, RUNS, print_table, write_results

from ganclf import study


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="verdict-cpu")
    parser.add_argument("--executor", default="sequential")
    parser.add_argument("--cpus-per-cell", type=float)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--machine-note", default="", help="e.g. whether other jobs shared the machine")
    args = parser.parse_args()
    out = RUNS / args.preset
    result = study(args.preset, out, data_dir=DATA_ROOT, quiet=args.quiet, executor=args.executor,
                   cpus_per_cell=args.cpus_per_cell)
    verdict = [{k: v[k] for k in ("dataset", "validation", "labels", "method", "control", "n", "mean", "ci_low",
                                  "ci_high", "verdict", "labels_used")} for v in result["verdict"]]
    print_table(verdict, list(verdict[0]))
    rows = [{k: c[k] for k in ("dataset", "validation", "method", "labels", "seed", "val_accuracy",
                               "test_accuracy", "wall_time_s")} for c in result["cells"]]
    summary = {"command": f"python benchmarks/verdict.py --preset {args.preset} --executor {args.executor}",
               "elapsed_s": result["elapsed_s"], "report": result["report"], "verdict": verdict,
               "threads_per_cell": args.cpus_per_cell or (1 if args.executor == "ray" else "all"),
               "machine_note": args.machine_note,
               "accuracy": result["summary"], "failed": result["failed"]}
    print("written to", write_results(args.preset.replace('-', '_'), rows, summary))


if __name__ == "__main__":
    main()
