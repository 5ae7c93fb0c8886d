"""ganclf: do GANs help a classifier when labels are scarce?

Train and test one method (the command line's `ganclf run METHOD`; `ganclf list` shows them all):
    run(method, dataset=None, labels=None, seed=0, out=None, preset=None, **settings) -> results dict
    baseline, train_gan, transfer, augment, ssl_gan: shortcuts for run(...) with one method each
Use a finished run:
    predict(run_dir, images)          classify image files
    sample(run_dir, n=100)            draw images from a trained GAN
    evaluate_gan(run_dir, n=10000)    FID, precision/recall, CAS of a trained GAN
    trained_gan(out, preset)          a GAN run directory, trained if it is not yet
Compare methods:
    study(preset="quick", out="runs/study") -> summary, verdict, report.html
Data: load_dataset, make_split, parse_budget, Dataset.
Modules: stats (paired differences and verdicts), methods (the registry), studies.

The functions are imported on first use (PEP 562), so `ganclf --version` and name checks answer without loading
torch. A paired comparison over three seeds, without torch:

>>> import ganclf
>>> d = ganclf.stats.paired_difference({0: 0.93, 1: 0.95, 2: 0.94}, {0: 0.90, 1: 0.92, 2: 0.90})
>>> d["verdict"], round(d["mean"], 4), round(d["ci_low"], 3), round(d["ci_high"], 3)
('helps', 0.0333, 0.019, 0.048)
"""
import importlib

__version__ = "0.2.0"

_API = {name: "ganclf.api" for name in ("run", "augment", "baseline", "evaluate_gan", "predict", "sample",
                                        "ssl_gan", "train_gan", "trained_gan", "transfer")}
_API.update({"study": "ganclf.studies", "Dataset": "ganclf.data", "load_dataset": "ganclf.data",
             "make_split": "ganclf.data", "parse_budget": "ganclf.data"})
_MODULES = {"stats": "ganclf.stats", "methods": "ganclf.methods", "studies": "ganclf.studies"}
__all__ = list(_API) + list(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    if name not in _API:
        raise AttributeError(f"module 'ganclf' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)


def __dir__() -> list[str]:
    """The public names as well as those already loaded, so tab completion finds them before first use."""
    return sorted(set(globals()) | set(__all__))
