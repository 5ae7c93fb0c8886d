"""Issue 17's ssl-gan speed target: an epoch on 2 CPU cores at least 2x faster than the code before the change,
with validation accuracy after a fixed number of epochs not lower, over 2 seeds; measured as a ratio in one run.

The old code is checked out from git (--base) into a temporary folder; every (seed, version) pair trains the mlp
preset at 100 MNIST labels for --epochs epochs in its own process, old and new alternating so that the machine's
drift hits both alike. Then the study's way of using two cores: two one-thread runs side by side against one
two-thread run, per version (--pairs 0 leaves it out). Needs a quiet machine; it records the load it saw.

Usage: python benchmarks/ssl_speed.py [--base 7d76930] [--after REV] [--seeds 0,1] [--epochs 3] [--pairs 1]
                                     [--name ssl_speed]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA_ROOT, ROOT, print_table, write_results

TRAIN = """
import json, sys
from ganclf import api
r = api.run("ssl-gan", labels="100", seed=int(sys.argv[1]), out=sys.argv[2], epochs=int(sys.argv[3]),
            data_dir=sys.argv[4], download=False, quiet=True)
history = [json.loads(line) for line in open(sys.argv[2] + "/metrics.jsonl")]
print(json.dumps({"epoch_time_s": [h["epoch_time_s"] for h in history], "val_acc": history[-1]["val_acc"],
                  "test_acc": r["test_accuracy"]}))
"""


def start(src: Path, seed: int, epochs: int, out: Path, threads: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(src), "GANCLF_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    return subprocess.Popen([sys.executable, "-c", TRAIN, str(seed), str(out), str(epochs), str(DATA_ROOT / "mnist")],
                            env=env, stdout=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"a training process failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def row(version: str, seed: int, threads: int, at_once: int, r: dict) -> dict:
    return {"version": version, "seed": seed, "threads": threads, "runs_at_once": at_once,
            "epoch_s": round(statistics.mean(r["epoch_time_s"]), 2), "val_acc": r["val_acc"],
            "test_acc": r["test_acc"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="7d76930", help="git revision of the code before the change")
    parser.add_argument("--after", help="git revision of the changed code (default: this working tree)")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=1, help="1: also two one-thread runs side by side")
    parser.add_argument("--name", default="ssl_speed")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp / "base"), args.base],
                       check=True, capture_output=True)
        if args.after:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp / "after"), args.after],
                           check=True, capture_output=True)
        try:
            after = tmp / "after" / "src" if args.after else ROOT / "src"
            versions = {"before": tmp / "base" / "src", "after": after}
            rows = []
            for seed in seeds:  # one run at a time, two threads each, old and new alternating
                for version, src in versions.items():
                    r = finish(start(src, seed, args.epochs, tmp / f"{version}-{seed}", 2))
                    rows.append(row(version, seed, 2, 1, r))
                    print_table(rows[-1:], list(rows[-1]))
            for version, src in versions.items() if args.pairs else ():  # two one-thread runs side by side
                began = time.time()
                pair = [start(src, seed, args.epochs, tmp / f"{version}-pair-{seed}", 1) for seed in seeds[:2]]
                for seed, process in zip(seeds, pair):
                    rows.append(row(version, seed, 1, 2, finish(process)))
                    print_table(rows[-1:], list(rows[-1]))
                print(f"{version}: the pair took {time.time() - began:.0f}s")
        finally:
            for tree in ("base", "after"):
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / tree)],
                               capture_output=True)
    summary = summarise(rows, seeds)
    summary["load_average_before"] = [round(x, 2) for x in load_before]
    summary["config"] = {"base": args.base, "after": args.after or "working tree", "seeds": seeds,
                         "epochs": args.epochs, "preset": "mlp", "labels": 100}
    print(json.dumps(summary, indent=2))
    print("written to", write_results(args.name, rows, summary))


def summarise(rows: list[dict], seeds: list[int]) -> dict:
    def mean(version, key, at_once=1):
        return statistics.mean(r[key] for r in rows if r["version"] == version and r["runs_at_once"] == at_once)

    summary = {"epoch_s_before": round(mean("before", "epoch_s"), 2),
               "epoch_s_after": round(mean("after", "epoch_s"), 2),
               "speedup": round(mean("before", "epoch_s") / mean("after", "epoch_s"), 2),
               "val_acc_before": round(mean("before", "val_acc"), 4),
               "val_acc_after": round(mean("after", "val_acc"), 4)}
    if any(r["runs_at_once"] == 2 for r in rows):  # epochs per second of the machine: two runs' worth at once
        for version in ("before", "after"):
            summary[f"pair_epoch_s_{version}"] = round(mean(version, "epoch_s", 2), 2)
        summary["machine_throughput_after_pair_vs_before_single"] = round(
            2 * mean("before", "epoch_s") / mean("after", "epoch_s", 2), 2)
    return summary


if __name__ == "__main__":
    main()
