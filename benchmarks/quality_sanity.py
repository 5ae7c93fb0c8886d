"""Issue 3 sanity check of the GAN quality metrics: real images must score as real, noise must not.

Trains the feature network from scratch (into a temporary cache, so the time is always measured), then
scores 10,000 real training images, the 5,000 held-out validation images and 10,000 uniform-noise images
against the 10,000 test images; and the CAS of real training images (what a perfect conditional generator
would score). Usage: python benchmarks/quality_sanity.py [--epochs N] [--cas-images N] [--device cuda] [--keep DIR]
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from common import DATA_ROOT, print_table, write_results

from ganclf.data import load_dataset, make_split, to_float
from ganclf.methods.quality import classification_accuracy_score, feature_network, gan_quality, reference_features


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--epochs", type=int, default=None, help="feature network epochs (default: the recipe's)")
    parser.add_argument("--cas-images", type=int, default=10000, help="real images CAS trains on; 0 skips it")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--keep", help="an empty folder to keep the trained feature network in")
    args = parser.parse_args()
    dataset = load_dataset(args.dataset, DATA_ROOT, download_missing=False)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.keep or tmp)
        if any(cache.glob("*.safetensors")):
            parser.error(f"{cache} already holds a feature network; the training time would not be measured")
        start = time.time()
        net = feature_network(dataset, cache, quiet=False, epochs=args.epochs, device=args.device)
        train_time = round(time.time() - start, 1)
        info = json.loads(next(cache.glob("*.json")).read_text())
    reference = reference_features(dataset, net)
    split = make_split(dataset.train_labels.numpy(), "all", 0, dataset.name, dataset.num_classes)
    images = to_float(dataset.train_images)
    sets = {"train (10k, seen by the net)": (images[split.labelled[:10000]], dataset.train_labels[split.labelled[:10000]]),
            "validation (5k, held out)": (images[split.validation], dataset.train_labels[split.validation]),
            "uniform noise (10k)": (torch.rand(10000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1,
                                    None)}
    rows = []
    for name, (x, y) in sets.items():
        start = time.time()
        q = gan_quality(x, y, dataset, net, reference)
        rows.append({"vs 10k test images": name, **{k: round(v, 4) for k, v in q.items()},
                     "time_s": round(time.time() - start, 1)})
        print_table(rows[-1:], list(rows[-1]))
    summary = {"dataset": args.dataset, "device": args.device, "feature_epochs": info["train_config"]["epochs"],
               "feature_train_time_s": train_time, "feature_val_accuracy": round(info["val_accuracy"], 4)}
    if args.cas_images:
        start = time.time()
        n = args.cas_images
        summary["cas_real_train_images"] = n
        summary.update(classification_accuracy_score(images[split.labelled[:n]], dataset.train_labels[split.labelled[:n]],
                                                      dataset, quiet=False, device=args.device))
        summary["cas_time_s"] = round(time.time() - start, 1)
    print()
    print_table(rows, list(rows[0]))
    print(json.dumps(summary, indent=1))
    name = "quality_sanity" if args.epochs is None else f"quality_sanity_{args.epochs}ep"
    print("written to", write_results(name, rows, summary))


if __name__ == "__main__":
    main()
