"""Issue 2 targets: seed CNN ~0.96 @10k; default CNN >= 99.3% @10k and >= 95% @1k; PCA+k-NN >= 97.5% on all
labels in under 5 s. Usage: python benchmarks/baselines.py [--seeds 3]"""
import argparse
import statistics
import tempfile
import time

from common import DATA_ROOT, mean_std, print_table, write_results

from ganclf import baseline

CELLS = [("cnn-original", "10000"), ("cnn", "10000"), ("cnn", "1000"), ("cnn", "100"), ("pca-knn", "all"),
         ("pca-knn", "1000")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method, labels in CELLS:
            for seed in range(args.seeds):
                start = time.time()
                r = baseline(method, dataset="mnist", labels=labels, seed=seed, out=f"{tmp}/{method}-{labels}-{seed}",
                             data_dir=DATA_ROOT, quiet=True, download=False)
                rows.append({"method": method, "labels": labels, "seed": seed, "val_acc": round(r["val_accuracy"], 4),
                             "test_acc": round(r["test_accuracy"], 4), "method_time_s": r["wall_time_s"],
                             "total_time_s": round(time.time() - start, 2)})
                print_table(rows[-1:], list(rows[-1]))
    summary = {}
    for method, labels in CELLS:
        cell = [r for r in rows if r["method"] == method and r["labels"] == labels]
        summary[f"{method}@{labels}"] = {"test_acc": mean_std(r["test_acc"] for r in cell),
                                         "method_time_s": round(statistics.mean(r["method_time_s"] for r in cell), 2)}
    print()
    print_table([{"cell": k, **v} for k, v in summary.items()], ["cell", "test_acc", "method_time_s"])
    print("written to", write_results("baselines", rows, summary))


if __name__ == "__main__":
    main()
