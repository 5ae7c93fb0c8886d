from .dataset import Dataset, to_float
from .datasets import DATASETS, load_dataset
from .idx import DataError
from .splits import BudgetError, Split, make_split, parse_budget

__all__ = ["DATASETS", "Dataset", "load_dataset", "to_float", "DataError",
           "BudgetError", "Split", "make_split", "parse_budget"]
