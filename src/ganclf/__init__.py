"""ganclf: do GANs help a classifier when labels are scarce?"""
__version__ = "0.1.0"

from .api import baseline, predict, ssl_gan, study  # noqa: E402
from .data import Dataset, load_dataset, make_split, parse_budget  # noqa: E402

__all__ = ["baseline", "predict", "ssl_gan", "study", "Dataset", "load_dataset", "make_split", "parse_budget"]
