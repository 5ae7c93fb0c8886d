"""Folder datasets end to end, written out by this script into a temporary folder:

(a) Fashion-MNIST as a folder of PNGs (train/<k>-<class>/ from the 60,000 training images, test/<k>-<class>/ from
    the 10,000 test images). Its pixels equal the IDX images; the IDX path's split, mapped to the folder's images
    by content, gives cnn and pca-knn at 1,000 labels, seed 0, validation 5,000 the same accuracy (and the cnn
    the same weights) as `dataset="fashion-mnist"`. The folder's own split (api.run with its path) is reported
    too: other images at the same positions, so a close but not identical number.
(b) A colour 32x32 folder: MNIST digits on a random dark background colour in a random light foreground colour,
    padded to 32x32; train/ and unlabelled/ from MNIST's training images, test/ from its test images. The quick
    study (`ganclf.study("quick", dataset=PATH)`) over every method (cnn, pca-knn, transfer, transfer-scratch,
    augment, ssl-gan, pi-model, and the GANs they need) runs end to end; each method should be far above chance.

    OMP_NUM_THREADS=1 python benchmarks/folder_datasets.py           # the full run
    OMP_NUM_THREADS=1 python benchmarks/folder_datasets.py --quick   # (a) 2-epoch CNNs, (b) 5,000 images: 10 min

On a machine shared with other jobs, one thread a process ran 3x faster than two (OpenMP waits on descheduled
threads); on a quiet one, leave OMP_NUM_THREADS unset.

Writes benchmarks/results/folder_datasets.json (folder_datasets_quick.json with --quick).
"""
import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATA_ROOT, print_table, write_results
from PIL import Image
from safetensors.torch import load_file

import ganclf
from ganclf.config import config_to_dict, make_config
from ganclf.data import Split, load_dataset, make_split
from ganclf.methods import REGISTRY, get_method
from ganclf.runs import open_run
from ganclf.studies import PRESETS as STUDY_PRESETS

SEED, LABELS, VALIDATION = 0, "1000", 5000
METHODS = ("cnn", "pca-knn", "transfer", "transfer-scratch", "augment", "ssl-gan", "pi-model")
ABOVE_CHANCE = 3  # "far above chance": at least three times the accuracy of guessing


# ---- (a) Fashion-MNIST as a folder ----------------------------------------------------------------------------

def write_pngs(root: Path, split: str, images: np.ndarray, labels, class_dirs) -> None:
    """images (N, H, W[, 3]) as root/split/<class dir>/<index>.png, or root/split/<index>.png without labels; the
    zero-padded index makes a class folder's listing order the source's order."""
    for c in (class_dirs if labels is not None else [""]):
        (root / split / c).mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        folder = root / split / (class_dirs[labels[i]] if labels is not None else "")
        Image.fromarray(image).save(folder / f"{i:05d}.png")


def same_split_by_content(idx, folder, split: Split) -> Split:
    """The IDX split as positions in the folder dataset, in the same order (so batches draw the same images).

    The folder lists class by class, each class in file-name (= IDX) order: position p holds IDX image order[p].
    """
    for part in ("train", "test"):
        images, labels = (getattr(idx, f"{part}_{what}").numpy() for what in ("images", "labels"))
        order = np.argsort(labels, kind="stable")
        assert np.array_equal(getattr(folder, f"{part}_images").numpy(), images[order]), \
            f"the folder's {part} pixels differ from the IDX images"
        assert np.array_equal(getattr(folder, f"{part}_labels").numpy(), labels[order])
    order = np.argsort(idx.train_labels.numpy(), kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return Split(f"{folder.name}.seed{SEED}@{LABELS} (IDX split)", position[split.labelled],
                 position[split.unlabelled], position[split.validation])


def train_on_split(method: str, dataset, split: Split, out: Path, settings: dict) -> dict:
    """What api.run does after making its split: one method on this dataset and this split."""
    entry = get_method(method)
    cfg = make_config(entry.presets, entry.default_preset, method, **settings)
    run = open_run(out, {"method": method, "dataset": dataset.source, "split": split.name,
                         "config": config_to_dict(cfg)})
    return run.finish({**entry.train(dataset, split, run, cfg, SEED, True), "run_dir": str(out)})


def weights_hash(run_dir: Path) -> str | None:
    path = Path(run_dir) / "model.safetensors"
    if not path.exists():
        return None
    tensors = load_file(str(path))
    return hashlib.sha256(b"".join(tensors[k].numpy().tobytes() for k in sorted(tensors))).hexdigest()[:16]


def fashion_folder(tmp: Path, quick: bool) -> tuple[list[dict], dict]:
    idx = load_dataset("fashion-mnist", DATA_ROOT, download_missing=False)
    class_dirs = [f"{k}-{name.replace('/', '_')}" for k, name in enumerate(idx.classes)]  # sorted = label order
    root = tmp / "fashion-mnist-folder"
    start = time.time()
    for part in ("train", "test"):
        write_pngs(root, part, getattr(idx, f"{part}_images")[:, 0].numpy(),
                   getattr(idx, f"{part}_labels").numpy(), class_dirs)
    folder = load_dataset(str(root))
    prepared_s = time.time() - start
    idx_split = make_split(idx.train_labels.numpy(), LABELS, SEED, idx.name, idx.num_classes, VALIDATION)
    mapped = same_split_by_content(idx, folder, idx_split)  # asserts the folder's pixels are the IDX ones
    settings = {"cnn": {"epochs": 2} if quick else {}, "pca-knn": {}}
    rows = []
    for method, extra in settings.items():
        common = {"labels": LABELS, "seed": SEED, "validation": VALIDATION, "quiet": True, **extra}
        results = {
            "IDX (dataset='fashion-mnist')": ganclf.run(method, dataset="fashion-mnist", out=tmp / f"idx-{method}",
                                                         data_dir=DATA_ROOT, download=False, **common),
            "folder, the IDX split by content": train_on_split(method, folder, mapped, tmp / f"same-{method}", extra),
            "folder, its own split (api.run)": ganclf.run(method, dataset=str(root), out=tmp / f"own-{method}",
                                                           **common)}
        for source, r in results.items():
            rows.append({"part": "a", "method": method, "data": source, "labels": LABELS,
                         "val_accuracy": _round(r.get("val_accuracy")), "test_accuracy": r["test_accuracy"],
                         "weights": weights_hash(r["run_dir"]), "wall_time_s": r.get("wall_time_s")})
    checks = {}
    for method in settings:
        idx_row, same_row = [r for r in rows if r["method"] == method][:2]
        checks[method] = {"same_accuracy": idx_row["test_accuracy"] == same_row["test_accuracy"],
                          "same_weights": idx_row["weights"] == same_row["weights"]}
    return rows, {"pixels_equal": True, "same_split_by_content": True, "checks": checks,
                  "write_and_first_load_s": round(prepared_s, 1), "folder_checksum": folder.checksum}


# ---- (b) a colour 32x32 folder --------------------------------------------------------------------------------

def colour_digits(digits: np.ndarray, rng) -> np.ndarray:
    """(N, 28, 28) grey digits -> (N, 32, 32, 3): a random dark background colour (each channel 0-109) and a
    random light foreground colour (150-255), so the digit is lighter in every channel; 2 pixels of padding."""
    background = rng.integers(0, 110, (len(digits), 1, 1, 3))
    foreground = rng.integers(150, 256, (len(digits), 1, 1, 3))
    ink = np.pad(digits, ((0, 0), (2, 2), (2, 2)))[..., None] / 255.0
    return np.round(background * (1 - ink) + foreground * ink).astype(np.uint8)


def colour_folder(tmp: Path, sizes: dict) -> Path:
    mnist = load_dataset("mnist", DATA_ROOT, download_missing=False)
    rng = np.random.default_rng(SEED)
    root, classes = tmp / "colour-digits", list(mnist.classes)
    n_train, n_unlabelled, n_test = sizes["train"], sizes["unlabelled"], sizes["test"]
    train = mnist.train_images[:n_train + n_unlabelled, 0].numpy()
    write_pngs(root, "train", colour_digits(train[:n_train], rng), mnist.train_labels[:n_train].numpy(), classes)
    write_pngs(root, "unlabelled", colour_digits(train[n_train:], rng), None, classes)
    write_pngs(root, "test", colour_digits(mnist.test_images[:n_test, 0].numpy(), rng),
               mnist.test_labels[:n_test].numpy(), classes)
    return root


def colour_study(tmp: Path, quick: bool) -> tuple[list[dict], dict]:
    sizes = {"train": 5000, "unlabelled": 1000, "test": 1000} if quick else \
        {"train": 50000, "unlabelled": 10000, "test": 10000}
    start = time.time()
    root = colour_folder(tmp, sizes)
    data = load_dataset(str(root))
    prepared_s = time.time() - start
    quick_settings = STUDY_PRESETS["quick"].settings
    methods = [m for m in METHODS if m in REGISTRY]
    # ssl-gan and pi-model test a 0.999 average of D's weights: after the few hundred steps of a short run it is
    # mostly the initial weights (chance accuracy; D itself at ~60%), so these short runs average at 0.99.
    ssl = {"epochs": 5 if quick else 1, "ema": 0.99}  # 270 / 550 steps
    controls = {"transfer-scratch": quick_settings["transfer"], "ssl-gan": ssl, "pi-model": ssl}
    settings = {**quick_settings, **{m: v for m, v in controls.items() if m in methods}}
    result = ganclf.study("quick", tmp / "study", dataset=str(root), methods=methods, quiet=True, settings=settings,
                          **({"gan_images": "all"} if quick else {}))
    chance = 1 / data.num_classes
    rows = [{"part": "b", "method": s["method"], "data": f"colour {data.shape}", "labels": s["labels"],
             "test_accuracy": round(s["mean"], 4), "far_above_chance": s["mean"] >= ABOVE_CHANCE * chance,
             "wall_time_s": round(s["wall_time_s"], 1)} for s in result["summary"]]
    return rows, {"sizes": sizes, "shape": list(data.shape), "unlabelled_images": len(data.unlabelled_images),
                  "methods": methods, "missing_methods": [m for m in METHODS if m not in REGISTRY],
                  "study_settings": settings, "study_elapsed_s": round(result["elapsed_s"], 1),
                  "write_and_first_load_s": round(prepared_s, 1),
                  "all_far_above_chance": all(r["far_above_chance"] for r in rows)}


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2-epoch CNNs in (a), 5,000 training images in (b)")
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    args = parser.parse_args()
    start, load_before = time.time(), os.getloadavg()[0]
    rows, summary = [], {"quick": args.quick, "seed": SEED, "labels": LABELS, "validation": VALIDATION,
                         "load_average_before": round(load_before, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # folder caches and feature networks: fresh
        for part, run in (("a", fashion_folder), ("b", colour_study)):
            if args.part in (part, "both"):
                part_rows, summary[part] = run(Path(tmp), args.quick)
                rows += part_rows
    summary["elapsed_s"] = round(time.time() - start, 1)
    print_table(rows, ["part", "method", "data", "labels", "val_accuracy", "test_accuracy", "weights",
                       "far_above_chance", "wall_time_s"])
    for name, value in (("a", summary.get("a", {}).get("checks")), ("b", summary.get("b", {}).get(
            "all_far_above_chance"))):
        if value is not None:
            print(f"({name}) {value}")
    print(f"elapsed {summary['elapsed_s'] / 60:.1f} min")
    name = "folder_datasets" + ("_quick" if args.quick else "") + ("" if args.part == "both" else f"_{args.part}")
    print("written to", write_results(name, rows, summary))


if __name__ == "__main__":
    main()
