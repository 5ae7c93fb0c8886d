"""Issue 29: fixmatch's (or mean-teacher's) recipe choices made on validation labels only (seed 0, 100 MNIST labels,
5,000 validation labels): each variant's validation accuracy per epoch, of the weight average (val_acc) and of the
model itself (val_acc_raw). The test split is never read from these runs' results, nor recorded.

Usage: GANCLF_THREADS=1 python benchmarks/fixmatch_val.py [--method mean-teacher] [--steps 600]
                                                          [--variants ema=0.999 ema=0.99] [--at-once 2]
"""
import argparse
import json
import os
import subprocess
import sys

from common import DATA_ROOT, RESULTS, ROOT, RUNS
from ganclf.files import write_json
from ganclf.provenance import provenance

TRAIN = """
import json, sys
from ganclf import api
api.run(sys.argv[4], labels="100", seed=0, out=sys.argv[1], data_dir=sys.argv[2], download=False, quiet=True,
        resume=True, **json.loads(sys.argv[3]))
"""


def settings(variant: str, steps: int) -> dict:
    key, value = variant.split("=")
    return {"steps": steps, key: json.loads(value)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default="fixmatch", choices=["fixmatch", "mean-teacher"])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--variants", nargs="+", default=["ema=0.999", "ema=0.99"])
    parser.add_argument("--at-once", type=int, default=2, help="runs side by side, one thread each")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GANCLF_THREADS": "1", "OMP_NUM_THREADS": "1"}
    outs = {v: RUNS / f"{args.method.replace('-', '_')}_val" / f"{v.replace('=', '_')}_steps{args.steps}"
            for v in args.variants}
    for start in range(0, len(args.variants), args.at_once):
        batch = args.variants[start:start + args.at_once]
        procs = [subprocess.Popen([sys.executable, "-c", TRAIN, str(outs[v]), str(DATA_ROOT / "mnist"),
                                   json.dumps(settings(v, args.steps)), args.method], env=env) for v in batch]
        if any(p.wait() for p in procs):
            raise SystemExit("a run failed")
    rows = []
    for v, out in outs.items():
        history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        best = max(history, key=lambda r: r["val_acc"])
        rows.append({"variant": v, "settings": settings(v, args.steps), "best_val_acc": best["val_acc"],
                     "best_epoch": best["epoch"], "final_val_acc": history[-1]["val_acc"],
                     "final_val_acc_raw": history[-1]["val_acc_raw"],
                     "per_epoch": [{k: r[k] for k in ("epoch", "val_acc", "val_acc_raw", "mask", "loss_unl")}
                                   for r in history]})
        print(f"{v}: best val {best['val_acc']:.4f} (epoch {best['epoch']}), final {history[-1]['val_acc']:.4f}, "
              f"final raw {history[-1]['val_acc_raw']:.4f}")
    write_json(RESULTS / f"{args.method.replace('-', '_')}_val.json", {
        "what": f"{args.method} variants at 100 MNIST labels, seed 0, 5,000 validation labels; validation numbers only",
        "steps": args.steps, "provenance": provenance(threads=1), "runs": rows})


if __name__ == "__main__":
    main()
