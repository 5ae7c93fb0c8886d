"""Issue 29: what a step of fixmatch and mean-teacher costs, beside ssl-gan's, at 100 MNIST labels on one CPU thread.

Each method's default preset trains --warmup steps (not timed), then --steps timed steps, in this process, one after
another; the full run's training time is its preset's steps times that cost (evaluation not included). The numbers
are only as good as the machine was quiet: the load average seen is recorded beside them.

Usage: GANCLF_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/fixmatch_cost.py [--steps 50] [--warmup 10]
"""
import argparse
import os
import time
from dataclasses import replace

import torch

from common import DATA_ROOT, RESULTS, print_table
from ganclf.config import config_to_dict
from ganclf.data import load_dataset, make_split, to_float
from ganclf.files import write_json
from ganclf.methods import get_method, semi, ssl_gan
from ganclf.provenance import provenance
from ganclf.threads import use_cpus


def semi_seconds(method: str, data, split, steps: int, warmup: int) -> tuple[float, object]:
    cfg = get_method(method).presets["default"]
    images = to_float(data.train_images)
    lab = (images[split.labelled], data.train_labels[split.labelled])
    unl = ssl_gan.unlabelled_images(data, split, images)
    augment = semi.strong_augmentation(1) if cfg.unlabelled_loss == "fixmatch" else None
    st = semi._State(cfg, data.num_classes, 0, torch.device("cpu"), data.shape)
    semi._train_epoch(st, replace(cfg, steps_per_epoch=warmup), lab, unl, augment)
    start = time.perf_counter()
    semi._train_epoch(st, replace(cfg, steps_per_epoch=steps), lab, unl, augment)
    return (time.perf_counter() - start) / steps, cfg


def ssl_gan_seconds(data, split, steps: int, warmup: int) -> tuple[float, object]:
    cfg = get_method("ssl-gan").presets["mlp"]
    images = to_float(data.train_images)
    lab_x, lab_y = images[split.labelled], data.train_labels[split.labelled]
    unl = ssl_gan.unlabelled_images(data, split, images)
    st = ssl_gan._State(cfg, data.num_classes, 0, torch.device("cpu"), data.shape)
    ssl_gan._train_epoch(st, cfg, lab_x, lab_y, unl, warmup)
    start = time.perf_counter()
    ssl_gan._train_epoch(st, cfg, lab_x, lab_y, unl, steps)
    return (time.perf_counter() - start) / steps, cfg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--methods", default="fixmatch,mean-teacher,ssl-gan")
    args = parser.parse_args()
    threads = use_cpus()
    data = load_dataset("mnist", DATA_ROOT / "mnist", download_missing=False)
    split = make_split(data.train_labels.numpy(), "100", 0, data.name, data.num_classes, 5000)
    load_before, rows = os.getloadavg(), []
    for method in args.methods.split(","):
        if method == "ssl-gan":
            seconds, cfg = ssl_gan_seconds(data, split, args.steps, args.warmup)
            steps = cfg.epochs * ssl_gan._steps_per_epoch(len(split.unlabelled), cfg)
        else:
            seconds, cfg = semi_seconds(method, data, split, args.steps, args.warmup)
            steps = cfg.steps
        rows.append({"method": method, "ms_per_step": round(1000 * seconds, 1), "preset_steps": steps,
                     "preset_train_min": round(seconds * steps / 60, 1), "config": config_to_dict(cfg)})
    print_table(rows, ["method", "ms_per_step", "preset_steps", "preset_train_min"])
    path = RESULTS / "fixmatch_cost.json"
    write_json(path, {
        "what": "ms per training step at 100 MNIST labels (seed 0, 5,000 validation labels, default presets; "
                "ssl-gan's mlp preset), after warm-up steps; preset_train_min = the preset's steps x that cost, "
                "evaluation not included",
        "steps_timed": args.steps, "warmup_steps": args.warmup, "threads": threads,
        "machine_quiet": False,
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "note": "a shared 2-core machine, other engineers' jobs running: not quiet, so these are upper bounds of a "
                "step's cost here, for choosing step budgets, not for comparing code versions",
        "provenance": provenance(torch.device("cpu"), threads, data.checksum), "runs": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
