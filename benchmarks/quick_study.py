"""Issue 31's first half hour: `ganclf study --preset quick` on a fresh machine, in under 180 s on 2 CPU cores.

Runs the command line as a new user would, in its own process, with an empty cache (XDG_CACHE_HOME a fresh
temporary folder: no cached feature network, no downloaded data beyond MNIST's local copy) into a temporary
output folder, and writes benchmarks/results/quick_study.json: the wall seconds (torch's start-up and loading the
data included), the executor and its configuration, the study's own elapsed time, provenance, and the machine's
load average before and after (a shared machine is not quiet: compare timings only on a quiet one). On a busy
machine the CPU seconds the study used (its worker processes included) say more than its wall time: divided by
the CPUs it was given, they are about the least wall time it could take on a quiet one.

Usage: PYTHONPATH=src python benchmarks/quick_study.py [--executor local] [--cpus N] [--name quick_study]
                                                        [--quiet-machine] [--keep runs/quick]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA_ROOT, RESULTS, ROOT

from ganclf.provenance import provenance
from ganclf.threads import cpus_given

TARGET_S = 180


def run(executor: str, cpus: int, tmp: Path) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the study's processes, its results.json)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "GANCLF_THREADS": str(cpus),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "ganclf", "study", "--preset", "quick", "--executor", executor,
               "--out", str(tmp / "study"), "--data-dir", str(DATA_ROOT / "mnist")]
    start, cpu = time.time(), _children_cpu_s()
    subprocess.run(command, check=True, env=env)  # its workers are waited for, so their CPU time counts too
    return (round(time.time() - start, 1), round(_children_cpu_s() - cpu, 1),
            json.loads((tmp / "study" / "results.json").read_text()))


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executor", default="local")
    parser.add_argument("--cpus", type=int, default=cpus_given(), help="CPUs the study is given (GANCLF_THREADS)")
    parser.add_argument("--name", default="quick_study", help="results file name (benchmarks/results/NAME.json)")
    parser.add_argument("--quiet-machine", action="store_true", help="say that nothing else ran on the machine")
    parser.add_argument("--keep", type=Path, help="copy the finished study here (for benchmarks/screenshots.py)")
    args = parser.parse_args()
    if args.keep and args.keep.exists():
        raise SystemExit(f"quick_study: error: {args.keep} exists; name a new folder for --keep")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ganclf-quick-") as tmp:
        wall, cpu, results = run(args.executor, args.cpus, Path(tmp))
        if args.keep:
            shutil.copytree(Path(tmp) / "study", args.keep)
    cells = [{k: c[k] for k in ("method", "labels", "test_accuracy", "wall_time_s")} for c in results["cells"]]
    record = {"wall_s": wall, "target_s": TARGET_S, "under_target": wall < TARGET_S,
              "study_elapsed_s": results["elapsed_s"],
              "cpu_s": cpu, "cpu_s_per_cpu": round(cpu / args.cpus, 1), "executor": args.executor, "cpus": args.cpus,
              "command": f"GANCLF_THREADS={args.cpus} ganclf study --preset quick --executor {args.executor}",
              "empty_cache": True, "failed": results["failed"], "config": results["config"],
              "gans": [{k: g[k] for k in ("gan", "wall_time_s", "quality")} for g in results["gans"]],
              "cells": cells, "quiet": args.quiet_machine, "load_average_before": load_before,
              "load_average_after": os.getloadavg(), "provenance": provenance(threads=1)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"quick study: {wall:.1f} s wall, {cpu:.0f} CPU seconds ({cpu / args.cpus:.0f} per CPU) ({args.executor}, "
          f"{args.cpus} CPUs; target {TARGET_S} s; load average {load_before[0]:.1f} before, "
          f"{record['load_average_after'][0]:.1f} after) -> {path}")


if __name__ == "__main__":
    main()
