"""Which consistency term keeps the Pi-model control from collapsing, on validation only.

pi-model and ssl-gan at 100 MNIST labels with 5,000 validation labels, 30 epochs (verdict-cpu's length), one run
per consistency variant and seed; records each run's per-epoch validation accuracy (D's weight average), its best
epoch and its last. The last epoch is what the no-validation protocol keeps, so a variant that collapses there
makes a weak control. The test split decides nothing here and is not recorded.

    python benchmarks/consistency_val.py [--seeds 0] [--epochs 30] [--name consistency_val] [--machine-note TEXT]

Runs go to benchmarks/runs/consistency_val/ and are read back when finished; run it again after an interruption.
"""
import argparse
import json

from common import DATA_ROOT, ROOT, print_table, write_results

from ganclf import api

VARIANTS = {"logits": {}, "logits-rampup10": {"consistency_rampup": 10},
            "probabilities": {"consistency_on": "probabilities"}}
RUNS = [("pi-model", variant) for variant in VARIANTS] + [("ssl-gan", "logits"), ("ssl-gan", "probabilities")]
RUN_ROOT = ROOT / "benchmarks" / "runs" / "consistency_val"


def validation_curve(method: str, variant: str, seed: int, epochs: int) -> dict:
    out = RUN_ROOT / f"{method}-{variant}-seed{seed}"
    api.run(method, labels="100", seed=seed, validation=5000, out=out, epochs=epochs, resume=True, reuse=True,
            data_dir=DATA_ROOT / "mnist", download=False, quiet=True, **VARIANTS[variant])
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    best = max(history, key=lambda h: h["val_acc"])
    return {"method": method, "variant": variant, "settings": VARIANTS[variant], "seed": seed,
            "best_epoch": best["epoch"], "best_val_acc": round(best["val_acc"], 4),
            "last_val_acc": round(history[-1]["val_acc"], 4),
            "val_acc": [round(h["val_acc"], 4) for h in history]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--name", default="consistency_val")
    parser.add_argument("--machine-note", default="", help="e.g. the threads each run had, or what ran beside")
    args = parser.parse_args()
    rows = [validation_curve(method, variant, int(seed), args.epochs)
            for seed in args.seeds.split(",") for method, variant in RUNS]
    print_table(rows, ["method", "variant", "seed", "best_epoch", "best_val_acc", "last_val_acc"])
    summary = {"config": {"labels": 100, "validation": 5000, "epochs": args.epochs, "dataset": "mnist",
                          "preset": "mlp", "variants": VARIANTS},
               "command": f"python benchmarks/consistency_val.py --seeds {args.seeds} --epochs {args.epochs}",
               "machine_note": args.machine_note}
    print("written to", write_results(args.name, rows, summary))


if __name__ == "__main__":
    main()
