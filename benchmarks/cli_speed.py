"""How fast the command line answers what needs no training: `ganclf --version`, an unknown method name and
`--help` (names are checked before torch is imported). Median of several runs of a fresh process each.

    python benchmarks/cli_speed.py
"""
import argparse
import statistics
import subprocess
import sys
import time

from common import write_results

COMMANDS = {"--version": ["--version"], "unknown method": ["run", "resnet9000"],
            "baseline --help": ["baseline", "--help"],
            "unknown baseline": ["baseline", "--method", "resnet"],
            "unknown study preset": ["study", "--preset", "quik"],
            "unknown method preset": ["run", "ssl-gan", "--preset", "mlpp"]}


def seconds(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ganclf", *args], capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--note", default="", help="e.g. whether other jobs shared the machine")
    args = parser.parse_args()
    rows = []
    for command in COMMANDS.values():
        t = seconds(command, 5)
        rows.append({"command": f"ganclf {' '.join(command)}", "median_s": round(statistics.median(t), 3),
                     "max_s": round(max(t), 3)})
        print(f"{rows[-1]['command']:<40} median {rows[-1]['median_s']:.3f} s  max {rows[-1]['max_s']:.3f} s")
    write_results("cli_speed", rows, {"target_s": 1.0, "all_under_target": all(r["max_s"] < 1 for r in rows),
                                      "note": args.note})


if __name__ == "__main__":
    main()
