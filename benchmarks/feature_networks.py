"""The feature networks ganclf ships (FID, precision/recall, CAS in methods/quality.py): MNIST's and
Fashion-MNIST's, trained exactly as quality.feature_network trains them (the default CNN, width 16, 3 epochs on
every training image outside the fixed validation split, seed 0) with one torch thread, as cells train.

Writes src/ganclf/methods/features/<dataset>.safetensors and <dataset>.json (the recipe that feature_network
checks, the validation accuracy, the training time, provenance, and the file's SHA-256, which feature_network
verifies before it uses the file). Commit both; a changed recipe makes feature_network ignore them until they
are trained again with this command.

Usage: PYTHONPATH=src python benchmarks/feature_networks.py [--dataset mnist,fashion-mnist]
"""
import argparse
import hashlib
import json
import os

from common import DATA_ROOT

from ganclf.data import load_dataset
from ganclf.methods.quality import SHIPPED, train_feature_network
from ganclf.provenance import provenance
from ganclf.runs import save_checkpoint
from ganclf.threads import use_cpus

DATASETS = ("mnist", "fashion-mnist")


def ship(name: str) -> dict:
    dataset = load_dataset(name, DATA_ROOT / name if (DATA_ROOT / name).is_dir() else None, download_missing=True)
    state, metadata = train_feature_network(dataset, quiet=True)
    path = SHIPPED / f"{name}.safetensors"
    SHIPPED.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, {"model": state}, metadata)  # also writes <name>.json: the metadata
    meta = {**metadata, "provenance": provenance(threads=1, dataset_checksum=dataset.checksum),
            "load_average": os.getloadavg(), "size_bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default=",".join(DATASETS), help="comma-separated (default: both)")
    args = parser.parse_args()
    use_cpus(1)
    for name in args.dataset.split(","):
        meta = ship(name)
        print(f"{name}: val accuracy {meta['val_accuracy']:.4f}, {meta['train_time_s']:.0f} s (load average "
              f"{meta['load_average'][0]:.1f}), {meta['size_bytes'] / 1024:.0f} KiB, sha256 {meta['sha256'][:16]}...")


if __name__ == "__main__":
    main()
