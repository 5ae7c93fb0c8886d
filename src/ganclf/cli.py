"""Command line: argument parsing only; every command calls the Python API with keywords.

One command runs a method: `ganclf run METHOD`; `baseline`, `train-gan`, `transfer`, `augment` and `ssl-gan` are
aliases of it, kept for old scripts. Names (methods, presets, study presets) are checked against torch-free tables
(names.py) before torch is imported, so a typo answers at once with the valid names.

One option name for one thing: `--run` is a finished run directory a command reads (a GAN for transfer and augment,
the run for sample, evaluate-gan, predict); `--out` is where a command writes; `--samples` counts generated images;
`--seed` is a random seed and `--n-seeds` a study's number of them. The older names (--gan, --n, --synthetic,
--quality-samples, --seeds) are accepted but no longer shown.
"""
import argparse
import json
import math
import os
import signal
import sys

from . import __version__
from .logs import console
from .methods import REGISTRY, check_method_name
from .names import METHOD_KINDS, METHOD_PRESETS, NETWORK_ALIASES, STUDY_PRESETS, preset_name, study_preset
from .threads import use_cpus  # imports torch only when called: after names are checked, before training

# Arguments every method run shares; every other option is a setting of the method's configuration.
RUN_ARGS = ("dataset", "labels", "seed", "out", "data_dir", "download", "quiet", "preset", "resume", "validation",
            "tensorboard")
NOT_SETTINGS = ("command", "device", "set", "method", "given", *RUN_ARGS)
# option dest -> the method setting it sets, where the two names differ
SETTING_OF = {"run": "gan", "samples": "synthetic"}
# The range of each numeric option, checked before anything is imported or written: (smallest, largest or None).
LIMITS = {"seed": (0, 2 ** 32 - 1), "label": (0, None), "top_k": (1, None), "epochs": (1, 100_000),
          "batch_size": (1, 1_000_000), "validation": (0, None), "seeds": (1, 1_000), "quality_samples": (0, 1_000_000),
          ("run", "samples"): (1, 10_000_000), ("sample", "samples"): (1, 1_000_000),
          ("evaluate-gan", "samples"): (2, 1_000_000), "unfreeze_after": (0, None), "shift": (0, 8),
          "real_fraction": (0, 0.999), "cpus_per_cell": (0.01, None), "gpus_per_cell": (0.0, None)}
OPTION_OF = {"seeds": "--n-seeds", "quality_samples": "--samples"}  # a dest's option, where the names differ
# Shortcuts kept from before `run` took every method: `ganclf transfer ...` is `ganclf run transfer ...`.
ALIASES = {"baseline": "cnn (or --method NAME)", "train-gan": "train-gan", "transfer": "transfer",
           "augment": "augment", "ssl-gan": "ssl-gan"}

EXAMPLES = {
    "run": "ganclf run cnn --labels 100 --epochs 5 --set train.lr=0.001 --out runs/cnn-100",
    "list": "ganclf list",
    "study": "ganclf study --preset quick --out runs/study",
    "sample": "ganclf sample --run runs/cdcgan --samples 100 --label 3 --out threes.png",
    "evaluate-gan": "ganclf evaluate-gan --run runs/cdcgan",
    "predict": "ganclf predict --run runs/cnn-1k --top-k 3 digit.png",
}
RUN_EPILOG = """examples:
  ganclf run cnn --labels 1000 --seed 0 --out runs/cnn-1k
  ganclf run train-gan --preset dcgan-cnn --labels all --epochs 10 --out runs/dcgan-cnn
  ganclf run transfer --run runs/dcgan-cnn --labels 1000 --out runs/transfer-1k
  ganclf run augment --run runs/cdcgan --labels 10000 --mix all --out runs/aug
  ganclf run ssl-gan --labels 100 --out runs/ssl
  ganclf run cnn --out runs/cnn-1k --resume          (continue an interrupted run)

aliases: ganclf baseline --method M = ganclf run M; ganclf train-gan --model M --preset P = ganclf run train-gan
--preset M-P; ganclf transfer, augment, ssl-gan = ganclf run transfer, augment, ssl-gan.
`ganclf list` shows every method with its presets."""


def _command(sub, name: str, help_text: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                          epilog=f"example: {EXAMPLES[name]}", **kwargs)


def _hidden(p, *names: str, dest: str, **kwargs) -> None:
    """Old option names, still accepted, not shown."""
    p.add_argument(*names, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("method", metavar="METHOD", help=f"one of {', '.join(REGISTRY)}")
    p.add_argument("--preset", help="the method's preset (default: its first in `ganclf list`)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the preset's number of epochs")
    p.add_argument("--dataset", help="mnist, fashion-mnist, cifar10, svhn or a folder of images (train/<class>/, "
                   "optional test/<class>/ and unlabelled/; default: mnist, or the dataset of the GAN in --run)")
    p.add_argument("--labels", help="labelled budget: a count (100), a percentage (10%%) or 'all' (default: the "
                   "method's: 100 for ssl-gan and pi-model, 10000 for train-gan, 1000 for the others)")
    p.add_argument("--seed", type=int, default=0, help="the random seed: picks the labelled subset and every "
                   "random number (default 0)")
    p.add_argument("--out", help="run directory to write (default: runs/<method>-<split>)")
    p.add_argument("--validation", type=int, help="labelled validation images for selection (default 5000 for the "
                   "built-in datasets; 0: none: fixed schedules, final weights, the budget is every label used)")
    p.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR",
                   help="continue the interrupted run in --out with the same settings (or the one in RUN_DIR with "
                   "its stored settings; only --epochs may change)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any setting of the method's configuration (JSON values), e.g. --set train.lr=0.001")
    p.add_argument("--tensorboard", action="store_true", help="also write each epoch's metrics as TensorBoard "
                   "scalars in OUT/tensorboard/ (pip install 'ganclf[tensorboard]'; $GANCLF_TENSORBOARD=1)")
    _data_options(p)
    g = p.add_argument_group("settings of some methods (the rest: --set KEY=VALUE)")
    g.add_argument("--run", metavar="GAN_RUN", help="transfer, augment: the trained GAN's run directory (a cdcgan "
                   "for augment)")
    _hidden(g, "--gan", dest="run")
    g.add_argument("--batch-size", type=int, help="override the preset's batch size")
    g.add_argument("--loss", help="train-gan: nonsaturating or hinge")
    g.add_argument("--head", help="transfer: linear or mlp (dense 128 + dense K)")
    g.add_argument("--unfreeze-after", type=int, help="transfer: epochs with the discriminator frozen before "
                   "fine-tuning it")
    g.add_argument("--frozen", action="store_true", default=None, help="transfer: never unfreeze: train the head "
                   "only")
    g.add_argument("--no-compare", dest="compare", action="store_false", default=None,
                   help="transfer: skip training the CNN on the same labels for comparison (done by default here)")
    g.add_argument("--mix", help="augment: real, real+gen, gen, or all (default: all three, compared)")
    g.add_argument("--samples", type=int, metavar="N", help="augment: generated images, class-balanced (default 10000)")
    _hidden(g, "--synthetic", dest="samples", type=int)
    g.add_argument("--real-fraction", type=float, help="augment: share of real images in each epoch, the real ones "
                   "repeated (default 0.5; 0: simply concatenate real and generated)")
    g.add_argument("--filter", help="augment: none (default) or classifier: keep samples a real-only CNN is "
                   "confident of")
    g.add_argument("--arch", choices=("mlp", "conv"), help="ssl-gan, pi-model: the discriminator (default: the "
                   "preset's, mlp)")
    g.add_argument("--gen-loss", choices=("feature-matching", "combined"), help="ssl-gan: generator loss: feature "
                   "matching (default) or the original project 002's feature matching + minimax")
    g.add_argument("--shift", type=int, metavar="PIXELS", help="cnn, cnn-shift, augment, ssl-gan, pi-model: "
                   "translate real images at random by up to this many pixels (default: the preset's)")


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="directory holding the dataset's files (else $GANCLF_DATA, then the cache)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="fail instead of downloading a dataset that is not found locally")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when there is a GPU; $GANCLF_DEVICE)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganclf", description="GANs for image classification when labels are "
                                     "scarce. Start with `ganclf list`, then `ganclf run METHOD` or `ganclf study`.")
    parser.add_argument("--version", action="version", version=f"ganclf {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="train and test a method (any in `ganclf list`)", epilog=RUN_EPILOG,
                       usage="ganclf run METHOD [--preset PRESET] [--epochs N] [--labels BUDGET] [--seed SEED] "
                       "[--out RUN_DIR] [options]",
                       description="Train and test a method on a seeded label budget; write a run directory.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _run_options(p)

    _command(sub, "list", "the methods with their presets and controls, and the study presets with their size")

    p = _command(sub, "study", "every method x label budget x seed, resumable, with report.html")
    p.add_argument("--preset", help="quick (default: minutes, a demonstration), original (the original projects' "
                   "budgets), full, or verdict (the whole answer: hours on a GPU); `ganclf list` shows their size")
    p.add_argument("--plan", metavar="FILE", help="a declared study: a committed TOML file (see plans/), run as "
                   "declared; its git blob hash and commit go into the results")
    p.add_argument("--dry-run", action="store_true", help="print the cells, their planned optimizer steps and the "
                   "time estimate, and train nothing")
    p.add_argument("--allow-uncommitted", action="store_true", help="run a --plan file with uncommitted changes "
                   "(a trial: its results say so)")
    p.add_argument("--dataset", help="mnist, fashion-mnist, cifar10, svhn or a folder of images (default: the "
                   "preset's)")
    p.add_argument("--labels", help="comma-separated budgets, e.g. 100,1000,10000 (default: the preset's)")
    p.add_argument("--n-seeds", dest="seeds", type=int, metavar="N", help="how many random seeds, 0..N-1 (default: "
                   "the preset's)")
    _hidden(p, "--seeds", dest="seeds", type=int)
    p.add_argument("--methods", help=f"comma-separated methods from {', '.join(REGISTRY)} (default: the preset's)")
    p.add_argument("--validation", help="labelled validation images, comma-separated protocols (default: the "
                   "preset's; 'default' is 5000 for the built-in datasets; 0: none)")
    p.add_argument("--samples", dest="quality_samples", type=int, metavar="N", help="generated images each shared "
                   "GAN is scored on (FID, precision/recall, CAS; default: the preset's, 1,000 for quick, 10,000 for "
                   "full; 0: none)")
    _hidden(p, "--quality-samples", dest="quality_samples", type=int)
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
    p.add_argument("--samples", type=int, default=100, metavar="N", help="number of images (default 100)")
    _hidden(p, "--n", dest="samples", type=int)
    p.add_argument("--label", type=int, help="class to draw (conditional GANs); default: balanced classes")
    p.add_argument("--seed", type=int, default=0, help="random seed of the latent vectors (default 0)")
    p.add_argument("--out", default="samples.png", help="grid image: .png (default samples.png), .jpg, .pdf, .svg")
    p.add_argument("--npz", help="also write the images (uint8) and labels to this .npz")
    p.add_argument("--force", action="store_true", help="replace --out and --npz if they exist")
    p.add_argument("--device", help="cpu, cuda or cuda:N")

    p = _command(sub, "evaluate-gan", "domain FID, precision/recall (and CAS for cdcgan) of a trained GAN")
    p.add_argument("--run", required=True, help="GAN run directory")
    p.add_argument("--samples", type=int, default=10000, metavar="N", help="generated images to score (default 10000)")
    _hidden(p, "--n", dest="samples", type=int)
    p.add_argument("--seed", type=int, default=0, help="random seed of the samples (default 0)")
    p.add_argument("--no-cas", dest="cas", action="store_false", help="skip the classification accuracy score")
    p.add_argument("--force", action="store_true", help="replace scores stored for this many samples (the first "
                   "scores stored, under 'quality', are kept)")
    _data_options(p)

    p = _command(sub, "predict", "classify image files with a trained classifier")
    p.add_argument("--run", required=True, help="run directory holding model.safetensors")
    p.add_argument("--top-k", type=int, default=1, help="also list the k most probable classes")
    p.add_argument("images", nargs="+", help="PNG/JPEG/... files: any size, colour or grey")

    for name, method in ALIASES.items():  # never parsed: main() rewrites them to `run` first
        sub.add_parser(name, help=f"alias of `ganclf run {method}`", add_help=False)
    return parser


def expand_alias(argv: list[str]) -> list[str]:
    """`ganclf transfer ...` as `ganclf run transfer ...`; baseline's --method and train-gan's --model and --preset
    (a network shape: default, original, cnn) become run's METHOD and --preset."""
    if not argv or argv[0] not in ALIASES:
        return argv
    command, rest = argv[0], list(argv[1:])
    if command == "baseline":
        return ["run", _pop_option(rest, "--method") or "cnn", *rest]
    if command == "train-gan":
        model, networks = _pop_option(rest, "--model"), _pop_option(rest, "--preset")
        if model is None and networks is None:  # the default preset, or (with --resume RUN_DIR) the run's
            return ["run", "train-gan", *rest]
        networks = NETWORK_ALIASES.get(networks or "default", networks or "default")
        preset = (model or "dcgan") if networks == "default" else f"{model or 'dcgan'}-{networks}"
        return ["run", "train-gan", "--preset", preset, *rest]
    return ["run", command, *rest]


def _pop_option(argv: list[str], name: str) -> str | None:
    """Remove `name VALUE` or `name=VALUE` from argv; its value (the last one given), or None."""
    value = None
    for i in reversed(range(len(argv))):
        if argv[i].startswith(name + "="):
            value = value or argv.pop(i).split("=", 1)[1]
        elif argv[i] == name and i + 1 < len(argv):
            value = value or argv[i + 1]
            del argv[i:i + 2]
    return value


def _settings(args) -> dict:
    """The method settings the options name: every option not shared by all methods, then --set KEY=VALUE."""
    settings = {SETTING_OF.get(k, k): v for k, v in vars(args).items() if k not in NOT_SETTINGS and v is not None}
    if settings.get("mix") is not None:
        settings["mixes"] = None if settings["mix"] == "all" else tuple(m.strip() for m in settings["mix"].split(","))
        del settings["mix"]
    if args.method == "transfer":
        settings.setdefault("compare", True)  # the command line compares with the CNN unless --no-compare
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


def _check_names(args) -> None:
    """Methods and presets by their current names, refused with the valid ones before torch loads."""
    if args.command == "run":
        args.method = check_method_name(args.method)
        if args.preset is not None:
            args.preset = preset_name(args.method, args.preset)
        if getattr(args, "run", None) and args.method not in ("transfer", "augment"):
            raise ValueError(f"--run names the GAN that transfer and augment start from; {args.method} takes none")
    elif args.command == "study":
        if args.plan and args.preset:
            raise ValueError("--plan and --preset name two studies: give one")
        args.preset = study_preset(args.preset or "quick")
        if args.methods is not None and not args.methods.replace(",", "").strip():
            raise ValueError("--methods names no method; give one or more of " + ", ".join(REGISTRY))
        names = [name.strip() for name in (args.methods or "").split(",") if name.strip()]
        args.methods = ",".join(map(check_method_name, names)) or None


def _run_method(args) -> None:
    from . import api
    common = {k: getattr(args, k) for k in RUN_ARGS}
    resume = common.pop("resume")
    if resume is True and not args.out:
        raise ValueError("--resume without RUN_DIR continues the run in --out: name one of them")
    method = args.method
    if resume not in (None, True):  # a run directory: its stored settings; what the command line names is compared
        given = args.given
        asked = {k: common[k] for k in ("dataset", "labels", "seed", "validation", "preset") if k in given}
        common = {"resume": resume, "data_dir": args.data_dir, "download": args.download,
                  "quiet": args.quiet, "tensorboard": args.tensorboard, **asked}
        named = {SETTING_OF.get(k, k) for k in given} | _set_keys(args) | ({"mixes"} if "mix" in given else set())
        settings = {k: v for k, v in _settings(args).items() if k in named}
    else:
        common["resume"] = bool(resume)
        settings = _settings(args)
    use_cpus()
    results = api.run(method, **common, **settings)
    print(_summary(results))


def _set_keys(args) -> set[str]:
    return {item.partition("=")[0].split(".")[0] for item in args.set}


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
    overrides = {"dataset": args.dataset, "labels": args.labels, "seeds": args.seeds, "methods": args.methods,
                 "validation": _validations(args.validation), "quality_samples": args.quality_samples}
    if args.dry_run:
        from .studies import configure, dry_run
        cfg, _ = configure(args.preset, args.plan, args.allow_uncommitted, **overrides)
        print("\n".join(dry_run(cfg)))
        return
    if not args.quiet:  # before torch and the data load: the study speaks from its first second
        print(f"study {args.plan or '--preset ' + args.preset}: loading torch and the data ...", flush=True)
    from .studies import study
    results = study(args.preset, args.out, data_dir=args.data_dir, quiet=args.quiet, executor=args.executor,
                    address=args.address, cpus_per_cell=args.cpus_per_cell, gpus_per_cell=args.gpus_per_cell,
                    plan=args.plan, allow_uncommitted=args.allow_uncommitted, **overrides)
    for s in results["summary"]:
        spread = f" +- {s['std']:.4f}" if s["std"] is not None else f" (n = {s['seeds']})"
        print(f"{s['dataset']:>14} {s['method']:>16} @ {s['labels']:>6} labels: {s['mean']:.4f}{spread}")
    for v in results["verdict"]:
        holm = f"  [Holm over the declared family: {v['holm_verdict']}, p = {v['holm_p']:.3f}]" \
            if v.get("holm_p") is not None else ""
        print(v["sentence"] + holm)
    print(f"report: {results['report'] or 'none (no cell finished)'}  ({results['elapsed_s'] / 60:.1f} min)")
    for f in results["failed"]:
        print(f"failed: {f['cell']}: {f['error']}", file=sys.stderr)
    if results["failed"]:
        n = len(results["failed"])
        sys.exit(f"ganclf: {n} cell{'s' if n > 1 else ''} failed; the same command reruns only what did not finish")


def _validations(text: str | None):
    if text is None:
        return None
    try:
        sizes = tuple(None if v.strip() == "default" else int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--validation {text!r}: expected sizes like 5000,0 or 'default'") from None
    if any(v is not None and v < 0 for v in sizes):
        raise ValueError(f"--validation {text!r}: a size cannot be negative")
    return sizes


def _sample(args) -> None:
    from . import api
    r = api.sample(args.run, args.samples, args.label, args.seed, args.out, args.npz, force=args.force)
    print(" ".join(f"wrote {path}" for path in (r["grid"], r["npz"]) if path))


def _evaluate(args) -> None:
    from . import api
    use_cpus()
    q = api.evaluate_gan(args.run, args.samples, args.seed, args.cas, args.data_dir, args.quiet, args.download,
                         force=args.force)
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


def _list(args) -> None:
    """The methods (torch-free), then the study presets with their cells and typical time (planning them reads the
    methods' recipes, which import torch)."""
    print("methods (ganclf run METHOD [--preset PRESET]; the first preset is the default):")
    for name, presets in METHOD_PRESETS.items():
        print(f"  {name:<17} presets: {', '.join(presets)}")
    print("study presets (ganclf study --preset NAME):", flush=True)
    from .methods import get_method
    from .studies.estimate import study_seconds
    from .studies.plan import PRESETS, plan
    for name in STUDY_PRESETS:
        jobs, cells = plan(PRESETS[name])
        gans = f" + {len(jobs)} shared GAN{'s' if len(jobs) != 1 else ''}" if jobs else ""
        print(f"  {name:<24} {len(cells):>4} cells{gans}, about {_duration(study_seconds(jobs + cells))} on 2 CPU "
              "cores, one after another")
    print("what each method is:")
    for kind, names in METHOD_KINDS.items():
        print(f"  {kind}:")
        for name in names:
            entry = get_method(name)
            control = f" (its control: {entry.control})" if entry.control else ""
            print(f"    {name:<17} {entry.summary}{control}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} hours"


COMMANDS = {"list": _list, "study": _study, "sample": _sample, "evaluate-gan": _evaluate, "predict": _predict}


def main(argv=None) -> None:
    argv = expand_alias(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    args.given = _given(argv)
    try:
        _check_names(args)
        _check_values(args)
        with console(getattr(args, "quiet", False)):  # the library's log lines, as plain lines on stdout
            COMMANDS.get(args.command, _run_method)(args)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the exit handlers
        sys.exit(_interrupted(args))
    except Exception as err:  # noqa: BLE001 (user errors become one line; anything else is a bug: traceback)
        if not _user_error(err):
            raise
        sys.exit(f"ganclf: error: {_line(err)}")


def _line(err: Exception) -> str:
    """The error as one printable line; an OSError names its file first."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        text = f"{err.filename}: {err.strerror}"
    else:
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text.encode("utf-8", "backslashreplace").decode()  # a file name that is not UTF-8 still prints


def _given(argv: list[str]) -> set[str]:
    """The options the command line names, not their defaults (what --resume RUN_DIR compares)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in sub.choices.values():
        for action in command._actions:
            action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv))) - {"command"}


def _check_values(args) -> None:
    """Every number in range and the device real and present, before anything is imported or written."""
    for name, value in vars(args).items():
        low, high = LIMITS.get((args.command, name), LIMITS.get(name, (None, None)))
        if low is None or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            option = OPTION_OF.get(name, "--" + name.replace("_", "-"))
            bounds = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
            raise ValueError(f"{option} {value}: must be {bounds}")
    if getattr(args, "out", None) and args.command != "sample":  # sample checks its files itself
        from .runs import check_outside_runs
        check_outside_runs(args.out, "--out")
    data_dir = getattr(args, "data_dir", None)
    if data_dir and (os.path.isfile(data_dir) or not os.path.exists(data_dir) and not args.download):
        raise ValueError(f"--data-dir {data_dir}: no such folder")
    from .devices import check_device
    if getattr(args, "device", None):
        os.environ["GANCLF_DEVICE"] = check_device(args.device)
    elif os.environ.get("GANCLF_DEVICE"):
        check_device(os.environ["GANCLF_DEVICE"], "$GANCLF_DEVICE")


def _interrupted(args) -> str:
    """What an interrupted command leaves, and how to go on: only what is true for that command."""
    if args.command == "study":
        return "ganclf: interrupted; finished cells are kept: run the same command to continue"
    if args.command in COMMANDS:  # sample, evaluate-gan, predict: nothing to continue
        return "ganclf: interrupted"
    resumed = args.resume if isinstance(getattr(args, "resume", None), str) else None
    where = args.out or resumed or "RUN_DIR (the run directory under runs/)"
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
