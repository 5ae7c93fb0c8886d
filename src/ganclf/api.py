"""The Python API. Each function runs one command end to end and returns its results dict;
the command line (cli.py) is a thin layer over these."""
import json
import shutil
from pathlib import Path

import numpy as np

from .data import load_dataset, make_split, parse_budget
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


def ssl_gan(dataset: str = "mnist", labels="100", seed: int = 0, out=None, data_dir=None, preset: str = "mlp",
            resume=None, quiet: bool = False, download: bool = True, **settings) -> dict:
    """Semi-supervised GAN (Salimans et al. 2016): D is a K+1-class classifier trained on the labelled budget and
    every other training image (minus validation) as unlabelled. `settings` override the preset's SSLConfig
    fields (arch, epochs, gen_loss, shift, ...; None keeps the preset's). `resume` (a run directory, or True for
    `out`) continues an interrupted run with its stored settings."""
    from .methods.ssl_gan import make_config, train_ssl_gan
    if resume:
        data, split, run, stored = _reopen_run(out if resume is True else resume, "ssl-gan", data_dir, download)
        dataset, labels, seed, preset = stored["dataset"], stored["labels"], stored["seed"], stored["preset"]
        cfg = make_config(preset, **stored["ssl_config"])
    else:
        cfg = make_config(preset, **settings)
        data, split, run = open_run("ssl-gan", out, dataset, labels, seed, data_dir, download,
                                    preset=preset, ssl_config=cfg.to_dict())
    results = train_ssl_gan(data, split, run, cfg, seed, quiet, resume=bool(resume))
    return run.finish({**results, "dataset": dataset, "labels": str(labels), "n_labelled": len(split.labelled),
                       "n_unlabelled": len(split.unlabelled), "seed": seed, "split": split.name,
                       "run_dir": str(run.path)})


def predict(run_dir, images, data_dir=None) -> list[dict]:
    """Classify image files with the classifier a run directory holds: one dict per image."""
    import torch
    from .data import to_float
    from .data.images import load_image
    from .methods.classify import load_classifier
    from .runs import RunError
    from .train import predict_logits

    weights = Path(run_dir) / "model.safetensors"
    if not weights.exists():
        raise RunError(f"{run_dir} holds no classifier weights (model.safetensors); train one with a "
                       "classifier method first")
    model, meta = load_classifier(weights)
    pixels = torch.from_numpy(np.stack([load_image(p, meta["dataset"]) for p in images]))
    probs = predict_logits(model, to_float(pixels)).softmax(1)
    classes = meta["classes"]
    return [{"image": str(p), "class": classes[int(pr.argmax())], "index": int(pr.argmax()),
             "probability": round(float(pr.max()), 4)} for p, pr in zip(images, probs)]


def study(preset: str = "quick", out="runs/study", dataset: str | None = None, labels=None, seeds: int | None = None,
          methods=None, data_dir=None, quiet: bool = False, **settings) -> dict:
    """Run every (method, budget, seed) cell of a study, resuming finished ones; write results and report.html.
    `settings` override the preset's other fields (StudyConfig: gan_epochs, synthetic, cnn_epochs, ...)."""
    from .methods.study import make_study_config, report_study, run_study, summarise
    split_list = (lambda v: tuple(x.strip() for x in v.split(",") if x.strip()) if isinstance(v, str) else v)
    cfg = make_study_config(preset, dataset=dataset, labels=split_list(labels), seeds=seeds,
                            methods=split_list(methods), **settings)
    for budget in cfg.labels:
        parse_budget(budget)  # fail before any training, not at the first cell with a bad budget
    load_dataset(cfg.dataset, data_dir)
    rows, elapsed = run_study(cfg, out, data_dir, quiet)
    report = report_study(cfg, preset, out, rows)
    return {"summary": summarise(rows), "report": str(report), "out": str(out), "elapsed_s": elapsed}


def train_gan(model: str = "dcgan", preset: str = "default", dataset: str = "mnist", labels="10000", seed: int = 0,
              out=None, data_dir=None, epochs: int | None = None, batch_size: int | None = None,
              loss: str | None = None, quiet: bool = False, download: bool = True, resume=None,
              min_steps: int | None = None) -> dict:
    """Train a GAN on a label budget's images; `resume` continues an interrupted run directory exactly."""
    from .methods.gan import make_gan_config, train_gan as run_gan
    if resume:
        data, split, run, stored = _reopen_run(resume, "train-gan", data_dir, download)
        model, preset, seed, dataset = stored["model"], stored["preset"], stored["seed"], stored["dataset"]
        cfg = make_gan_config(model, preset, **{**stored["gan_config"], **({"epochs": epochs} if epochs else {})})
        run.config = {**stored, "gan_config": cfg.to_dict()}
        write_json(run.file("config.json"), run.config)
    else:
        cfg = make_gan_config(model, preset, epochs=epochs, batch_size=batch_size, loss=loss, min_steps=min_steps)
        data, split, run = open_run("train-gan", out, dataset, labels, seed, data_dir, download,
                                    model=model, preset=preset, gan_config=cfg.to_dict())
    results = run_gan(model, preset, cfg, data, split, run, seed, quiet, resume=bool(resume))
    return run.finish({**results, "dataset": dataset, "labels": run.config["labels"], "n_images": len(split.labelled),
                       "seed": seed, "split": split.name, "run_dir": str(run.path)})


def trained_gan(out, model: str = "dcgan", preset: str = "default", **train_settings) -> Path:
    """The GAN run directory `out`, finished: read back if it is, resumed if it was interrupted, trained if it
    is new (or died before its first checkpoint). `train_settings` go to train_gan for a new run."""
    out = Path(out)
    if not (out / "results.json").exists():
        resume = out if (out / "checkpoint.safetensors").exists() else None
        if out.exists() and not resume:
            shutil.rmtree(out)
        train_gan(model, preset, out=out, resume=resume, **train_settings)
    return out


def _reopen_run(path, command: str, data_dir, download: bool):
    """The data, split and Run of an existing run directory, for resuming it with its stored settings."""
    from .runs import RunError
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        raise RunError(f"{path} is not a run directory (no config.json)")
    stored = json.loads(config_file.read_text())
    if stored.get("command") != command:
        raise RunError(f"{path} holds a {stored.get('command')!r} run, not {command!r}")
    data = load_dataset(stored["dataset"], data_dir, download_missing=download)
    split = make_split(data.train_labels.numpy(), stored["labels"], stored["seed"], stored["dataset"],
                       data.num_classes)
    return data, split, Run(path, stored, resume=True), stored


def sample(run_dir, n: int = 100, label: int | None = None, seed: int = 0, out=None, npz=None) -> dict:
    """Draw n images from a trained GAN: a grid PNG and/or an .npz of uint8 images (and labels)."""
    from .methods.gan import load_gan, sample as draw
    from .report.figures import save_grid
    g, _, meta = load_gan(run_dir)
    if n < 1:
        raise ValueError("--n must be at least 1")
    if label is not None:
        if not g.conditional:
            raise ValueError(f"{run_dir} holds an unconditional {meta['model']}; --label needs a cdcgan")
        if not 0 <= label < meta["num_classes"]:
            raise ValueError(f"--label must be in 0..{meta['num_classes'] - 1}")
    images, labels = draw(g, n, label, seed)
    if out:
        save_grid(images, out, nrow=10)
    if npz:
        pixels = ((images[:, 0].numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
        arrays = {"images": pixels, **({"labels": labels.numpy()} if labels is not None else {})}
        np.savez_compressed(npz, **arrays)
    return {"n": n, "grid": str(out) if out else None, "npz": str(npz) if npz else None,
            "labels": labels.tolist() if labels is not None else None}


def evaluate_gan(run_dir, n: int = 10000, seed: int = 0, cas: bool = True, data_dir=None, quiet: bool = False,
                 download: bool = True) -> dict:
    """Domain FID, precision and recall of n samples against the real test images (and, for conditional
    GANs, label accuracy and the classification accuracy score); stored under "quality" in results.json."""
    from .methods.gan import load_gan, sample as draw
    from .methods.quality import classification_accuracy_score, feature_network, gan_quality
    g, _, meta = load_gan(run_dir)
    if n < 2:
        raise ValueError("--n must be at least 2")
    data = load_dataset(meta["dataset"], data_dir, download_missing=download)
    net = feature_network(data, quiet=quiet)
    images, labels = draw(g, n, None, seed)
    quality = {**gan_quality(images, labels, data, net), "n_samples": n, "seed": seed}
    if labels is not None and cas:
        quality.update(classification_accuracy_score(images, labels, data, seed, quiet))
    results_file = Path(run_dir) / "results.json"
    stored = json.loads(results_file.read_text()) if results_file.exists() else {}
    write_json(results_file, {**stored, "quality": quality})
    return quality


def transfer(gan_run, labels="10000", seed: int = 0, out=None, preset: str = "default", head: str | None = None,
             unfreeze_after: int | None = None, frozen: bool = False, epochs: int | None = None,
             compare: bool = True, data_dir=None, quiet: bool = False, download: bool = True) -> dict:
    """A trained GAN's discriminator under a new class head, fine-tuned on a label budget; with `compare`,
    the default CNN is trained on the same labels and seed beside it."""
    from .methods.gan import load_gan
    from .methods.transfer import make_transfer_config, run_transfer
    _, discriminator, gan = load_gan(gan_run)
    cfg = make_transfer_config(preset, head, unfreeze_after, epochs, frozen)
    data, split, run = open_run("transfer", out, gan["dataset"], labels, seed, data_dir, download,
                                gan_run=str(gan_run), preset=preset, transfer=cfg.to_dict())
    results = run_transfer(discriminator, gan, data, split, run, cfg, seed, quiet)
    if compare:
        cnn = baseline("cnn", gan["dataset"], labels, seed, run.file("cnn"), data_dir, quiet=quiet, download=download)
        results["cnn_test_accuracy"] = cnn["test_accuracy"]
        results["gain_over_cnn"] = results["test_accuracy"] - cnn["test_accuracy"]
    return run.finish({**results, "dataset": gan["dataset"], "labels": str(labels), "n_labelled": len(split.labelled),
                       "seed": seed, "split": split.name, "gan_run": str(gan_run), "run_dir": str(run.path)})


def augment(gan_run, labels="1000", seed: int = 0, out=None, mix: str = "all", synthetic: int | None = None,
            real_fraction: float | None = None, filter: str | None = None, epochs: int | None = None,
            data_dir=None, quiet: bool = False, download: bool = True) -> dict:
    """Train the default CNN on real, real + generated and/or generated-only images of a conditional GAN;
    each is validated and tested on real images only."""
    from .methods.augment import MIXES, AugmentConfig, check_augment_config, run_augment, with_overrides
    from .methods.gan import load_gan, sample as draw
    g, _, gan = load_gan(gan_run)
    if not g.conditional:
        raise ValueError(f"{gan_run} holds an unconditional {gan['model']}; augmentation needs labelled samples "
                         "from a cdcgan")
    mixes = MIXES if mix == "all" else tuple(m.strip() for m in mix.split(","))
    cfg = with_overrides(AugmentConfig(), synthetic=synthetic, real_fraction=real_fraction, filter=filter,
                         epochs=epochs)
    check_augment_config(cfg, mixes)
    data, split, run = open_run("augment", out, gan["dataset"], labels, seed, data_dir, download,
                                gan_run=str(gan_run), mixes=list(mixes), augment=cfg.to_dict())
    results = run_augment(g, data, split, run, cfg, mixes, seed, quiet, sample_fn=draw)
    return run.finish({**results, "dataset": gan["dataset"], "labels": str(labels), "n_labelled": len(split.labelled),
                       "gan_labels_inside_budget": _gan_labels_inside(gan_run, split), "seed": seed,
                       "split": split.name, "gan_run": str(gan_run), "run_dir": str(run.path)})


def _gan_labels_inside(gan_run, split) -> bool:
    """Whether the cGAN saw only labels this classifier may see too (else real+gen gets extra labels)."""
    gan_split = Path(gan_run) / "split.json"
    if not gan_split.exists():
        return False
    return set(json.loads(gan_split.read_text())["labelled"]) <= set(split.labelled.tolist())
