"""Command line: argument parsing only; every command calls the Python API with keywords.

Names are checked against the method registry before torch is imported, so a typo answers at once.
"""
import argparse
import json
import os
import sys

from . import __version__
from .logs import console
from .methods import REGISTRY, check_method_name
from .threads import use_cpus  # imports torch only when called: after names are checked, before training

# Arguments every method command shares; every other option is a setting of the method's configuration.
RUN_ARGS = ("dataset", "labels", "seed", "out", "data_dir", "download", "quiet", "preset", "resume", "validation",
            "tensorboard")
NOT_SETTINGS = ("command", "device", "set", "method", "model", *RUN_ARGS)

EXAMPLES = {
    "baseline": "ganclf baseline --method cnn --labels 1000 --seed 0 --out runs/cnn-1k",
    "train-gan": "ganclf train-gan --model dcgan --preset cnn --labels all --epochs 10 --out runs/dcgan-cnn",
    "transfer": "ganclf transfer --gan runs/dcgan-cnn --labels 1000 --out runs/tr-1k",
    "augment": "ganclf augment --gan runs/cdcgan --labels 10000 --mix all --out runs/aug",
    "ssl-gan": "ganclf ssl-gan --labels 100 --seed 0 --out runs/s",
    "run": "ganclf run cnn --labels 100 --set epochs=5 --set train.lr=0.001",
    "study": "ganclf study --preset quick --out runs/study",
    "sample": "ganclf sample --run runs/cdcgan --n 100 --label 3 --out threes.png",
    "evaluate-gan": "ganclf evaluate-gan --run runs/cdcgan",
    "predict": "ganclf predict --run runs/cnn-1k --top-k 3 digit.png",
}


def _command(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                          epilog=f"example: {EXAMPLES[name]}")


def _run_options(p: argparse.ArgumentParser, dataset: bool = True, labels: str = "1000") -> None:
    if dataset:  # commands that start from a GAN run use the GAN's dataset
        p.add_argument("--dataset", help="mnist, fashion-mnist, cifar10, svhn or a folder of images (train/<class>/, "
                       "optional test/<class>/ and unlabelled/; default: mnist)")
    p.add_argument("--labels", default=labels,
                   help=f"labelled budget: a count (100), a percentage (10%%) or 'all' (default {labels})")
    p.add_argument("--seed", type=int, default=0, help="picks the labelled subset and every random number (default 0)")
    p.add_argument("--out", help="run directory (default: runs/<method>-<split>)")
    p.add_argument("--validation", type=int, help="labelled validation images for selection (default 5000 for the "
                   "built-in datasets; 0: none: fixed schedules, final weights, the budget is every label used)")
    p.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR",
                   help="continue an interrupted run: the one in --out, or RUN_DIR with its stored settings")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any setting of the method's configuration (JSON values), e.g. --set train.lr=0.001")
    p.add_argument("--tensorboard", action="store_true", help="also write each epoch's metrics as TensorBoard "
                   "scalars in OUT/tensorboard/ (pip install 'ganclf[tensorboard]'; $GANCLF_TENSORBOARD=1)")
    _data_options(p)


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="directory holding the dataset's files (else $GANCLF_DATA, then the cache)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="fail instead of downloading a dataset that is not found locally")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when there is a GPU; $GANCLF_DEVICE)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganclf", description="GANs for image classification when labels are scarce.")
    parser.add_argument("--version", action="version", version=f"ganclf {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = _command(sub, "run", "train and test any registered method")
    p.add_argument("method", help=f"one of {', '.join(REGISTRY)}")
    p.add_argument("--preset", help="the method's preset (default: its default)")
    _run_options(p, labels=None)

    p = _command(sub, "baseline", "CNN or PCA+k-NN trained on the labelled images only")
    p.add_argument("--method", default="cnn", help="cnn (default), cnn-seed (seed 004's CNN) or pca-knn")
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    _run_options(p)

    p = _command(sub, "train-gan", "train a GAN (gan, dcgan, cdcgan) on a label budget's images")
    p.add_argument("--model", default="dcgan", help="gan, dcgan (default) or cdcgan (conditional)")
    p.add_argument("--preset", default="default", help="default (ours), seed (the seed project's networks "
                   "and recipe) or cnn (dcgan with a D shaped like the default CNN: the one to transfer)")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--loss", help="nonsaturating or hinge")
    _run_options(p, labels="10000")

    p = _command(sub, "transfer", "fine-tune a trained GAN's discriminator as a classifier")
    p.add_argument("--gan", required=True, help="GAN run directory (gan, dcgan or cdcgan)")
    p.add_argument("--preset", default="default", help="default, seed-trial1, seed-trial2 or seed-trial3")
    p.add_argument("--head", help="linear or mlp (dense 128 + dense K)")
    p.add_argument("--unfreeze-after", type=int, help="epochs with the discriminator frozen before fine-tuning it")
    p.add_argument("--frozen", action="store_true", default=None, help="never unfreeze: train the head only")
    p.add_argument("--epochs", type=int, help="total epochs (default: the preset's)")
    p.add_argument("--no-compare", dest="compare", action="store_false", default=True,
                   help="skip training the CNN baseline on the same labels for comparison")
    _run_options(p, dataset=False)

    p = _command(sub, "augment", "train a classifier on real, real + generated, generated-only images")
    p.add_argument("--gan", required=True, help="conditional GAN run directory (cdcgan)")
    p.add_argument("--mix", default="all", help="real, real+gen, gen, or all (default: all three, compared)")
    p.add_argument("--synthetic", type=int, help="generated images, class-balanced (default 10000)")
    p.add_argument("--real-fraction", type=float, help="share of real images in each epoch, the real ones repeated "
                   "(default 0.5; 0: simply concatenate real and generated)")
    p.add_argument("--filter", help="none (default) or classifier: keep samples a real-only CNN is confident of")
    p.add_argument("--epochs", type=int, help="classifier epochs (default: the CNN recipe's)")
    _run_options(p, dataset=False)

    p = _command(sub, "ssl-gan", "semi-supervised GAN: D is a K+1-class classifier (Salimans et al. 2016)")
    p.add_argument("--arch", choices=("mlp", "conv"), help="discriminator (default: the preset's, mlp)")
    p.add_argument("--preset", default="mlp", help="mlp (default: 70 epochs, ~28 min on 2 CPU cores), paper "
                   "(300 epochs, as the paper) or conv (experimental: below the mlp so far)")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--gen-loss", choices=("feature-matching", "combined"),
                   help="generator loss: feature matching (default) or seed 002's feature matching + minimax")
    p.add_argument("--shift", type=int, help="translate real images by up to this many pixels as they enter D "
                   "(default: the preset's)")
    _run_options(p, labels="100")

    p = _command(sub, "study", "every method x label budget x seed, resumable, with report.html")
    p.add_argument("--preset", default="quick", help="quick (minutes, a demonstration), seeds (the seed projects' "
                   "protocols), full, verdict (the answer: hours on a GPU), or its parts that fit 2 CPU cores with "
                   "--executor ray: verdict-cpu (ssl-gan, about an hour), verdict-cpu-transfer (transfer, 41 min), "
                   "verdict-cpu-augment (augment, both protocols, about an hour), verdict-cpu-fashion (all three "
                   "on Fashion-MNIST, 3 seeds, 2.2 hours), verdict-cpu-noval (ssl-gan and transfer, no validation, "
                   "2.2 hours), verdict-cpu-noval-probs (its ssl-gan arms, consistency on probabilities)")
    p.add_argument("--dataset", help="mnist, fashion-mnist, cifar10, svhn or a folder of images (default: the "
                   "preset's)")
    p.add_argument("--labels", help="comma-separated budgets, e.g. 100,1000,10000")
    p.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    p.add_argument("--methods", help=f"comma-separated methods from {', '.join(REGISTRY)}")
    p.add_argument("--validation", help="labelled validation images, comma-separated protocols (default: the "
                   "preset's; 'default' is 5000 for the built-in datasets; 0: none)")
    p.add_argument("--quality-samples", type=int, help="generated images each shared GAN is scored on (FID, "
                   "precision/recall, CAS; default: the preset's, 2,000 for quick, 10,000 for full; 0: none)")
    p.add_argument("--out", default="runs/study", help="study directory (default: runs/study)")
    p.add_argument("--executor", choices=("local", "sequential", "ray"), default="local",
                   help="local (default: cells side by side in processes of this machine, one per CPU), "
                   "sequential (one cell after another in this process) or ray (cells as Ray tasks, on this machine "
                   "or a cluster; pip install 'ganclf[ray]')")
    p.add_argument("--address", help="ray: a running cluster's address ('auto' or HOST:PORT); default: start Ray "
                   "on this machine")
    p.add_argument("--cpus-per-cell", type=float, help="CPUs (torch threads) of each cell (default 1 "
                   "whichever the executor, so that every executor gives the same numbers)")
    p.add_argument("--gpus-per-cell", type=float, help="ray: the share of a GPU each cell takes (default 0.25 "
                   "where the cluster has GPUs)")
    _data_options(p)

    p = _command(sub, "sample", "draw images from a trained GAN")
    p.add_argument("--run", required=True, help="GAN run directory")
    p.add_argument("--n", type=int, default=100, help="number of images (default 100)")
    p.add_argument("--label", type=int, help="class to draw (conditional GANs); default: balanced classes")
    p.add_argument("--seed", type=int, default=0, help="seed of the latent vectors (default 0)")
    p.add_argument("--out", default="samples.png", help="grid image: .png (default samples.png), .jpg, .pdf, .svg")
    p.add_argument("--npz", help="also write the images (uint8) and labels to this .npz")
    p.add_argument("--device", help="cpu, cuda or cuda:N")

    p = _command(sub, "evaluate-gan", "domain FID, precision/recall (and CAS for cdcgan) of a trained GAN")
    p.add_argument("--run", required=True, help="GAN run directory")
    p.add_argument("--n", type=int, default=10000, help="generated images to score (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    p.add_argument("--no-cas", dest="cas", action="store_false", help="skip the classification accuracy score")
    _data_options(p)

    p = _command(sub, "predict", "classify image files with a trained classifier")
    p.add_argument("--run", required=True, help="run directory holding model.safetensors")
    p.add_argument("--top-k", type=int, default=1, help="also list the k most probable classes")
    p.add_argument("images", nargs="+", help="PNG/JPEG/... files: any size, colour or grey")
    return parser


def _settings(args) -> dict:
    """The method settings the options name: every option not shared by all commands, then --set KEY=VALUE."""
    settings = {k: v for k, v in vars(args).items() if k not in NOT_SETTINGS and v is not None}
    if settings.get("mix") is not None:
        settings["mixes"] = None if settings["mix"] == "all" else tuple(m.strip() for m in settings["mix"].split(","))
        del settings["mix"]
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        target = settings
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _value(value)
    return settings


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word is a string


def _method(args) -> str:
    return args.method if args.command in ("run", "baseline") else args.command


def _run_method(args) -> None:
    from . import api
    method = check_method_name(_method(args))
    common = {k: getattr(args, k) for k in RUN_ARGS if hasattr(args, k)}
    if method == "train-gan":
        from .methods.gan import preset_name
        common["preset"] = preset_name(args.model, args.preset)
    resume = common.pop("resume")
    if resume is True and not args.out:
        raise ValueError("--resume without RUN_DIR continues the run in --out: name one of them")
    if resume not in (None, True):  # a run directory: continued with its stored settings
        method = None
        common = {"out": resume, "resume": True, "data_dir": args.data_dir, "download": args.download,
                  "quiet": args.quiet, "tensorboard": args.tensorboard}
        settings = {k: v for k, v in _settings(args).items() if k == "epochs"}
    else:
        common["resume"] = bool(resume)
        settings = _settings(args)
    use_cpus()
    results = api.run(method, **common, **settings)
    print(_summary(results))


def _summary(r: dict) -> str:
    where = f"{r['method']} on {r['dataset']} @ {r['labels']} labels, seed {r['seed']}"
    if "test_accuracy" not in r:  # a GAN
        final = r.get("final", {})
        losses = "  ".join(f"{k} {final[k]:.3f}" for k in ("d_loss", "g_loss") if k in final)
        return f"{where}: {r.get('epochs')} epochs, {losses} ({r['wall_time_s']:.1f}s) -> {r['run_dir']}"
    val = f"val {r['val_accuracy']:.4f}  " if r.get("val_accuracy") is not None else ""
    lines = [f"{where}: {val}test {r['test_accuracy']:.4f}  ({r['wall_time_s']:.1f}s) -> {r['run_dir']}"]
    for mix, m in r.get("mixes", {}).items():
        lines.append(f"  {mix:>9}: val {m['val_accuracy']:.4f}  test {m['test_accuracy']:.4f}")
    if "cnn_test_accuracy" in r:
        lines.append(f"  CNN baseline, same labels and seed: test {r['cnn_test_accuracy']:.4f} "
                     f"(transfer {r['gain_over_cnn']:+.4f})")
    return "\n".join(lines)


def _study(args) -> None:
    for name in (args.methods or "").split(","):
        if name.strip():
            check_method_name(name.strip())
    if not args.quiet:  # before torch and the data load: the study speaks from its first second
        print(f"study --preset {args.preset}: loading torch and the data ...", flush=True)
    from .studies import study
    results = study(args.preset, args.out, args.dataset, args.labels, args.seeds, args.methods, args.data_dir,
                    args.quiet, executor=args.executor, address=args.address, cpus_per_cell=args.cpus_per_cell,
                    gpus_per_cell=args.gpus_per_cell, validation=_validations(args.validation),
                    quality_samples=args.quality_samples)
    for s in results["summary"]:
        spread = f" +- {s['std']:.4f}" if s["std"] is not None else f" (n = {s['seeds']})"
        print(f"{s['dataset']:>14} {s['method']:>16} @ {s['labels']:>6} labels: {s['mean']:.4f}{spread}")
    for v in results["verdict"]:
        print(v["sentence"])
    print(f"report: {results['report'] or 'none (no cell finished)'}  ({results['elapsed_s'] / 60:.1f} min)")
    for f in results["failed"]:
        print(f"failed: {f['cell']}: {f['error']}", file=sys.stderr)
    if results["failed"]:
        n = len(results["failed"])
        sys.exit(f"ganclf: {n} cell{'s' if n > 1 else ''} failed; the same command reruns only what did not finish")


def _validations(text: str | None):
    if text is None:
        return None
    return tuple(None if v.strip() == "default" else int(v) for v in text.split(","))


def _sample(args) -> None:
    from . import api
    r = api.sample(args.run, args.n, args.label, args.seed, args.out, args.npz)
    print(" ".join(f"wrote {path}" for path in (r["grid"], r["npz"]) if path))


def _evaluate(args) -> None:
    from . import api
    use_cpus()
    q = api.evaluate_gan(args.run, args.n, args.seed, args.cas, args.data_dir, args.quiet, args.download)
    print("  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in q.items()))


def _predict(args) -> None:
    from . import api
    answers = api.predict(args.run, args.images, top_k=args.top_k)
    for p in answers:
        if "error" in p:  # the message names the file
            print(f"ganclf: error: {p['error']}", file=sys.stderr)
            continue
        others = "".join(f", {t['class']} ({t['probability']:.3f})" for t in p["top"][1:])
        warning = ("  (warning: less sure than of 99% of the validation images: unlike the training data?)"
                   if p.get("unlike_training_data") else "")
        print(f"{p['image']}: {p['class']} (p={p['probability']:.3f}){others}{warning}")
    if any("error" in p for p in answers):
        sys.exit(1)


COMMANDS = {"study": _study, "sample": _sample, "evaluate-gan": _evaluate, "predict": _predict}


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "device", None):
        os.environ["GANCLF_DEVICE"] = args.device
    try:
        if args.command not in COMMANDS:
            check_method_name(_method(args))
        with console(getattr(args, "quiet", False)):  # the library's log lines, as plain lines on stdout
            COMMANDS.get(args.command, _run_method)(args)
    except KeyboardInterrupt:
        sys.exit(_interrupted(args))
    except Exception as err:  # noqa: BLE001 (user errors become one line; anything else is a bug: traceback)
        if not _user_error(err):
            raise
        sys.exit(f"ganclf: error: {str(err).splitlines()[0] if str(err) else type(err).__name__}")


def _interrupted(args) -> str:
    """What an interrupted command leaves, and how to go on: only what is true for that command."""
    if args.command == "study":
        return "ganclf: interrupted; finished cells are kept: run the same command to continue"
    if args.command in COMMANDS:  # sample, evaluate-gan, predict: nothing to continue
        return "ganclf: interrupted"
    where = args.out or "RUN_DIR (the run directory under runs/)"
    return f"ganclf: interrupted; continue with --resume {where} (from its last checkpoint, if it wrote one)"


def _user_error(err: Exception) -> bool:
    if isinstance(err, (ValueError, OSError, MemoryError)):  # before importing torch: a typo answers at once
        return True
    from .runs import RunError
    from .train import TrainingDiverged
    errors = (RunError, TrainingDiverged)
    try:
        from PIL import Image
        errors += (Image.DecompressionBombError,)
    except ImportError:
        pass
    return isinstance(err, errors)
