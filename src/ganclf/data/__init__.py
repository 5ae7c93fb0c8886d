from .datasets import DATASETS, Dataset, load_dataset, to_float
from .idx import DataError
from .splits import BudgetError, Split, make_split, parse_budget

__all__ = ["DATASETS", "Dataset", "load_dataset", "to_float", "DataError",
           "BudgetError", "Split", "make_split", "parse_budget"]
