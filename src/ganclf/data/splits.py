"""Label budgets and the seeded train/validation/labelled/unlabelled split every method shares."""
from dataclasses import dataclass

import numpy as np


VALIDATION_SIZE = 5000
# The validation images are the same for every seed and budget, so every model is selected on the same images.
VALIDATION_SEED = 12345


def default_validation_size(n_train: int) -> int:
    """5,000 validation images for the built-in datasets (the literature's protocol); a tenth of a small one."""
    return VALIDATION_SIZE if n_train >= 10 * VALIDATION_SIZE else n_train // 10


class BudgetError(ValueError):
    """A label budget that cannot be met or parsed."""


def parse_budget(text) -> int | float | str:
    """'100' -> 100 labels, '10%' -> 0.1 of the training pool, 'all' -> every training label."""
    text = str(text).strip().lower()
    try:
        if text == "all":
            return "all"
        if text.endswith("%"):
            fraction = float(text[:-1]) / 100
            if not 0 < fraction <= 1:
                raise BudgetError(f"label budget {text} must be a percentage in (0%, 100%]")
            return fraction
        count = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise BudgetError(f"label budget {text!r} is not a count, a percentage like 10%, or 'all'") from None
    if count <= 0:
        raise BudgetError(f"label budget must be positive, got {count}")
    return count


@dataclass(frozen=True)
class Split:
    """Indices into the training set. Test images are never part of a split."""
    name: str  # e.g. 'mnist.seed0@100', as in FixMatch's split files
    labelled: np.ndarray
    unlabelled: np.ndarray
    validation: np.ndarray

    def to_json(self) -> dict:
        """The labelled and validation indices; the unlabelled ones are every other training index."""
        return {"name": self.name, "labelled": self.labelled.tolist(), "validation": self.validation.tolist(),
                "unlabelled": "every other training image"}


def make_split(labels, budget, seed: int, dataset: str = "mnist",
               num_classes: int = 10, validation_size: int = VALIDATION_SIZE) -> Split:
    """Hold out a fixed validation set (the same images for every seed and budget; none when validation_size is
    0), then draw a class-balanced labelled subset from the rest.

    Labelled sets are nested: for one seed, the 100-label set is inside the 1000-label set.
    """
    labels = np.asarray(labels)
    budget = parse_budget(budget)
    if not 0 <= validation_size < len(labels):
        raise BudgetError(f"validation size {validation_size} must be at least 0 and leave training images out of "
                          f"{len(labels)}")
    order = np.random.default_rng(VALIDATION_SEED).permutation(len(labels))
    validation, pool = np.sort(order[:validation_size]), order[validation_size:]
    count = _budget_count(budget, len(pool))
    labelled = np.sort(_balanced_choice(labels, pool, count, num_classes, seed))
    unlabelled = np.setdiff1d(pool, labelled)
    tag = "all" if budget == "all" else count
    suffix = "" if validation_size == VALIDATION_SIZE else f".val{validation_size}"
    return Split(f"{dataset}.seed{seed}@{tag}{suffix}", labelled, unlabelled, validation)


def _budget_count(budget, pool_size: int) -> int:
    if budget == "all":
        return pool_size
    count = round(budget * pool_size) if isinstance(budget, float) else budget
    if count > pool_size:
        raise BudgetError(f"label budget {count} exceeds the {pool_size} training images outside validation")
    return count


def _balanced_choice(labels, pool, count: int, num_classes: int, seed: int) -> np.ndarray:
    if count == len(pool):
        return pool
    if count < num_classes:
        raise BudgetError(f"label budget {count} is fewer than one per class ({num_classes} classes)")
    rng = np.random.default_rng(seed)
    per_class = np.full(num_classes, count // num_classes)
    per_class[rng.permutation(num_classes)[: count % num_classes]] += 1
    chosen = []
    for c in range(num_classes):
        members = rng.permutation(pool[labels[pool] == c])
        if per_class[c] > len(members):
            raise BudgetError(f"label budget {count} needs {per_class[c]} images of class {c}, "
                              f"only {len(members)} available")
        chosen.append(members[: per_class[c]])
    return np.concatenate(chosen)


def read_split_indices(run_dir) -> np.ndarray | None:
    """The labelled indices in a run directory's split.json, or None if it has none readable."""
    import json
    from pathlib import Path
    try:
        labelled = json.loads((Path(run_dir) / "split.json").read_text())["labelled"]
        return np.asarray(labelled, dtype=np.int64)
    except (OSError, ValueError, KeyError, TypeError):
        return None
