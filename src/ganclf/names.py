"""The names a user types (methods, their presets, study presets) and the old names still accepted, in tables that
import nothing, so the command line refuses a misspelt name before torch loads. tests/test_names.py keeps them equal
to the modules that define what each name means (methods/, studies/plan.py).

The projects this toolkit grew from are "the original projects" (000 to 004); "seed" means a random seed only. Their
old names (cnn-seed, the seeds study, seed-trial1, dcgan-seed, ...) stay accepted, so old commands, run directories
and studies still work.
"""

# method -> its preset names, the default first
METHOD_PRESETS = {
    "cnn": ("default",),
    "cnn-original": ("default",),
    "cnn-shift": ("default",),
    "pca-knn": ("default",),
    "transfer": ("default", "original-trial1", "original-trial2", "original-trial3"),
    "transfer-scratch": ("default", "original-trial1", "original-trial2", "original-trial3"),
    "augment": ("default",),
    "ssl-gan": ("mlp", "paper", "conv"),
    "pi-model": ("mlp", "paper", "conv"),
    "fixmatch": ("default", "quick"),
    "mean-teacher": ("default", "quick"),
    "train-gan": ("dcgan", "gan", "gan-original", "dcgan-cnn", "dcgan-original", "cdcgan", "cdcgan-original"),
}
# what each method is, in the order `ganclf list` and a study's report group them
METHOD_KINDS = {
    "GAN methods": ("ssl-gan", "transfer", "augment"),
    "their controls (the same without the GAN)": ("pi-model", "transfer-scratch", "cnn-shift"),
    "baselines": ("cnn", "cnn-original", "pca-knn"),
    "the non-GAN alternatives": ("fixmatch", "mean-teacher"),
    "GAN training": ("train-gan",),
}
# each kind in a few words, as a study report's accuracy table writes it under a method's name
METHOD_KIND_LINES = {"GAN methods": "GAN method", "their controls (the same without the GAN)": "control (no GAN)",
                     "baselines": "baseline", "the non-GAN alternatives": "non-GAN alternative",
                     "GAN training": "GAN training"}
STUDY_PRESETS = ("quick", "original", "full", "verdict")  # one-off studies are declared files: plans/*.toml

# old name -> new name, accepted wherever the new one is and never listed
METHOD_ALIASES = {"cnn-seed": "cnn-original"}
PRESET_ALIASES = {"seed-trial1": "original-trial1", "seed-trial2": "original-trial2",
                  "seed-trial3": "original-trial3", "gan-seed": "gan-original", "dcgan-seed": "dcgan-original",
                  "cdcgan-seed": "cdcgan-original"}
STUDY_ALIASES = {"seeds": "original"}
NETWORK_ALIASES = {"seed": "original"}  # train-gan's networks setting (and its old --preset seed)


def method_name(name: str) -> str:
    """The registered name of a method (an old name mapped to its new one); an unknown name is refused with the
    valid ones."""
    name = METHOD_ALIASES.get(name, name)
    if name not in METHOD_PRESETS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHOD_PRESETS)}")
    return name


def preset_name(method: str, preset: str | None) -> str:
    """A method's preset by its current name (None: the default); an unknown one is refused with the valid ones."""
    presets = METHOD_PRESETS[method_name(method)]
    if preset is None:
        return presets[0]
    preset = PRESET_ALIASES.get(preset, preset)
    if preset not in presets:
        raise ValueError(f"unknown {method_name(method)} preset {preset!r}; choose from {', '.join(presets)}")
    return preset


def study_preset(name: str) -> str:
    name = STUDY_ALIASES.get(name, name)
    if name not in STUDY_PRESETS:
        raise ValueError(f"unknown study preset {name!r}; choose from {', '.join(STUDY_PRESETS)}")
    return name


def method_kind(name: str) -> str:
    """The group of METHOD_KINDS a method belongs to."""
    return next(kind for kind, methods in METHOD_KINDS.items() if method_name(name) in methods)
