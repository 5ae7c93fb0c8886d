"""Issue 5 targets: generated-only accuracy (CAS) >= 97% on the MNIST test set from a cGAN trained on 10k
images; real + generated vs real only at 100, 1,000 and 10,000 labels over seeds.

For each (budget, seed) the default cdcgan is trained on that budget's labelled images only (so real+gen
uses no label the real-only classifier lacks), then `augment --mix all` trains the default CNN on real,
real + 10k generated and generated only. `--sweep` adds, at budgets below 10k, real+gen with other synthetic-set
sizes, real shares and the classifier filter; the best on mean validation accuracy is the one to adopt. The
main cells concatenate real and generated images (--real-fraction 0), as they were measured; the variants
change one setting from there (the 50% real share is now augment's default).
Cells are kept in benchmarks/runs/ (or $GANCLF_BENCH_RUNS) and skipped when done, so the script can be stopped
and run again, and seeds can run in parallel processes (--seed S), then be summarised by one more call.

Usage: python benchmarks/augment.py [--budgets 100,1000,10000] [--seeds 3 | --seed S] [--sweep]
"""
import argparse
import json
import statistics

from common import DATA_ROOT, RUNS, mean_std, print_table, write_results

from ganclf import api

# real+gen variants of the sweep (the main cells are synthetic 10000, real and generated simply concatenated)
CONCATENATED = dict(real_fraction=0)
VARIANTS = {"synthetic 1000": dict(synthetic=1000, **CONCATENATED),
            "synthetic 30000": dict(synthetic=30000, **CONCATENATED),
            "real share 25%": dict(real_fraction=0.25), "real share 50%": dict(real_fraction=0.5),
            "classifier filter": dict(filter="classifier", **CONCATENATED)}


def gan_run(budget: str, seed: int, gan_steps: int | None):
    tag = f"-{gan_steps}steps" if gan_steps else ""
    short = dict(epochs=10, min_steps_per_epoch=-(-gan_steps // 10)) if gan_steps else {}  # >= gan_steps in all
    gan_dir = api.trained_gan(RUNS / f"cdcgan-{budget}-seed{seed}{tag}", "cdcgan", labels=budget, seed=seed,
                              data_dir=DATA_ROOT / "mnist", quiet=True, download=False, **short)
    return gan_dir, tag


def augment_run(gan_dir, out, budget: str, seed: int, mix: str, **overrides) -> dict:
    if not (out / "results.json").exists():
        api.augment(gan_dir, labels=budget, seed=seed, out=out, mixes=None if mix == "all" else (mix,),
                    data_dir=DATA_ROOT / "mnist",
                    quiet=True, download=False, **overrides)
    return json.loads((out / "results.json").read_text())


def cell(budget: str, seed: int, gan_steps: int | None, mix: str) -> dict:
    gan_dir, tag = gan_run(budget, seed, gan_steps)
    results = augment_run(gan_dir, RUNS / f"augment-{budget}-seed{seed}{tag}", budget, seed, mix,
                          **CONCATENATED)
    gan_time = json.loads((gan_dir / "results.json").read_text())["wall_time_s"]
    return {"labels": budget, "seed": seed, **{f"{m}_test": round(v["test_accuracy"], 4)
                                                for m, v in results["mixes"].items()},
            **{f"{m}_val": round(v["val_accuracy"], 4) for m, v in results["mixes"].items()},
            "gan_time_s": gan_time, "augment_time_s": results["wall_time_s"]}


def sweep_cell(budget: str, seed: int, gan_steps: int | None, variants=tuple(VARIANTS)) -> list[dict]:
    gan_dir, tag = gan_run(budget, seed, gan_steps)
    rows = []
    for name, overrides in ((v, VARIANTS[v]) for v in variants):
        out = RUNS / f"augment-{budget}-seed{seed}{tag}-{name.replace(' ', '-').replace('%', 'pct')}"
        r = augment_run(gan_dir, out, budget, seed, "real+gen", **overrides)["mixes"]["real+gen"]
        rows.append({"labels": budget, "seed": seed, "variant": name, "val": round(r["val_accuracy"], 4),
                     "test": round(r["test_accuracy"], 4)})
    return rows


def summarise(budgets, rows: list[dict]) -> dict:
    summary = {}
    for budget in budgets:
        done = [r for r in rows if r["labels"] == budget]
        gain = [r["real+gen_test"] - r["real_test"] for r in done]
        mixes = [m for m in ("real", "real+gen", "gen") if f"{m}_test" in done[0]]
        summary[budget] = {"seeds": len(done), **{m: mean_std(r[f"{m}_test"] for r in done) for m in mixes},
                           "gain (real+gen - real)": mean_std(gain) if len(gain) > 1 else round(gain[0], 4),
                           "real std": round(statistics.stdev([r["real_test"] for r in done]), 4)
                           if len(done) > 1 else None}
    return summary


def summarise_sweep(budgets, rows: list[dict], sweep: list[dict]) -> list[dict]:
    """Mean validation and test accuracy of each real+gen variant and of real only, per budget."""
    table = []
    for budget in budgets:
        main = [r for r in rows if r["labels"] == budget]
        variants = {"real only": [(r["real_val"], r["real_test"]) for r in main],
                    "synthetic 10000, concatenated (main)": [(r["real+gen_val"], r["real+gen_test"]) for r in main]}
        for name in VARIANTS:
            variants[name] = [(r["val"], r["test"]) for r in sweep if r["labels"] == budget and r["variant"] == name]
        for name, pairs in variants.items():
            if pairs:
                table.append({"labels": budget, "variant": name, "seeds": len(pairs),
                              "val": mean_std(v for v, _ in pairs), "test": mean_std(t for _, t in pairs)})
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budgets", default="100,1000,10000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed", type=int, help="run this one seed only (parallel processes); writes no summary")
    parser.add_argument("--gan-steps", type=int, help="a shorter cGAN: 10 epochs of at least this many steps in all")
    parser.add_argument("--mix", default="all", help="augment mixes (default all: real, real+gen, gen)")
    parser.add_argument("--sweep", action="store_true", help="real+gen variants at budgets below 10,000")
    parser.add_argument("--variants", help="with --seed: only these sweep variants (comma-separated), no main cell")
    args = parser.parse_args()
    budgets = args.budgets.split(",")
    seeds = [args.seed] if args.seed is not None else range(args.seeds)
    rows, sweep = [], []
    if args.variants:
        for budget in budgets:
            sweep_cell(budget, args.seed, args.gan_steps, args.variants.split(","))
        return
    for seed in seeds:
        for budget in budgets:
            rows.append(cell(budget, seed, args.gan_steps, args.mix))
            print_table(rows[-1:], list(rows[-1]))
            if args.sweep and int(budget) < 10000:
                sweep += sweep_cell(budget, seed, args.gan_steps)
                print_table(sweep[-len(VARIANTS):], list(sweep[-1]))
    if args.seed is not None:
        return
    summary = summarise(budgets, rows)
    print_table([{"labels": k, **v} for k, v in summary.items()], ["labels", "seeds", "real", "real+gen", "gen",
                                                                    "gain (real+gen - real)"])
    if sweep:
        summary["sweep"] = summarise_sweep(budgets, rows, sweep)
        print_table(summary["sweep"], ["labels", "variant", "seeds", "val", "test"])
    tag = f"_gan{args.gan_steps}steps" if args.gan_steps else ""
    name = f"augment_{args.budgets.replace(',', '_')}_{args.seeds}seeds{tag}"
    print("written to", write_results(name, rows + sweep, {"gan_steps": args.gan_steps or "default recipe", **summary}))


if __name__ == "__main__":
    main()
