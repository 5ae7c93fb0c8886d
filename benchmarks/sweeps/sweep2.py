"""GPU sweep 2: transfer recipes and deeper D; cGAN hinge 40 epochs; selection on validation only."""
import json, os, sys, time
from dataclasses import replace
from pathlib import Path
from ganclf import api
from ganclf.data import load_dataset, make_split
from ganclf.methods import gan as gm
from ganclf.models import gans
from ganclf.runs import Run

gans.GANS[("dcgan", "deep")] = lambda nc: gans.dcgan(nc, d_layers=3)
gans.GANS[("cdcgan", "deep")] = lambda nc: gans.dcgan(nc, d_layers=3)
gm.RECIPES[("dcgan", "deep")] = gm.RECIPES[("dcgan", "default")]
gm.RECIPES[("cdcgan", "deep")] = gm.RECIPES[("cdcgan", "default")]
DATA, root, OUT = ".gpu", Path("/tmp/sw2"), os.environ["OUT"]
ds = load_dataset("mnist", DATA)
def emit(rec):
    with open(f"{OUT}/results.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(rec, flush=True)

kind, name = sys.argv[1], sys.argv[2]
if kind == "gan":
    model, preset, labels, over = sys.argv[3], sys.argv[4], sys.argv[5], json.loads(sys.argv[6])
    split = make_split(ds.train_labels.numpy(), labels, 0)
    cfg = gm.make_gan_config(model, preset, **over)
    t = time.time()
    r = gm.train_gan(model, preset, cfg, ds, split, Run(root / name, {"command": "train-gan"}), 0, quiet=True)
    (root / name / "split.json").write_text(json.dumps(split.to_json()))
    emit({"job": name, "gan_time": time.time() - t, "final": r["final"]})
elif kind == "tr":
    from ganclf.methods.transfer import PRESETS, run_transfer
    gan_name, labels, over = sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    cfg = replace(PRESETS["default"], **over)
    _, d, meta = gm.load_gan(root / gan_name)
    split = make_split(ds.train_labels.numpy(), labels, 0)
    r = run_transfer(d, meta, ds, split, Run(root / name, {}), cfg, 0, True)
    emit({"job": name, "gan": gan_name, "labels": labels, "over": over, "val": r["val_accuracy"]})
elif kind == "aug":
    gan_name, synthetic = sys.argv[3], int(sys.argv[4])
    r = api.augment(root / gan_name, labels="10000", mix="gen", synthetic=synthetic, out=root / name, data_dir=DATA, quiet=True)
    emit({"job": name, "gan": gan_name, "synthetic": synthetic, "val_gen": r["mixes"]["gen"]["val_accuracy"]})
