"""Issue 30's hostile table (tests/hostile_cases.py): every case run once through the command line, in this process,
against a world of tiny runs; counts the tracebacks, unclear messages and data lost (targets: 0, 0, 0).

    python benchmarks/hostile.py    # writes benchmarks/results/hostile.json
"""
import os
import sys
import tempfile
import time
from pathlib import Path

from common import DATA_ROOT, ROOT, print_table, write_results

sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("GANCLF_DATA", str(DATA_ROOT))

from ganclf.provenance import provenance  # noqa: E402
from hostile_cases import CASES, run_case, world  # noqa: E402


def main() -> None:
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        w = world(Path(tmp) / "world")
        made = round(time.time() - start, 1)
        rows = [run_case(case, w, i) for i, case in enumerate(CASES)]
    for r in rows:
        r["outcome"] = "traceback" if r["traceback"] else "unclear" if r["unclear"] else "lost" if r["lost"] else "ok"
    print_table(rows, ["name", "code", "outcome"])
    summary = {"cases": len(rows), "tracebacks": sum(bool(r["traceback"]) for r in rows),
               "unclear_messages": sum(r["unclear"] for r in rows), "data_lost": sum(r["lost"] for r in rows),
               "world_s": made, "total_s": round(time.time() - start, 1),
               "config": {"world": "cnn 100 labels 1 step; cdcgan 200 labels 2 epochs of 4 steps; pca-knn study "
                                   "at 100 labels, 1 seed; copies with broken cells; locked directories",
                          "threads": os.environ.get("GANCLF_THREADS")},
               "provenance": provenance()}
    print({k: v for k, v in summary.items() if k not in ("config", "provenance")})
    write_results("hostile", rows, summary)


if __name__ == "__main__":
    main()
