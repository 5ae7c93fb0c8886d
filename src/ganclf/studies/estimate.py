"""How long a study's cells and shared GANs typically take, for the estimate printed before a study starts: the
steps each one's recipe takes on its images, times the seconds a step typically takes on 2 CPU cores."""
import math

from ..config import make_config
from ..data import parse_budget
from ..methods import get_method
from .plan import Cell, GANJob

# Seconds a training step typically takes on 2 CPU cores, from the cells of benchmarks/results/study_quick.json
# and verdict_cpu.json (their evaluation included).
STEP_S = {"cnn": 0.035, "cnn-shift": 0.035, "cnn-original": 0.03, "augment": 0.035, "transfer": 0.06,
          "transfer-scratch": 0.06, "ssl-gan": 0.056, "pi-model": 0.036, "dcgan-cnn": 0.18, "cdcgan": 0.18,
          # one thread's step (benchmarks/results/fixmatch_cost.json, where ssl-gan's took 58 ms against its 56 ms
          # here), not yet timed in a study
          "fixmatch": 0.38, "mean-teacher": 0.23}
UNKNOWN_STEP_S = 0.1
UNUSABLE_S = 0.0
UNSTEPPED_S = {"pca-knn": 1.0}  # methods that fit without steps: seconds a run
QUALITY_S_PER_1000 = 3.0  # scoring a shared GAN (sampling, features, precision/recall, a short CAS)
TRAINING_IMAGES = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000, "svhn": 73_257}
UNKNOWN_TRAINING_IMAGES = 10_000  # a folder dataset, whose size is not known before it is read
DEFAULT_VALIDATION = 5_000
# One torch thread trains about 1.33x slower than two: the quick study took 341.3 s on one, 257.4 s on two
# (benchmarks/results/study_executors_1thread.json, study_executors.json). More threads are counted as two.
ONE_CPU_SLOWDOWN = 1.33


def typical_seconds(unit: Cell | GANJob) -> float:
    """Seconds one cell or shared GAN typically takes on 2 CPU cores; settings that its run will refuse count as
    UNUSABLE_S (the run reports them, not the estimate)."""
    try:
        return _seconds(unit)
    except ValueError:  # ConfigError, BudgetError
        return UNUSABLE_S


def _seconds(unit: Cell | GANJob) -> float:
    if isinstance(unit, GANJob):
        cfg = make_config(get_method("train-gan").presets, unit.preset, "train-gan", **unit.settings)
        steps = _steps(cfg, _images(unit.dataset, unit.labels, unit.validation))
        return STEP_S.get(unit.preset, UNKNOWN_STEP_S) * steps + QUALITY_S_PER_1000 * unit.quality_samples / 1000
    if unit.method in UNSTEPPED_S:
        return UNSTEPPED_S[unit.method]
    return STEP_S.get(unit.method, UNKNOWN_STEP_S) * sum(planned_steps(unit))


def planned_steps(cell: Cell) -> list[int]:
    """The optimizer steps of each network a cell's method trains (one, or one per mix of augment), as its
    recipe plans them on its images; a method that trains no steps (pca-knn) plans none."""
    if cell.method in UNSTEPPED_S:
        return []
    entry = get_method(cell.method)
    cfg = make_config(entry.presets, entry.default_preset, cell.method, **cell.settings)
    labelled = _images(cell.dataset, cell.labels, cell.validation)
    if hasattr(cfg, "mixes"):  # every mix of augment trains the steps of the real-only classifier
        return [_steps(cfg.classifier.train, labelled) for _ in cfg.mixes]
    if hasattr(cfg, "labelled_batch"):  # ssl-gan and pi-model walk the unlabelled pool, whole batches only
        return [cfg.epochs * ((_images(cell.dataset, "all", cell.validation) - labelled) // cfg.batch_size)]
    return [_steps(getattr(cfg, "train", cfg), labelled)]


def _steps(recipe, images: float) -> int:
    if hasattr(recipe, "steps_per_epoch"):  # fixmatch, mean-teacher: a fixed number of steps in all
        return recipe.steps
    per_epoch = math.ceil(images / recipe.batch_size)
    return recipe.epochs * max(per_epoch, getattr(recipe, "min_steps_per_epoch", 0))


def _images(dataset: str, labels: str, validation) -> int:
    """The images a budget names: a count, a share of the training pool, or the whole pool."""
    pool = TRAINING_IMAGES.get(dataset, UNKNOWN_TRAINING_IMAGES) - (
        DEFAULT_VALIDATION if validation is None else validation)
    budget = parse_budget(labels)
    if budget == "all":
        return pool
    return min(pool, round(budget * pool) if isinstance(budget, float) else budget)


def study_seconds(units: list, at_once: int = 1, cpus: float = 2) -> float:
    """Wall seconds for these cells and GANs, at_once of them side by side with `cpus` CPUs each."""
    return sum(map(typical_seconds, units)) * pace(at_once, cpus)


def pace(at_once: int = 1, cpus: float = 2) -> float:
    """Wall seconds per typical second, at_once units side by side with `cpus` CPUs each."""
    return (ONE_CPU_SLOWDOWN if cpus < 2 else 1.0) / at_once
