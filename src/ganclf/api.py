"""The Python API. Each function runs one command end to end and returns its results dict;
the command line (cli.py) is a thin layer over these."""
from pathlib import Path

import numpy as np

from .data import load_dataset, make_split, parse_budget
from .files import write_json
from .runs import Run


def open_run(command: str, out, dataset: str, labels, seed: int, data_dir=None, download: bool = True,
             resume: bool = False, **settings):
    """Load the data, draw the seeded split, create the run directory with its config and split file."""
    data = load_dataset(dataset, data_dir, download_missing=download)
    split = make_split(data.train_labels.numpy(), labels, seed, dataset, data.num_classes)
    out = Path(out or f"runs/{command}-{split.name}")
    config = {"command": command, "dataset": dataset, "labels": str(labels), "seed": seed,
              "split": split.name, **settings}
    run = Run(out, config, resume=resume)
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


def ssl_gan(dataset: str = "mnist", labels="100", seed: int = 0, out=None, data_dir=None, preset: str = "mlp",
            arch: str | None = None, epochs: int | None = None, gen_loss: str | None = None, resume: bool = False,
            quiet: bool = False, download: bool = True) -> dict:
    """Semi-supervised GAN (Salimans et al. 2016): D is a K+1-class classifier trained on the labelled budget and
    every other training image (minus validation) as unlabelled. `resume` continues an interrupted run."""
    from .methods.ssl_gan import make_config, train_ssl_gan
    cfg = make_config(preset, arch=arch, epochs=epochs, gen_loss=gen_loss)
    data, split, run = open_run("ssl-gan", out, dataset, labels, seed, data_dir, download, resume=resume,
                                preset=preset, ssl_config=cfg.to_dict())
    results = train_ssl_gan(data, split, run, cfg, seed, quiet, resume=resume)
    return run.finish({**results, "dataset": dataset, "labels": str(labels), "n_labelled": len(split.labelled),
                       "n_unlabelled": len(split.unlabelled), "seed": seed, "split": split.name,
                       "run_dir": str(run.path)})


def predict(run_dir, images, data_dir=None) -> list[dict]:
    """Classify image files with the classifier a run directory holds: one dict per image."""
    import torch
    from .data import to_float
    from .data.images import load_image
    from .models.classifiers import build_classifier
    from .runs import RunError, load_checkpoint
    from .train import predict_logits

    weights = Path(run_dir) / "model.safetensors"
    if not weights.exists():
        raise RunError(f"{run_dir} holds no classifier weights (model.safetensors); train one with a "
                       "classifier method first")
    state, meta = load_checkpoint(weights)
    model = build_classifier(meta["classifier"], meta["num_classes"], **meta.get("classifier_kwargs", {}))
    model.load_state_dict(state["model"])
    pixels = torch.from_numpy(np.stack([load_image(p, meta["dataset"]) for p in images]))
    probs = predict_logits(model, to_float(pixels)).softmax(1)
    classes = meta["classes"]
    return [{"image": str(p), "class": classes[int(pr.argmax())], "index": int(pr.argmax()),
             "probability": round(float(pr.max()), 4)} for p, pr in zip(images, probs)]


def study(preset: str = "quick", out="runs/study", dataset: str | None = None, labels=None, seeds: int | None = None,
          methods=None, data_dir=None, quiet: bool = False) -> dict:
    """Run every (method, budget, seed) cell of a study, resuming finished ones; write results and report.html."""
    from .methods.study import make_study_config, report_study, run_study, summarise
    split_list = (lambda v: tuple(x.strip() for x in v.split(",") if x.strip()) if isinstance(v, str) else v)
    cfg = make_study_config(preset, dataset=dataset, labels=split_list(labels), seeds=seeds,
                            methods=split_list(methods))
    for budget in cfg.labels:
        parse_budget(budget)  # fail before any training, not at the first cell with a bad budget
    load_dataset(cfg.dataset, data_dir)
    rows = run_study(cfg, out, data_dir, quiet)
    report = report_study(cfg, preset, out, rows)
    return {"summary": summarise(rows), "report": str(report), "out": str(out)}
