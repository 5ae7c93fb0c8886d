"""Issue 29: what a step of fixmatch and mean-teacher costs, beside ssl-gan's, at 100 MNIST labels on one CPU thread.

Each method's default preset trains --warmup steps (not timed), then --steps timed steps, in this process, one after
another; the full run's training time is its preset's steps times that cost (evaluation not included). Wall times
are only as good as the machine was quiet (the load average seen is recorded beside them); the process's CPU time
a step is recorded too, which on one thread is about what a quiet machine's wall time would be.

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


def timed(train, steps: int) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) a step. On one thread the CPU time is what the step would take
    on a quiet machine; the wall time is what it took beside the other jobs."""
    wall, cpu = time.perf_counter(), time.process_time()
    train()
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def semi_seconds(method: str, data, split, steps: int, warmup: int) -> tuple[tuple[float, float], object]:
    cfg = get_method(method).presets["default"]
    images = to_float(data.train_images)
    lab = (images[split.labelled], data.train_labels[split.labelled])
    unl = ssl_gan.unlabelled_images(data, split, images)
    augment = semi.strong_augmentation(1) if cfg.unlabelled_loss == "fixmatch" else None
    st = semi._State(cfg, data.num_classes, 0, torch.device("cpu"), data.shape)
    semi._train_epoch(st, replace(cfg, steps_per_epoch=warmup), lab, unl, augment)
    return timed(lambda: semi._train_epoch(st, replace(cfg, steps_per_epoch=steps), lab, unl, augment), steps), cfg


def ssl_gan_seconds(data, split, steps: int, warmup: int) -> tuple[tuple[float, float], object]:
    cfg = get_method("ssl-gan").presets["mlp"]
    images = to_float(data.train_images)
    lab_x, lab_y = images[split.labelled], data.train_labels[split.labelled]
    unl = ssl_gan.unlabelled_images(data, split, images)
    st = ssl_gan._State(cfg, data.num_classes, 0, torch.device("cpu"), data.shape)
    ssl_gan._train_epoch(st, cfg, lab_x, lab_y, unl, warmup)
    return timed(lambda: ssl_gan._train_epoch(st, cfg, lab_x, lab_y, unl, steps), steps), cfg


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
        wall, cpu = seconds
        rows.append({"method": method, "ms_per_step": round(1000 * wall, 1), "cpu_ms_per_step": round(1000 * cpu, 1),
                     "preset_steps": steps, "preset_train_min": round(wall * steps / 60, 1),
                     "preset_cpu_min": round(cpu * steps / 60, 1), "config": config_to_dict(cfg)})
    print_table(rows, ["method", "ms_per_step", "cpu_ms_per_step", "preset_steps", "preset_train_min",
                       "preset_cpu_min"])
    path = RESULTS / "fixmatch_cost.json"
    write_json(path, {
        "what": "ms per training step at 100 MNIST labels (seed 0, 5,000 validation labels, default presets; "
                "ssl-gan's mlp preset), after warm-up steps: wall time, and the process's CPU time (on one thread "
                "about what a quiet machine's wall time would be); preset_*_min = the preset's steps x that cost, "
                "evaluation not included",
        "steps_timed": args.steps, "warmup_steps": args.warmup, "threads": threads,
        "machine_quiet": False,
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "note": "a shared 2-core machine, other engineers' jobs running: not quiet, so the wall times are upper "
                "bounds of a step's cost here; the CPU times stand in for a quiet thread (shared caches still slow "
                "them); for choosing step budgets, not for comparing code versions",
        "provenance": provenance(torch.device("cpu"), threads, data.checksum), "runs": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
