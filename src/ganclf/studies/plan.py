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
    dataset: str = "mnist"
    labels: tuple = ("100", "1000", "10000")
    seeds: int = 3
    methods: tuple = ("cnn", "pca-knn", "transfer", "augment", "ssl-gan")
    gan_images: str = "all"  # what a GAN shared by a seed's budgets trains on (the unlabelled pool, or a count)
    # method or shared-GAN preset name -> settings overriding its preset (shortened recipes of a demonstration)
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in self.methods:
            check_method_name(name)
        if self.seeds < 1:
            raise ConfigError("seeds must be at least 1")
        for budget in (*self.labels, self.gan_images):
            parse_budget(budget)  # fail before any training, not at the first cell with a bad budget
        gan_presets = set(get_method("train-gan").presets)
        unknown = [k for k in self.settings if k not in REGISTRY and k not in gan_presets]
        if unknown:
            raise ConfigError(f"settings for {unknown[0]!r}, which is neither a method nor a train-gan preset")

    def to_dict(self) -> dict:
        return asdict(self)


SHORT_CLASSIFIER = {"epochs": 5}
PRESETS = {
    # Minutes on 2 CPU cores: short GANs and classifiers, so the numbers are a demonstration, not a verdict.
    "quick": StudyConfig(labels=("100", "1000"), seeds=1, gan_images="10000", settings={
        "cnn": SHORT_CLASSIFIER, "transfer": SHORT_CLASSIFIER, "augment": {"epochs": 5, "synthetic": 2000},
        "ssl-gan": {"epochs": 1}, "dcgan-cnn": {"epochs": 2, "min_steps_per_epoch": 150},
        "cdcgan": {"epochs": 2, "min_steps_per_epoch": 150}}),
    # The seed projects' budgets (10k images; seed 000's 1k), our methods beside their reported numbers.
    # As the seeds did, the GANs train on the 10k images; short GANs and 10-epoch classifiers fit in 10 minutes.
    "seeds": StudyConfig(labels=("1000", "10000"), seeds=1,
                         methods=("cnn-seed", "cnn", "pca-knn", "transfer", "augment"), gan_images="10000", settings={
                             "cnn": {"epochs": 10}, "transfer": {"epochs": 10}, "augment": {"epochs": 10},
                             "dcgan-cnn": {"epochs": 1, "min_steps_per_epoch": 600},
                             "cdcgan": {"epochs": 1, "min_steps_per_epoch": 600}}),
    "full": StudyConfig(),
}
DEMONSTRATIONS = {"quick", "seeds"}  # presets whose shortened recipes make their numbers a demonstration


@dataclass(frozen=True)
class GANJob:
    """A GAN trained once and used by several cells; `name` is its folder under OUT/gans/."""
    name: str
    preset: str
    dataset: str
    labels: str
    seed: int
    settings: dict


@dataclass(frozen=True)
class Cell:
    method: str
    dataset: str
    labels: str
    seed: int
    settings: dict
    gan: str | None = None  # the name of the GANJob it uses

    @property
    def folder(self) -> str:
        return f"cells/{self.method}/seed{self.seed}@{_tag(self.labels)}"


def plan(cfg: StudyConfig) -> tuple[list[GANJob], list[Cell]]:
    """Every shared GAN and every (budget, seed, method) cell, in the order a sequential study runs them."""
    jobs, cells = {}, []
    for labels in cfg.labels:
        for seed in range(cfg.seeds):
            for method in cfg.methods:
                job = _shared_gan(cfg, method, labels, seed)
                if job:
                    jobs.setdefault(job.name, job)
                cells.append(Cell(method, cfg.dataset, labels, seed, dict(cfg.settings.get(method, {})),
                                  job.name if job else None))
    return list(jobs.values()), cells


def _shared_gan(cfg: StudyConfig, method: str, labels: str, seed: int) -> GANJob | None:
    need = get_method(method).shared_gan
    if need is None:
        return None
    images = cfg.gan_images if need.images == "pool" else labels
    name = f"{need.preset}-seed{seed}" + (f"@{_tag(labels)}" if need.images == "budget" else "")
    return GANJob(name, need.preset, cfg.dataset, images, seed, dict(cfg.settings.get(need.preset, {})))


def _tag(labels: str) -> str:
    return labels.replace("%", "pct")
