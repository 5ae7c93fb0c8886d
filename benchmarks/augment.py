"""Issue 5 targets: generated-only accuracy (CAS) >= 97% on the MNIST test set from a cGAN trained on 10k
images; real + generated vs real only at 100, 1,000 and 10,000 labels over seeds.

For each (budget, seed) the default cdcgan is trained on that budget's labelled images only (so real+gen
uses no label the real-only classifier lacks), then `augment --mix all` trains the default CNN on real,
real + 10k generated and generated only. Cells are kept in benchmarks/runs/ and skipped when done, so the
script can be stopped and run again. Usage: python benchmarks/augment.py [--budgets 100,1000,10000] [--seeds 3]
"""
import argparse
import json
import statistics

from common import DATA_ROOT, ROOT, mean_std, print_table, write_results

from ganclf import api

RUNS = ROOT / "benchmarks" / "runs"


def cell(budget: str, seed: int, gan_steps: int | None, mix: str) -> dict:
    tag = f"-{gan_steps}steps" if gan_steps else ""
    gan_dir, aug_dir = RUNS / f"cdcgan-{budget}-seed{seed}{tag}", RUNS / f"augment-{budget}-seed{seed}{tag}"
    if not (gan_dir / "results.json").exists():
        resume = gan_dir if (gan_dir / "checkpoint.safetensors").exists() else None
        short = dict(epochs=10, min_steps=gan_steps) if gan_steps else {}  # 10 epochs of >= gan_steps / 10 steps
        api.train_gan("cdcgan", labels=budget, seed=seed, out=gan_dir, data_dir=DATA_ROOT / "mnist", quiet=True,
                      download=False, resume=resume, **short)
    if not (aug_dir / "results.json").exists():
        api.augment(gan_dir, labels=budget, seed=seed, out=aug_dir, mix=mix, data_dir=DATA_ROOT / "mnist",
                    quiet=True, download=False)
    results = json.loads((aug_dir / "results.json").read_text())
    gan_time = json.loads((gan_dir / "results.json").read_text())["wall_time_s"]
    return {"labels": budget, "seed": seed, **{f"{m}_test": round(v["test_accuracy"], 4)
                                                for m, v in results["mixes"].items()},
            **{f"{m}_val": round(v["val_accuracy"], 4) for m, v in results["mixes"].items()},
            "gan_time_s": gan_time, "augment_time_s": results["wall_time_s"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budgets", default="100,1000,10000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--gan-steps", type=int, help="a shorter cGAN: 10 epochs of at least this many steps in all")
    parser.add_argument("--mix", default="all", help="augment mixes (default all: real, real+gen, gen)")
    args = parser.parse_args()
    rows = []
    for seed in range(args.seeds):
        for budget in args.budgets.split(","):
            rows.append(cell(budget, seed, args.gan_steps, args.mix))
            print_table(rows[-1:], list(rows[-1]))
    summary = {}
    for budget in args.budgets.split(","):
        done = [r for r in rows if r["labels"] == budget]
        gain = [r["real+gen_test"] - r["real_test"] for r in done]
        mixes = [m for m in ("real", "real+gen", "gen") if f"{m}_test" in done[0]]
        summary[budget] = {"seeds": len(done), **{m: mean_std(r[f"{m}_test"] for r in done) for m in mixes},
                           "gain (real+gen - real)": mean_std(gain) if len(gain) > 1 else round(gain[0], 4),
                           "real std": round(statistics.stdev([r["real_test"] for r in done]), 4)
                           if len(done) > 1 else None}
    print_table([{"labels": k, **v} for k, v in summary.items()], ["labels", "seeds", "real", "real+gen", "gen",
                                                                    "gain (real+gen - real)"])
    tag = f"_gan{args.gan_steps}steps" if args.gan_steps else ""
    name = f"augment_{args.budgets.replace(',', '_')}_{args.seeds}seeds{tag}"
    print("written to", write_results(name, rows, {"gan_steps": args.gan_steps or "default recipe", **summary}))


if __name__ == "__main__":
    main()
