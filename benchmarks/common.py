"""Helpers shared by the benchmark scripts: where MNIST is, writing results, printing a table."""
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from ganclf.threads import use_cpus

use_cpus()  # GANCLF_THREADS / OMP_NUM_THREADS, else this process's CPUs: two 2-thread runs on 2 cores crawl

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("GANCLF_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "benchmarks" / "results"
RUNS = Path(os.environ.get("GANCLF_BENCH_RUNS", ROOT / "benchmarks" / "runs"))  # ignored by git


def machine() -> dict:
    from ganclf.provenance import provenance
    return {"cpu_threads": torch.get_num_threads(), "torch": torch.__version__, "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M"), "provenance": provenance()}


def mean_std(values) -> str:
    values = list(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} +- {spread:.4f}"


def write_results(name: str, rows: list[dict], summary: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "summary": summary, "runs": rows}, indent=2) + "\n")
    return path


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)))
