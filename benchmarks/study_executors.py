"""Issue targets (Ray executor, threads): `ganclf study --preset quick --executor ray` on this machine takes no
longer than the sequential executor and gives the same numbers. Runs both from scratch, one after the other, as
the command line does (each in its own process, in a fresh temporary directory): the sequential study as one
process, the Ray study as one-CPU, one-thread cells side by side on a local Ray instance started by the command
(its start-up is part of its time). Writes benchmarks/results/study_executors.json: both wall times, their ratio,
and whether every cell's numbers match. torch's results depend on its thread count: both sides train with one
thread unless --sequential-cpus N gives the sequential cells N (before the local executor the sequential
default was every core, as in study_executors.json; study_executors_1thread.json is the one-thread run).
Run it on a quiet machine.

Usage: python benchmarks/study_executors.py [--preset quick] [--sequential-cpus N] [--name NAME]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA_ROOT, ROOT, print_table, write_results


def run_study(preset: str, out: Path, extra: list[str]) -> tuple[float, dict]:
    command = [sys.executable, "-m", "ganclf", "study", "--preset", preset, "--out", str(out),
               "--data-dir", str(DATA_ROOT), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    start = time.time()
    subprocess.run(command, check=True, env=env)
    return round(time.time() - start, 1), json.loads((out / "results.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--sequential-cpus", type=float, help="torch threads of the sequential study (default 1)")
    parser.add_argument("--name", default="study_executors", help="results file name (benchmarks/results/NAME.json)")
    args = parser.parse_args()
    sequential = ["--cpus-per-cell", str(args.sequential_cpus)] if args.sequential_cpus else []
    ray = ["--executor", "ray", "--cpus-per-cell", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        seq_s, seq = run_study(args.preset, Path(tmp) / "sequential", sequential)
        print(f"sequential: {seq_s:.1f} s", flush=True)
        ray_s, on_ray = run_study(args.preset, Path(tmp) / "ray", ray)
        print(f"ray: {ray_s:.1f} s", flush=True)
    key = lambda c: (c["dataset"], c["validation"], c["method"], c["labels"], c["seed"])  # noqa: E731
    by_cell = {key(c): c for c in on_ray["cells"]}
    rows = [{"dataset": c["dataset"], "method": c["method"], "labels": c["labels"], "seed": c["seed"],
             "sequential": c["test_accuracy"], "ray": by_cell.get(key(c), {}).get("test_accuracy"),
             "sequential_s": round(c["wall_time_s"], 1),
             "ray_s": round(by_cell[key(c)]["wall_time_s"], 1) if key(c) in by_cell else None}
            for c in seq["cells"]]
    same = all(r["sequential"] == r["ray"] for r in rows) and len(by_cell) == len(rows)
    print_table(rows, list(rows[0]))
    print(f"sequential {seq_s:.1f} s, ray {ray_s:.1f} s: ratio ray/sequential {ray_s / seq_s:.2f}; "
          f"same numbers: {same}")
    summary = {"commands": {"sequential": f"ganclf study --preset {args.preset} {' '.join(sequential)}".strip(),
                            "ray": f"ganclf study --preset {args.preset} {' '.join(ray)}"},
               "sequential_s": seq_s, "ray_s": ray_s, "ratio_ray_over_sequential": round(ray_s / seq_s, 3),
               "same_numbers": same, "ray_failed": on_ray.get("failed", []), "load_average_after": os.getloadavg(),
               "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    print("written to", write_results(args.name, rows, summary))


if __name__ == "__main__":
    main()
