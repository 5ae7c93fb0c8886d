"""The Python API. Each function runs one command end to end and returns its results dict;
the command line (cli.py) is a thin layer over these."""
from pathlib import Path

from .data import load_dataset, make_split
from .files import write_json
from .runs import Run


def open_run(command: str, out, dataset: str, labels, seed: int, data_dir=None, download: bool = True,
             **settings):
    """Load the data, draw the seeded split, create the run directory with its config and split file."""
    data = load_dataset(dataset, data_dir, download_missing=download)
    split = make_split(data.train_labels.numpy(), labels, seed, dataset, data.num_classes)
    out = Path(out or f"runs/{command}-{split.name}")
    config = {"command": command, "dataset": dataset, "labels": str(labels), "seed": seed,
              "split": split.name, **settings}
    run = Run(out, config)
    write_json(run.file("split.json"), split.to_json())
    return data, split, run


def baseline(method: str = "cnn", dataset: str = "mnist", labels="1000", seed: int = 0, out=None,
             data_dir=None, epochs: int | None = None, quiet: bool = False, download: bool = True) -> dict:
    """Train and test a baseline: 'cnn' (default CNN), 'cnn-seed' (seed 004's CNN) or 'pca-knn'."""
    from .methods.baseline import METHODS, run_baseline
    if method not in METHODS:
        raise ValueError(f"unknown baseline {method!r}; choose from {', '.join(METHODS)}")
    data, split, run = open_run(f"baseline-{method}", out, dataset, labels, seed, data_dir, download,
                                method=method, epochs=epochs)
    results = run_baseline(method, data, split, run, seed, epochs, quiet)
    return run.finish({**results, "dataset": dataset, "labels": str(labels), "n_labelled": len(split.labelled),
                       "seed": seed, "split": split.name, "run_dir": str(run.path)})
