"""Issue 15's check that a refactor changes no number: the cnn at 1,000 labels and a 2-epoch ssl-gan at 100
labels, seed 0, run through the command line; writes their accuracies and a hash of each classifier's weights.

    python benchmarks/same_numbers.py --name before   # on the old code (PYTHONPATH=<old>/src)
    python benchmarks/same_numbers.py --name after
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from safetensors.torch import load_file

from common import DATA_ROOT, write_results

CELLS = {
    "cnn@1000": ["baseline", "--method", "cnn", "--labels", "1000", "--seed", "0"],
    "ssl-gan@100 (2 epochs)": ["ssl-gan", "--labels", "100", "--seed", "0", "--epochs", "2"],
}


def run_cell(args: list[str], out: Path) -> dict:
    env = {**os.environ, "GANCLF_DATA": str(DATA_ROOT)}
    subprocess.run([sys.executable, "-m", "ganclf", *args, "--out", str(out), "--quiet"], check=True, env=env)
    results = json.loads((out / "results.json").read_text())
    tensors = load_file(str(out / "model.safetensors"))  # the weights alone: the file's metadata may differ
    weights = hashlib.sha256(b"".join(tensors[k].numpy().tobytes() for k in sorted(tensors))).hexdigest()
    return {"val_accuracy": results["val_accuracy"], "test_accuracy": results["test_accuracy"],
            "weights_sha256": weights, "wall_time_s": results["wall_time_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cells = {name: run_cell(cmd, Path(tmp) / str(i)) for i, (name, cmd) in enumerate(CELLS.items())}
    for name, r in cells.items():
        print(f"{name}: val {r['val_accuracy']:.4f} test {r['test_accuracy']:.4f} weights {r['weights_sha256'][:16]}")
    write_results(f"same_numbers_{args.name}", [{"cell": k, **v} for k, v in cells.items()],
                  {"commands": CELLS, "pythonpath": os.environ.get("PYTHONPATH"), "data": str(DATA_ROOT)})


if __name__ == "__main__":
    main()
