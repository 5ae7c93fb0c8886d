"""ganclf: do GANs help a classifier when labels are scarce?

The API is imported on first use (PEP 562), so `ganclf --version` and name checks answer without loading torch.
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
