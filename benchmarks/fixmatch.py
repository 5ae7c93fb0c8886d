"""Issue 29: the rival a practitioner would pick instead of a GAN. fixmatch beside cnn and ssl-gan at 100 labels under
the realistic protocol (validation=0: no labels beyond the budget, fixed schedules, final weights), seeds 0..N-1;
paired 95% intervals of fixmatch - cnn and ssl-gan - fixmatch over the seeds.

Every run has its own directory under benchmarks/runs/fixmatch/ and is resumed where it stopped (a finished one is
read back), so the script can be stopped and run again. ssl-gan trains 30 epochs, as the project's CPU verdict does;
fixmatch and cnn their default presets. Long: on one CPU thread a fixmatch run takes ~8 minutes
(benchmarks/results/fixmatch_cost.json), an ssl-gan run of 30 epochs ~16 (16,470 steps), a cnn run ~1.

    python benchmarks/fixmatch.py [--dataset fashion-mnist] [--seeds 5]
"""
import argparse

from common import DATA_ROOT, RESULTS, RUNS, print_table
from ganclf import api, stats
from ganclf.files import write_json
from ganclf.provenance import provenance
from ganclf.threads import use_cpus

LABELS = "100"
METHODS = {"fixmatch": {}, "cnn": {}, "ssl-gan": {"epochs": 30}}
DATA_DIRS = {"mnist": DATA_ROOT / "mnist", "fashion-mnist": "/usr/share/datasets/fashion-mnist"}


def train(method: str, dataset: str, seed: int) -> dict:
    """The finished run's results: trained now, continued from its checkpoint, or read back."""
    out = RUNS / "fixmatch" / dataset / f"{method}-seed{seed}"
    return api.run(method, dataset=dataset, labels=LABELS, seed=seed, out=out, validation=0,
                   data_dir=DATA_DIRS[dataset], download=False, quiet=True, resume=True, reuse=True, **METHODS[method])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="mnist", choices=sorted(DATA_DIRS))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    threads = use_cpus()
    accuracy, rows = {m: {} for m in METHODS}, []
    for seed in range(args.seeds):
        for method in METHODS:
            r = train(method, args.dataset, seed)
            accuracy[method][seed] = r["test_accuracy"]
            rows.append({"method": method, "seed": seed, "test_accuracy": r["test_accuracy"],
                         "train_time_s": r.get("train_time_s", r.get("wall_time_s")), "steps": r.get("steps"),
                         "real_images": r.get("real_images"), "run_dir": r["run_dir"]})
            print(f"{method} seed {seed}: test {r['test_accuracy']:.4f}")
    print_table(rows, ["method", "seed", "test_accuracy", "train_time_s"])
    comparisons = {}
    for a, b in (("fixmatch", "cnn"), ("ssl-gan", "fixmatch")):
        d = stats.paired_difference(accuracy[a], accuracy[b])
        sentence = stats.verdict_sentence(a, b, d, {"labelled": int(LABELS), "validation": 0})
        comparisons[f"{a} - {b}"] = {**d, "sentence": sentence}
        print(sentence)
    write_json(RESULTS / f"fixmatch_{args.dataset.replace('-', '_')}.json", {
        "what": f"fixmatch, cnn and ssl-gan (30 epochs) at {LABELS} {args.dataset} labels, validation=0 (final "
                f"weights, no labels beyond the budget), seeds 0-{args.seeds - 1}; paired 95% t-intervals",
        "fixmatch_test_accuracy": stats.summary(list(accuracy["fixmatch"].values())),
        "comparisons": comparisons, "settings": METHODS, "threads": threads,
        "provenance": provenance(threads=threads), "runs": rows})


if __name__ == "__main__":
    main()
