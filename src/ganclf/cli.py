"""Command line: argument parsing only; every command calls the Python API in api.py."""
import argparse
import sys

from . import api
from .data import DataError, BudgetError
from .runs import RunError
from .train import TrainingDiverged

# Errors a user can cause and fix: one line, non-zero exit, no traceback.
USER_ERRORS = (DataError, BudgetError, RunError, TrainingDiverged, ValueError, FileNotFoundError)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="mnist", help="mnist or fashion-mnist (default: mnist)")
    p.add_argument("--labels", default="1000", help="labelled budget: a count (100), a percentage (10%%) or 'all'")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="run directory (default: runs/<command>-<split>)")
    p.add_argument("--data-dir", help="directory holding the IDX .gz files (else $GANCLF_DATA, then the cache)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="fail instead of downloading a dataset that is not found locally")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganclf", description="GANs for image classification when labels are scarce.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("baseline", help="CNN or PCA+k-NN trained on the labelled images only")
    p.add_argument("--method", default="cnn", help="cnn (default), cnn-seed (seed 004's CNN) or pca-knn")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    _common(p)

    p = sub.add_parser("study", help="every method x label budget x seed, resumable, with report.html")
    p.add_argument("--preset", default="quick", help="quick (minutes), seeds (the seed projects' protocols) or full")
    p.add_argument("--dataset", help="mnist or fashion-mnist (default: the preset's)")
    p.add_argument("--labels", help="comma-separated budgets, e.g. 100,1000,10000")
    p.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    p.add_argument("--methods", help="comma-separated methods")
    p.add_argument("--out", default="runs/study", help="study directory (default: runs/study)")
    p.add_argument("--data-dir", help="directory holding the IDX .gz files")
    p.add_argument("--quiet", action="store_true", help="no progress lines")

    p = sub.add_parser("ssl-gan", help="semi-supervised GAN: D is a K+1-class classifier (Salimans et al. 2016)")
    p.add_argument("--arch", choices=("mlp", "conv"), help="discriminator (default: the preset's, mlp)")
    p.add_argument("--preset", default="mlp", help="mlp (default, 18 epochs), paper (300 epochs, as the paper) or conv")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--gen-loss", choices=("feature-matching", "combined"),
                   help="generator loss: feature matching (default) or seed 002's feature matching + minimax")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out from its checkpoint")
    _common(p)
    p.set_defaults(labels="100")

    p = sub.add_parser("predict", help="classify image files with a trained classifier")
    p.add_argument("--run", required=True, help="run directory holding model.safetensors")
    p.add_argument("images", nargs="+", help="PNG/JPEG/... files: any size, colour or grey")
    return parser


def _summary(results: dict) -> str:
    val = results.get("val_accuracy")
    val_text = f"val {val:.4f}  " if val is not None else ""
    return (f"{results['method']} on {results['dataset']} @ {results['labels']} labels, seed {results['seed']}: "
            f"{val_text}test {results['test_accuracy']:.4f}  ({results['wall_time_s']:.1f}s) -> {results['run_dir']}")


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "baseline":
            results = api.baseline(args.method, args.dataset, args.labels, args.seed, args.out,
                                   args.data_dir, args.epochs, args.quiet, args.download)
            print(_summary(results))
        elif args.command == "study":
            results = api.study(args.preset, args.out, args.dataset, args.labels, args.seeds, args.methods,
                                args.data_dir, args.quiet)
            for s in results["summary"]:
                print(f"{s['method']:>10} @ {s['labels']:>6} labels: {s['mean']:.4f} +- {s['std']:.4f}")
            print(f"report: {results['report']}")
        elif args.command == "ssl-gan":
            results = api.ssl_gan(args.dataset, args.labels, args.seed, args.out, args.data_dir, args.preset,
                                  args.arch, args.epochs, args.gen_loss, args.resume, args.quiet, args.download)
            print(_summary(results))
        elif args.command == "predict":
            for p in api.predict(args.run, args.images):
                print(f"{p['image']}: {p['class']} (p={p['probability']:.3f})")
    except USER_ERRORS as err:
        sys.exit(f"ganclf: error: {err}")
    except KeyboardInterrupt:
        sys.exit("ganclf: interrupted; finished checkpoints are kept")
