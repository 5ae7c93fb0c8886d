"""What a study runs: its configuration and presets, and the plan of cells and shared GANs it makes.

A cell is plain data (method, dataset, budget, seed, settings, the shared GAN it uses), so any executor can ship it
to another process or machine. Shared GANs are named jobs; a cell names the one it needs.
"""
from dataclasses import asdict, dataclass, field

from ..config import ConfigError
from ..data import parse_budget
from ..methods import REGISTRY, check_method_name, get_method


@dataclass(frozen=True)
class StudyConfig:
    datasets: tuple = ("mnist",)
    labels: tuple = ("100", "1000", "10000")
    seeds: int = 3
    first_seed: int = 0  # the seeds run are first_seed, first_seed + 1, ...: a tuning seed can stay out of them
    methods: tuple = ("cnn", "pca-knn", "transfer", "augment", "ssl-gan")
    # Labelled validation images, one study protocol each: None: the dataset's default (5,000 for the built-in
    # ones, the literature's protocol); 0: none at all (fixed schedules, final weights: the budget is every label)
    validation: tuple = (None,)
    gan_images: str = "all"  # what a GAN shared by a seed's budgets trains on (the unlabelled pool, or a count)
    # method or shared-GAN preset name -> settings overriding its preset (shortened recipes of a demonstration)
    settings: dict = field(default_factory=dict)
    # (method, control) pairs compared seed by seed; empty: each method with its registered control, and every
    # GAN method with cnn
    comparisons: tuple = ()
    # The declared family: the primary (method, control) comparisons whose verdicts are Holm-adjusted together over
    # every dataset, protocol and budget of the study; empty: each GAN method against its registered control
    family: tuple = ()
    # generated images each shared GAN is scored on once it has trained (FID, precision/recall, label accuracy,
    # CAS: what `ganclf evaluate-gan` measures, against as many real test images); 0: not measured
    quality_samples: int = 10000

    def __post_init__(self):
        for name in self.methods:
            check_method_name(name)
        if self.seeds < 1 or not 0 <= self.first_seed <= 2**31 - 1 - self.seeds or not self.datasets \
                or not self.labels or not self.validation or not self.methods:
            raise ConfigError("a study needs at least one dataset, label budget, validation size, method and seed "
                              "(seeds from 0 up)")
        if self.quality_samples != 0 and not 10 <= self.quality_samples <= 1_000_000:
            raise ConfigError("quality_samples must be 0 (no GAN quality) or 10 to 1,000,000 generated images")
        for budget in (*self.labels, self.gan_images):
            parse_budget(budget)  # fail before any training, not at the first cell with a bad budget
        gan_presets = set(get_method("train-gan").presets)
        unknown = [k for k in self.settings if k not in REGISTRY and k not in gan_presets]
        if unknown:
            raise ConfigError(f"settings for {unknown[0]!r}, which is neither a method nor a train-gan preset")
        for pair in (*self.comparisons, *self.family):
            if len(pair) != 2 or any(m not in REGISTRY for m in pair):
                raise ConfigError(f"comparison {pair!r} must name two methods")

    def to_dict(self) -> dict:
        return asdict(self)

    def pairs(self) -> list[tuple[str, str]]:
        """The (method, control) comparisons the verdict reports: the declared family first, then the others
        (default: each method with its registered control, and every GAN method with cnn), those whose two
        methods both run (--methods may leave some out)."""
        others = self.comparisons or [p for name in self.methods for p in _default_pairs(name, self.methods)]
        pairs = dict.fromkeys(tuple(p) for p in (*self.family, *others))
        return [p for p in pairs if all(m in self.methods for m in p)]

    def family_size(self) -> int:
        """The declared family's hypotheses: each primary comparison on every dataset, protocol and budget."""
        return len(self.primary()) * len(self.datasets) * len(self.validation) * len(self.labels)

    def primary(self) -> list[tuple[str, str]]:
        """The declared family's comparisons among those reported (default: each GAN method and its control)."""
        if self.family:
            return [tuple(p) for p in self.family if tuple(p) in self.pairs()]
        return [(m, c) for m, c in self.pairs() if get_method(m).control == c]


def _default_pairs(name: str, methods) -> list[tuple[str, str]]:
    control = get_method(name).control
    pairs = [(name, control)] if control in methods else []
    return pairs + ([(name, "cnn")] if control and "cnn" in methods and control != "cnn" else [])


# The quick preset: 8 methods and controls x 2 budgets, each shared GAN scored on 1,000 generated images, aiming at
# 3 minutes on 2 CPU cores the first time (the feature networks ship with ganclf; two one-thread cells at a time;
# benchmarks/quick_study.py: with 3-epoch classifiers and 2,000 samples it used 185 CPU-seconds a core, so both
# were cut). augment trains only the mix that stands for it (real+gen), as verdict-cpu-augment.
SHORT_CLASSIFIER = {"epochs": 2}
QUICK_QUALITY = 1000
SHORT_QUALITY = 2000
SHORT_GAN = {"epochs": 2, "min_steps_per_epoch": 75}
VERDICT_METHODS = ("cnn", "pca-knn", "cnn-shift", "augment", "transfer", "transfer-scratch", "ssl-gan", "pi-model")
VERDICT_PAIRS = (("ssl-gan", "pi-model"), ("transfer", "transfer-scratch"), ("augment", "cnn-shift"),
                 ("ssl-gan", "cnn"), ("transfer", "cnn"), ("augment", "cnn"))
PRESETS = {
    # Minutes on 2 CPU cores: short GANs and classifiers, so the numbers are a demonstration, not a verdict.
    "quick": StudyConfig(labels=("100", "1000"), seeds=1, gan_images="5000", methods=VERDICT_METHODS,
                         quality_samples=QUICK_QUALITY, settings={
        "cnn": SHORT_CLASSIFIER, "cnn-shift": SHORT_CLASSIFIER, "transfer": SHORT_CLASSIFIER,
        "transfer-scratch": SHORT_CLASSIFIER, "augment": {"epochs": 2, "synthetic": 2000, "shift": 2, "mixes": ["real+gen"]},
        "ssl-gan": {"epochs": 1}, "pi-model": {"epochs": 1}, "dcgan-cnn": SHORT_GAN, "cdcgan": SHORT_GAN},
        comparisons=VERDICT_PAIRS),
    # The original projects' budgets (10k images; original 000's 1k), our methods beside their reported numbers.
    # As the originals did, the GANs train on the 10k images; short GANs and 10-epoch classifiers fit in 10 minutes.
    "original": StudyConfig(labels=("1000", "10000"), seeds=1, quality_samples=SHORT_QUALITY,
                            methods=("cnn-original", "cnn", "pca-knn", "transfer", "augment"), gan_images="10000",
                            settings={
                             "cnn": {"epochs": 10}, "transfer": {"epochs": 10}, "augment": {"epochs": 10},
                             "dcgan-cnn": {"epochs": 1, "min_steps_per_epoch": 600},
                             "cdcgan": {"epochs": 1, "min_steps_per_epoch": 600}}),
    "full": StudyConfig(),
    # The answer: every GAN method beside its control (the same network, schedule, augmentation and selection
    # without the GAN) and the CNN, two datasets, three budgets, five seeds, under both protocols, declared here
    # before any of its numbers existed: the 5,000-image validation protocol of the literature, and the
    # realistic one with no validation labels at all. augment shifts its images as its control cnn-shift does.
    "verdict": StudyConfig(datasets=("mnist", "fashion-mnist"), seeds=5, methods=VERDICT_METHODS,
                           validation=(None, 0), settings={"augment": {"shift": 2}},
                           comparisons=VERDICT_PAIRS),
}
DEMONSTRATIONS = {"quick", "original"}  # presets whose shortened recipes make their numbers a demonstration


@dataclass(frozen=True)
class GANJob:
    """A GAN trained once and used by several cells; `name` is its folder under OUT/gans/. Once trained it is
    scored on quality_samples generated images (0: not), its CAS classifier trained for cas_epochs (None: the
    cnn recipe's)."""
    name: str
    preset: str
    dataset: str
    labels: str
    seed: int
    settings: dict
    validation: int | None = None
    quality_samples: int = 0
    cas_epochs: int | None = None


@dataclass(frozen=True)
class Cell:
    method: str
    dataset: str
    labels: str
    seed: int
    settings: dict
    gan: str | None = None  # the name of the GANJob it uses
    validation: int | None = None

    @property
    def folder(self) -> str:
        return f"cells/{_dataset_tag(self.dataset)}/{self.method}/seed{self.seed}@{_tag(self.labels)}" + \
            _validation_tag(self.validation)


def plan(cfg: StudyConfig) -> tuple[list[GANJob], list[Cell]]:
    """Every shared GAN and every (dataset, validation, budget, seed, method) cell, in the order a sequential study
    runs them."""
    jobs, cells = {}, []
    for dataset in cfg.datasets:
        for validation in cfg.validation:
            for labels in cfg.labels:
                for seed in range(cfg.first_seed, cfg.first_seed + cfg.seeds):
                    for method in cfg.methods:
                        job = _shared_gan(cfg, method, dataset, validation, labels, seed)
                        if job:
                            jobs.setdefault(job.name, job)
                        cells.append(Cell(method, dataset, labels, seed, dict(cfg.settings.get(method, {})),
                                          job.name if job else None, validation))
    return list(jobs.values()), cells


def _shared_gan(cfg: StudyConfig, method: str, dataset: str, validation, labels: str, seed: int) -> GANJob | None:
    """The GAN a cell needs, named so every cell that may share it does: its images are the unlabelled pool
    (one per dataset, validation size and seed) or the cell's own labelled budget."""
    need = get_method(method).shared_gan
    if need is None:
        return None
    images = cfg.gan_images if need.images == "pool" else labels
    name = f"{_dataset_tag(dataset)}/{need.preset}-seed{seed}" + \
        (f"@{_tag(labels)}" if need.images == "budget" else "") + _validation_tag(validation)
    cas_epochs = cfg.settings.get("cnn", {}).get("epochs")  # CAS trains the study's cnn recipe
    return GANJob(name, need.preset, dataset, images, seed, dict(cfg.settings.get(need.preset, {})), validation,
                  cfg.quality_samples, cas_epochs)


def _tag(labels: str) -> str:
    return labels.replace("%", "pct")


def _dataset_tag(dataset: str) -> str:
    """A folder name for a dataset: its name, or a folder dataset's last path part."""
    return dataset.rstrip("/").replace("\\", "/").split("/")[-1] or "dataset"


def _validation_tag(validation) -> str:
    return "" if validation is None else f".val{validation}"
