"""The Python API. `run` trains and tests any registered method into a run directory and returns its results;
the command line (cli.py) and the study are layers over it. The other functions use finished runs."""
from pathlib import Path

import numpy as np

from .config import ConfigError, config_from_dict, config_to_dict, make_config, with_overrides
from .data import load_dataset, make_split
from .data.splits import default_validation_size
from .devices import check_environment
from .files import write_json
from .gan_loop import CHECKPOINT, trained_epochs
from .methods import get_method
from .names import PRESET_ALIASES
from .runs import RunError, difference, open_run, read_json, reason
from .scalars import scalars, summary_writer, wanted


def run(method: str | None = None, dataset: str | None = None, labels=None, seed: int | None = None, out=None,
        preset: str | None = None, resume=False, reuse: bool = False, data_dir=None, download: bool = True,
        quiet: bool = False, validation: int | None = None, tensorboard: bool = False, **settings) -> dict:
    """Train and test `method` on a seeded label budget; returns its results (also in OUT/results.json).

    `settings` override fields of the method's preset (None keeps the preset's; unknown names are refused).
    What happens to `out` follows runs.open_run: an interrupted run is continued only with `resume` (True, with
    the same configuration), a finished one is read back only with `reuse`. `resume` may also name a run
    directory, which is then continued with its stored settings: any argument given that differs from them is
    refused, except `epochs`, which may not go below the epochs already trained.
    `validation`: labelled validation images held out for selection (default 5,000 for the built-in datasets;
    0: none, so fixed schedules, final weights, and the budget is every label the number cost).
    `tensorboard` (or GANCLF_TENSORBOARD=1): each epoch's metrics also as TensorBoard scalars in OUT/tensorboard/.

    Returns (and writes to OUT/results.json) a dict with: method, preset, dataset, dataset_checksum, labels (the
    budget as given), n_labelled, n_unlabelled, n_validation, labels_used (labelled + validation: what the number
    cost), seed, split (its name), run_dir, wall_time_s, provenance; a classifier adds test_accuracy, val_accuracy
    (None without validation) and test (accuracy, confusion_matrix, ...), augment one entry per mix under "mixes",
    transfer with compare=True cnn_test_accuracy and gain_over_cnn; a GAN (train-gan) adds epochs, steps_per_epoch,
    gan_config and final (the last epoch's d_loss, g_loss, ...).

    >>> run("cnn", labels="100", epochs=1, out="runs/cnn-100")["test_accuracy"]  # doctest: +SKIP
    """
    check_environment()
    tensorboard = wanted(tensorboard)
    if tensorboard:
        summary_writer()  # not installed: a one-line error before anything is written
    if resume and (resume is not True or method is None):
        asked = {"dataset": dataset, "labels": labels, "seed": seed, "validation": validation, "preset": preset}
        return _resume(Path(out if resume is True else resume), method, data_dir, download, quiet, settings,
                       tensorboard, {k: v for k, v in asked.items() if v is not None})
    seed = 0 if seed is None else seed
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 32:
        raise ConfigError(f"seed {seed!r}: must be a whole number from 0 to 2**32 - 1")
    entry = get_method(method)
    method, preset = entry.name, PRESET_ALIASES.get(preset, preset) or entry.default_preset  # old names accepted
    cfg = make_config(entry.presets, preset, method, **settings)
    if entry.check:
        entry.check(cfg)
    dataset = dataset_ref(dataset or _gan_dataset(cfg) or "mnist")
    labels = str(labels or entry.default_labels)
    data = load_dataset(dataset, data_dir, download_missing=download)
    validation = default_validation_size(len(data.train_labels)) if validation is None else validation
    split = make_split(data.train_labels.numpy(), labels, seed, data.name, data.num_classes, validation)
    if entry.check_data:
        entry.check_data(data, split, cfg)
    config = {"method": method, "preset": preset, "dataset": dataset, "dataset_checksum": data.checksum,
              "labels": labels, "seed": seed, "validation": validation, "split": split.name,
              "config": config_to_dict(cfg)}
    out = out or f"runs/{method}-{split.name}"
    target = open_run(out, _same_data(Path(out), config), resume=bool(resume), reuse=reuse)
    if target.finished:
        return target.results()
    try:
        return _train(entry, data, split, target, cfg, seed, quiet, tensorboard)
    finally:
        target.close()


def _resume(path: Path, method, data_dir, download: bool, quiet: bool, settings: dict, tensorboard: bool,
            asked: dict) -> dict:
    """Continue the run in `path` with the settings stored in its config.json; `asked` (dataset, labels, seed,
    validation, preset) and `settings` must agree with them but for epochs (never below those trained)."""
    if not (path / "config.json").is_file():
        raise RunError(f"{path} is not a run directory (no config.json)")
    stored = read_json(path / "config.json")
    try:
        entry = get_method(stored["method"])
        cfg = config_from_dict(type(entry.presets[entry.default_preset]), stored["config"], "config")
        dataset, labels, seed = str(stored["dataset"]), str(stored["labels"]), int(stored["seed"])
        validation = int(stored["validation"])
    except (KeyError, TypeError, ValueError) as err:
        raise RunError(f"{path}/config.json: not a ganclf run configuration ({reason(err)})") from None
    if method and method != entry.name:
        raise RunError(f"{path} holds a {entry.name} run, not {method}; resume it as {entry.name}")
    for key, value in asked.items():
        if str(dataset_ref(value) if key == "dataset" else value) != str(stored.get(key)):
            raise ConfigError(f"--{key} {value}: {path} was made with {key} {stored.get(key)}; --resume continues a "
                              "run with its stored settings (only --epochs may change)")
    changed = with_overrides(cfg, entry.name, **settings)
    if _without_epochs(changed) != _without_epochs(cfg):
        what = difference(_without_epochs(cfg), _without_epochs(changed)).removeprefix("its ")
        raise ConfigError(f"{path} is resumed with its stored settings, but {what}; only --epochs may change")
    if _epochs(changed) < trained_epochs(path):
        raise ConfigError(f"--epochs {_epochs(changed)}: {path} has trained {trained_epochs(path)} epochs already; "
                          "a resumed run never ends before the epochs it trained")
    data = load_dataset(dataset, data_dir, download_missing=download)
    _same_data(path, {**stored, "dataset_checksum": data.checksum})
    split = make_split(data.train_labels.numpy(), labels, seed, data.name, data.num_classes, validation)
    if split.name != stored.get("split"):
        raise RunError(f"{path}: its split {stored.get('split')} no longer matches {split.name}")
    target = open_run(path, stored, resume=True)
    try:
        if changed != cfg:  # a longer run: the stored configuration says so before training goes on
            target.config = {**stored, "config": config_to_dict(changed)}
            write_json(target.file("config.json"), target.config)
        return _train(entry, data, split, target, changed, seed, quiet, tensorboard)
    finally:
        target.close()


def dataset_ref(name) -> str:
    """What a run records as its dataset: a built-in dataset's name, or a folder's absolute path (so that the
    run can be resumed, and its GAN's data found, from any working directory)."""
    from .data import DATASETS
    from .data.folder import is_folder
    if str(name) not in DATASETS and is_folder(name):
        return str(Path(name).expanduser().resolve())
    return str(name)


def _same_data(path: Path, config: dict) -> dict:
    """The configuration to open `path` with, after checking that a run already there was made from the same
    files (a folder changed since: a one-line error). Runs made before checksums were recorded match without."""
    if not (path / "config.json").is_file():
        return config
    stored = read_json(path / "config.json")
    if "dataset_checksum" not in stored:
        return {k: v for k, v in config.items() if k != "dataset_checksum"}
    if stored.get("dataset") == config["dataset"] and stored["dataset_checksum"] != config["dataset_checksum"]:
        raise RunError(f"{path} was made from other files of {config['dataset']} (its checksum differs: the "
                       "dataset changed since); use another output directory")
    return config


def _without_epochs(cfg) -> dict:
    """cfg as a dict without its number of epochs (a GAN's own, or its training recipe's)."""
    plain = config_to_dict(cfg)
    if isinstance(plain.get("train"), dict):
        plain["train"] = {k: v for k, v in plain["train"].items() if k != "epochs"}
    return {k: v for k, v in plain.items() if k != "epochs"}


def _epochs(cfg) -> int:
    epochs = getattr(cfg, "epochs", None)
    if epochs is None and hasattr(cfg, "train"):
        epochs = cfg.train.epochs
    return epochs or 0


def _train(entry, data, split, target, cfg, seed: int, quiet: bool, tensorboard: bool) -> dict:
    if not target.file(CHECKPOINT).exists():  # a new run, or one interrupted before its first checkpoint
        target.restore_metrics([])
        write_json(target.file("split.json"), split.to_json())
    with scalars(tensorboard):
        results = entry.train(data, split, target, cfg, seed, quiet)
    c = target.config
    return target.finish({**results, "method": entry.name, "preset": c["preset"], "dataset": c["dataset"],
                          "dataset_checksum": data.checksum, "labels": c["labels"], "n_labelled": len(split.labelled),
                          "n_unlabelled": len(split.unlabelled), "n_validation": len(split.validation),
                          # what the number cost: a GAN's labels beyond this budget included (augment)
                          "labels_used": len(split.labelled) + len(split.validation)
                          + results.get("gan_labels_outside_budget", 0),
                          "seed": seed, "split": split.name, "run_dir": str(target.path)})


def _gan_dataset(cfg) -> str | None:
    """The dataset of the GAN a method uses, so a transfer or augment run needs no --dataset."""
    gan = getattr(cfg, "gan", "")
    if not gan:
        return None
    from .methods.gan import load_gan
    return gan_dataset(load_gan(gan)[2])


def gan_dataset(meta: dict) -> str:
    """The dataset a GAN checkpoint was trained on, as load_dataset takes it (a folder's path, not its name)."""
    return meta.get("dataset_ref") or meta["dataset"]


def trained_gan(out, preset: str = "dcgan", quiet: bool = True, **settings) -> Path:
    """The GAN run directory `out`, finished: read back if it is, resumed if it was interrupted, trained if new."""
    run("train-gan", out=out, preset=preset, resume=True, reuse=True, quiet=quiet, **settings)
    return Path(out)


# Shorthands for run(...), as the original projects' commands named them.
def baseline(method: str = "cnn", **kwargs) -> dict:
    """run(method, ...) for a classifier trained on the labelled images alone: cnn (default), cnn-shift,
    cnn-original or pca-knn. Keywords as run's; returns run's results."""
    return run(method, **kwargs)


def train_gan(model: str = "dcgan", preset: str = "default", **kwargs) -> dict:
    """run("train-gan", preset=...) naming the preset by its parts: `model` gan, dcgan or cdcgan, and `preset` the
    network shape, default, original (the original projects' networks and recipe) or cnn (dcgan only: a D shaped
    like the default CNN, the one to transfer). With resume=RUN_DIR, that run is continued with its settings."""
    from .methods.gan import preset_name
    if kwargs.get("resume") not in (None, False, True):  # a run directory: its stored settings
        return run(None, **kwargs)
    return run("train-gan", preset=preset_name(model, preset), **kwargs)


def transfer(gan_run=None, **kwargs) -> dict:
    """run("transfer", gan=gan_run, ...): the discriminator of the GAN in run directory `gan_run` (a dcgan-cnn, say)
    fine-tuned as a classifier. Keywords as run's (compare=True also trains the CNN on the same labels)."""
    return run("transfer", gan=str(gan_run) if gan_run else None, **kwargs)


def augment(gan_run=None, **kwargs) -> dict:
    """run("augment", gan=gan_run, ...): a classifier trained on real images, real + images generated by the
    conditional GAN in `gan_run`, and generated only (results under "mixes"). Keywords as run's."""
    return run("augment", gan=str(gan_run) if gan_run else None, **kwargs)


def ssl_gan(**kwargs) -> dict:
    """run("ssl-gan", ...): the semi-supervised GAN (Salimans et al. 2016), whose K+1-class discriminator is the
    classifier. Keywords as run's; 100 labels by default."""
    return run("ssl-gan", **kwargs)


def predict(run_dir, images, data_dir=None, top_k: int = 1) -> list[dict]:
    """Classify image files with the classifier a run directory holds: one dict per image, in order; an image
    that cannot be read gets an "error" instead of a class."""
    import torch
    from .data import DataError, to_float
    from .data.images import load_image, load_resized
    from .methods.classify import image_shape, load_classifier
    from .train import predict_logits
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k (--top-k) must be a whole number of at least 1, not {top_k!r}")

    weights = Path(run_dir) / "model.safetensors"
    if not weights.exists():
        mixes = sorted(str(p.parent) for p in Path(run_dir).glob("*/model.safetensors"))
        if mixes:  # augment: one classifier per mix, each in its own run directory
            raise RunError(f"{run_dir} holds one classifier per mix; predict with one of {', '.join(mixes)}")
        raise RunError(f"{run_dir} holds no classifier weights (model.safetensors); train one with a "
                       "classifier method first")
    model, meta = load_classifier(weights)
    classes = list(meta.get("classes") or range(int(meta["num_classes"])))
    answers, pixels = [], []
    mnist_style, shape = meta.get("preparation", "mnist") == "mnist", image_shape(meta)
    for path in images:
        try:  # fitted to the model's images the way its dataset's images were prepared
            pixels.append(load_image(path, meta.get("dataset", "mnist")) if mnist_style else load_resized(path, shape))
            answers.append({"image": str(path)})
        except DataError as err:
            answers.append({"image": str(path), "error": str(err)})
    good = [a for a in answers if "error" not in a]
    if good:
        probs = predict_logits(model, to_float(torch.from_numpy(np.stack(pixels)))).softmax(1)
        for answer, p in zip(good, probs):
            top = p.topk(min(top_k, len(p)))
            floor = meta.get("confidence_floor")
            floor = floor if isinstance(floor, float) else None
            answer.update({"class": classes[int(top.indices[0])], "index": int(top.indices[0]),
                           "probability": round(float(top.values[0]), 4),
                           "unlike_training_data": bool(floor is not None and float(top.values[0]) < floor),
                           "top": [{"class": classes[int(i)], "probability": round(float(v), 4)}
                                   for v, i in zip(top.values, top.indices)]})
    return answers


MAX_SAMPLES = 1_000_000  # about 3 GB of float images at 28x28


def sample(run_dir, n: int = 100, label: int | None = None, seed: int = 0, out=None, npz=None,
           force: bool = False) -> dict:
    """Draw n images from a finished GAN: a grid PNG and/or an .npz of uint8 images (and labels). Neither may lie
    inside a run or study directory; an existing file is replaced only with `force`."""
    from .files import write_atomic
    from .methods.gan import load_gan, sample as draw
    from .report.figures import save_grid
    from .runs import check_output
    from .train import default_device
    check_environment()
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"n must be between 1 and {MAX_SAMPLES:,} images")
    if out:
        check_output(out, "--out", (".png", ".jpg", ".jpeg", ".pdf", ".svg"), force)
    if npz:
        check_output(npz, "--npz", (".npz",), force)
    g, _, meta = load_gan(run_dir)
    if label is not None:
        if not g.conditional:
            raise ValueError(f"{run_dir} holds an unconditional {meta['model']}; a label needs a cdcgan")
        if not 0 <= label < int(meta["num_classes"]):
            raise ValueError(f"label must be in 0..{int(meta['num_classes']) - 1}")
    images, labels = draw(g.to(default_device()), n, label, seed)
    if out:
        save_grid(images, out, nrow=10)
    if npz:
        import io
        pixels = ((images.numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
        pixels = pixels[:, 0] if pixels.shape[1] == 1 else pixels.transpose(0, 2, 3, 1)  # (N, H, W[, C])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=pixels, **({"labels": labels.numpy()} if labels is not None else {}))
        write_atomic(npz, buffer.getvalue())
    return {"n": n, "grid": str(out) if out else None, "npz": str(npz) if npz else None,
            "labels": labels.tolist() if labels is not None else None}


def evaluate_gan(run_dir, n: int = 10000, seed: int = 0, cas: bool = True, data_dir=None, quiet: bool = False,
                 download: bool = True, cas_epochs: int | None = None, force: bool = False) -> dict:
    """Domain FID, precision and recall of n samples against as many real test images (all 10,000 at most; and,
    for conditional GANs, label accuracy and the classification accuracy score, its classifier trained for
    cas_epochs, default the cnn recipe's). Stored in the finished run's results.json beside earlier scores, keyed
    by sample count under "quality_by_samples" (the first scores also under "quality"); scores already stored for
    n samples are replaced only with `force`."""
    from .methods.gan import load_gan, sample as draw
    from .methods.quality import classification_accuracy_score, feature_network, gan_quality, reference_features
    from .runs import lock, unlock
    from .train import default_device
    check_environment()
    if not 2 <= n <= MAX_SAMPLES:
        raise ValueError(f"n must be between 2 and {MAX_SAMPLES:,} images")
    g, _, meta = load_gan(run_dir)  # a finished GAN, or a one-line error
    results_file = Path(run_dir) / "results.json"
    if quality_of(read_json(results_file), n) and not force:
        raise RunError(f"{results_file} already holds scores of {n:,} samples; pass --force to replace them, or "
                       "score another number (--n)")
    held = lock(Path(run_dir))
    try:
        data = load_dataset(gan_dataset(meta), data_dir, download_missing=download)
        net = feature_network(data, quiet=quiet)
        images, labels = draw(g.to(default_device()), n, None, seed)
        real = reference_features(data, net, n)
        quality = {**gan_quality(images, labels, data, net, real), "n_samples": n, "n_real": len(real), "seed": seed}
        if labels is not None and cas:
            quality.update(classification_accuracy_score(images, labels, data, seed, quiet, epochs=cas_epochs))
        stored = read_json(results_file)
        scores = {**stored.get("quality_by_samples", {}), str(n): quality}
        write_json(results_file, {**stored, "quality": stored.get("quality") or quality, "quality_by_samples": scores})
    finally:
        unlock(held)
    return quality


def quality_of(results: dict, n: int) -> dict | None:
    """The scores a GAN's results hold for n samples, if any."""
    first = results.get("quality") or {}
    by_samples = results.get("quality_by_samples")
    keyed = by_samples.get(str(n)) if isinstance(by_samples, dict) else None
    return keyed or (first if isinstance(first, dict) and first.get("n_samples") == n else None)
