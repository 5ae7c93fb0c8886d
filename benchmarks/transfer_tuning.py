"""The same tuning for transfer and its control transfer-scratch, on validation only (issue 28: a control gets the
tuning effort of its GAN arm).

Both arms try the same grid (head-only epochs on a frozen body, learning rate) at 100 MNIST labels on the tuning
seed (0, which the fair verdict does not use) with 5,000 validation labels; transfer's body is a DCGAN trained 3
epochs on the unlabelled pool, as in the verdict. Each arm takes the setting whose last-epoch validation accuracy is
highest: the realistic protocol the verdict runs keeps the last epoch's weights. The test split decides nothing
here and is not recorded.

    python benchmarks/transfer_tuning.py [--seed 0] [--machine-note TEXT]

Runs go to benchmarks/runs/transfer_tuning/ and are read back when finished; run it again after an interruption.
"""
import argparse
import itertools
import json

from common import DATA_ROOT, RUNS, print_table, write_results

from ganclf import api

GRID = {"unfreeze_after": (0, 2), "lr": (2e-3, 4e-3)}
GAN_EPOCHS = 3  # the fair verdict's DCGAN length (plans/verdict-100-realistic.toml)
RUN_ROOT = RUNS / "transfer_tuning"


def settings_grid() -> list[dict]:
    return [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]


def validation_curve(method: str, settings: dict, seed: int, gan) -> dict:
    name = "-".join(f"{k}{v:g}" for k, v in settings.items())
    out = RUN_ROOT / f"{method}-{name}-seed{seed}"
    api.run(method, labels="100", seed=seed, validation=5000, out=out, resume=True, reuse=True,
            data_dir=DATA_ROOT / "mnist", download=False, quiet=True, **settings,
            **({"gan": str(gan)} if method == "transfer" else {}))
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    best = max(history, key=lambda h: h["val_acc"])
    return {"method": method, **settings, "seed": seed, "best_epoch": best["epoch"],
            "best_val_acc": round(best["val_acc"], 4), "last_val_acc": round(history[-1]["val_acc"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--machine-note", default="", help="e.g. the threads each run had, or what ran beside")
    args = parser.parse_args()
    gan = RUN_ROOT / f"dcgan-cnn-seed{args.seed}"
    api.run("train-gan", preset="dcgan-cnn", labels="all", seed=args.seed, validation=5000, out=gan,
            epochs=GAN_EPOCHS, resume=True, reuse=True, data_dir=DATA_ROOT / "mnist", download=False, quiet=True)
    rows = [validation_curve(method, s, args.seed, gan)
            for method in ("transfer", "transfer-scratch") for s in settings_grid()]
    print_table(rows, ["method", *GRID, "best_epoch", "best_val_acc", "last_val_acc"])
    chosen = {m: {k: best[k] for k in GRID} for m in ("transfer", "transfer-scratch")
              for best in [max((r for r in rows if r["method"] == m), key=lambda r: r["last_val_acc"])]}
    print("chosen on last-epoch validation accuracy:", chosen)
    summary = {"config": {"labels": 100, "validation": 5000, "dataset": "mnist", "grid": GRID, "seed": args.seed,
                          "gan": f"dcgan-cnn, {GAN_EPOCHS} epochs on the unlabelled pool", "criterion":
                          "last-epoch validation accuracy"}, "chosen": chosen,
               "command": f"python benchmarks/transfer_tuning.py --seed {args.seed}",
               "machine_note": args.machine_note}
    print("written to", write_results("transfer_tuning", rows, summary))


if __name__ == "__main__":
    main()
