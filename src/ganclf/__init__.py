"""ganclf: do GANs help a classifier when labels are scarce?"""
__version__ = "0.1.0"

from .api import augment, baseline, evaluate_gan, predict, sample, ssl_gan, study, train_gan, transfer  # noqa: E402
from .data import Dataset, load_dataset, make_split, parse_budget  # noqa: E402

__all__ = ["augment", "baseline", "evaluate_gan", "predict", "sample", "ssl_gan", "study", "train_gan", "transfer",
           "Dataset", "load_dataset", "make_split", "parse_budget"]
