"""Command line: argument parsing only; every command calls the Python API in api.py."""
import argparse
import sys

from . import api
from .data import DataError, BudgetError
from .runs import RunError
from .train import TrainingDiverged

# Errors a user can cause and fix: one line, non-zero exit, no traceback.
USER_ERRORS = (DataError, BudgetError, RunError, TrainingDiverged, ValueError, FileNotFoundError)


def _common(p: argparse.ArgumentParser, dataset: bool = True) -> None:
    if dataset:  # commands that start from a GAN run use the GAN's dataset
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

    p = sub.add_parser("train-gan", help="train a GAN (gan, dcgan, cdcgan) on a label budget's images")
    p.add_argument("--model", default="dcgan", help="gan, dcgan (default) or cdcgan (conditional)")
    p.add_argument("--preset", default="default", help="default (ours), seed (the seed project's networks "
                   "and recipe) or cnn (dcgan with a D shaped like the default CNN: the best for transfer)")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--loss", help="nonsaturating (default) or hinge")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint "
                   "(its stored settings are used; --epochs may extend it)")
    _common(p)

    p = sub.add_parser("sample", help="draw images from a trained GAN")
    p.add_argument("--run", required=True, help="GAN run directory")
    p.add_argument("--n", type=int, default=100, help="number of images (default 100)")
    p.add_argument("--label", type=int, help="class to draw (conditional GANs); default: balanced classes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="samples.png", help="grid PNG (default samples.png)")
    p.add_argument("--npz", help="also write the images (uint8) and labels to this .npz")

    p = sub.add_parser("evaluate-gan", help="domain FID, precision/recall (and CAS for cdcgan) of a trained GAN")
    p.add_argument("--run", required=True, help="GAN run directory")
    p.add_argument("--n", type=int, default=10000, help="generated images to score (default 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-cas", dest="cas", action="store_false", help="skip the classification accuracy score")
    p.add_argument("--data-dir", help="directory holding the IDX .gz files")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("transfer", help="fine-tune a trained GAN's discriminator as a classifier")
    p.add_argument("--gan", required=True, help="GAN run directory (gan, dcgan or cdcgan)")
    p.add_argument("--preset", default="default", help="default, seed-trial1, seed-trial2 or seed-trial3")
    p.add_argument("--head", help="linear or mlp (dense 128 + dense K)")
    p.add_argument("--unfreeze-after", type=int, help="epochs with the discriminator frozen before fine-tuning it")
    p.add_argument("--frozen", action="store_true", help="never unfreeze: train the head only")
    p.add_argument("--epochs", type=int, help="total epochs (default: the preset's)")
    p.add_argument("--no-compare", dest="compare", action="store_false",
                   help="skip training the CNN baseline on the same labels for comparison")
    _common(p, dataset=False)

    p = sub.add_parser("augment", help="train a classifier on real, real + generated, generated-only images")
    p.add_argument("--gan", required=True, help="conditional GAN run directory (cdcgan)")
    p.add_argument("--mix", default="all", help="real, real+gen, gen, or all (default: all three, compared)")
    p.add_argument("--synthetic", type=int, help="generated images, class-balanced (default 10000)")
    p.add_argument("--real-fraction", type=float, help="share of real images in each epoch, the real ones repeated "
                   "(default 0.5; 0: simply concatenate real and generated)")
    p.add_argument("--filter", help="none (default) or classifier: keep samples a real-only CNN is confident of")
    p.add_argument("--epochs", type=int, help="classifier epochs (default: the CNN recipe's)")
    _common(p, dataset=False)

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
    p.add_argument("--preset", default="mlp", help="mlp (default: 70 epochs, ~28 min on 2 CPU cores), paper "
                   "(300 epochs, as the paper) or conv (experimental: below the mlp so far)")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--gen-loss", choices=("feature-matching", "combined"),
                   help="generator loss: feature matching (default) or seed 002's feature matching + minimax")
    p.add_argument("--shift", type=int, help="translate real images by up to this many pixels as they enter D "
                   "(default: the preset's)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint "
                   "(its stored settings are used)")
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
        elif args.command == "train-gan":
            r = api.train_gan(args.model, args.preset, args.dataset, args.labels, args.seed, args.out, args.data_dir,
                              args.epochs, args.batch_size, args.loss, args.quiet, args.download, args.resume)
            final = r["final"]
            print(f"{r['method']} ({r['preset']}) on {r['dataset']} @ {r['labels']}: {r['epochs']} epochs, "
                  f"d_loss {final.get('d_loss', float('nan')):.3f} g_loss {final.get('g_loss', float('nan')):.3f} "
                  f"({r['wall_time_s']:.1f}s) -> {r['run_dir']}")
        elif args.command == "sample":
            r = api.sample(args.run, args.n, args.label, args.seed, args.out, args.npz)
            print(" ".join(f"wrote {path}" for path in (r["grid"], r["npz"]) if path))
        elif args.command == "evaluate-gan":
            q = api.evaluate_gan(args.run, args.n, args.seed, args.cas, args.data_dir, args.quiet)
            print("  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in q.items()))
        elif args.command == "transfer":
            r = api.transfer(args.gan, args.labels, args.seed, args.out, args.preset, args.head, args.unfreeze_after,
                             args.frozen, args.epochs, args.compare, args.data_dir, args.quiet, args.download)
            print(_summary(r))
            if "cnn_test_accuracy" in r:
                print(f"  CNN baseline, same labels and seed: test {r['cnn_test_accuracy']:.4f} "
                      f"(transfer {r['gain_over_cnn']:+.4f})")
        elif args.command == "augment":
            r = api.augment(args.gan, args.labels, args.seed, args.out, args.mix, args.synthetic, args.real_fraction,
                            args.filter, args.epochs, args.data_dir, args.quiet, args.download)
            for mix, m in r["mixes"].items():
                print(f"{mix:>9}: val {m['val_accuracy']:.4f}  test {m['test_accuracy']:.4f}")
            print(f"-> {r['run_dir']}")
        elif args.command == "study":
            results = api.study(args.preset, args.out, args.dataset, args.labels, args.seeds, args.methods,
                                args.data_dir, args.quiet)
            for s in results["summary"]:
                print(f"{s['method']:>10} @ {s['labels']:>6} labels: {s['mean']:.4f} +- {s['std']:.4f}")
            print(f"report: {results['report']}  ({results['elapsed_s'] / 60:.1f} min)")
        elif args.command == "ssl-gan":
            results = api.ssl_gan(args.dataset, args.labels, args.seed, args.out, args.data_dir, args.preset,
                                  args.resume, args.quiet, args.download, arch=args.arch, epochs=args.epochs,
                                  gen_loss=args.gen_loss, shift=args.shift)
            print(_summary(results))
        elif args.command == "predict":
            for p in api.predict(args.run, args.images):
                print(f"{p['image']}: {p['class']} (p={p['probability']:.3f})")
    except USER_ERRORS as err:
        sys.exit(f"ganclf: error: {err}")
    except KeyboardInterrupt:
        sys.exit("ganclf: interrupted; finished checkpoints are kept")
