"""Issue 7 targets: `ganclf study --preset quick` in under 5 minutes and `--preset seeds` in under 10 on 2 CPU
cores, every seed number beaten. Runs a preset from scratch in a fresh temporary directory (a finished study
would only be read back) and writes benchmarks/results/study_<preset>.json. Run it on a quiet machine.

Usage: python benchmarks/study.py [--preset quick|seeds] [--out DIR]   (--out keeps the study, e.g. for screenshots)
"""
import argparse
import tempfile

from common import DATA_ROOT, print_table, write_results

from ganclf import study


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--out", help="a new directory to keep the study in (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = study(args.preset, args.out or tmp, data_dir=DATA_ROOT, quiet=True)
    rows = [{k: r[k] for k in ("method", "labels", "seeds")} | {"mean": round(r["mean"], 4),
            "seed_reported": r["seed_reported"], "wall_time_s": round(r["wall_time_s"], 1)}
            for r in result["summary"]]
    print_table(rows, list(rows[0]))
    print(f"{args.preset} study: {result['elapsed_s'] / 60:.1f} min")
    path = write_results(f"study_{args.preset}", rows, {"command": f"ganclf study --preset {args.preset}",
                                                        "elapsed_s": round(result["elapsed_s"], 1)})
    print("written to", path)


if __name__ == "__main__":
    main()
