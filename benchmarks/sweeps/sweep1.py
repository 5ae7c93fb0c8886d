"""GPU sweep of GAN recipes; selection on the validation split only."""
import json, sys, time
from pathlib import Path
from ganclf import api
from ganclf.data import load_dataset, make_split
from ganclf.methods.gan import make_gan_config, train_gan
from ganclf.runs import Run

job, root = sys.argv[1], Path(sys.argv[2])
DATA = ".gpu"
ds = load_dataset("mnist", DATA)

def gan(name, model, preset, labels, **over):
    out = root / name
    split = make_split(ds.train_labels.numpy(), labels, 0)
    cfg = make_gan_config(model, preset, **over)
    t = time.time()
    r = train_gan(model, preset, cfg, ds, split, Run(out, {"command": "train-gan", "dataset": "mnist", "labels": labels, "seed": 0}), 0, quiet=True)
    (out / "split.json").write_text(json.dumps(split.to_json()))
    return out, {"gan_time": time.time() - t, "final": r["final"]}

res = {}
def aug(out, labels="10000", mix="gen,real+gen"):
    r = api.augment(out, labels=labels, mix=mix, out=root / f"aug-{out.name}-{labels}", data_dir=DATA, quiet=True)
    return {m: v["val_accuracy"] for m, v in r["mixes"].items()}

if job.startswith("c"):
    over = {"cw1": dict(class_weight=1.0), "cw0": dict(class_weight=0.0), "hinge": dict(class_weight=1.0, loss="hinge"),
            "cw1e40": dict(class_weight=1.0, epochs=40), "cw03": dict(class_weight=0.3)}
    if job == "cseed":
        out, info = gan(job, "cdcgan", "seed", "10000")
    else:
        out, info = gan(job, "cdcgan", "default", "10000", **over[job[1:]])
    info["val"] = aug(out)
    res[job] = info
elif job == "dall":
    out, info = gan(job, "dcgan", "default", "all", epochs=10)
    for labels in ("1000", "10000"):
        r = api.transfer(out, labels=labels, out=root / f"tr-{labels}", data_dir=DATA, quiet=True)
        info[f"transfer_{labels}"] = {"val": r["val_accuracy"], "cnn_test": r["cnn_test_accuracy"]}
        r = api.transfer(out, labels=labels, out=root / f"trfz-{labels}", data_dir=DATA, quiet=True, frozen=True, head="linear", compare=False)
        info[f"frozen_{labels}"] = {"val": r["val_accuracy"]}
    res[job] = info
elif job == "dseed":
    out, info = gan(job, "dcgan", "seed", "10000")
    for p in ("original-trial1", "original-trial2", "original-trial3"):
        r = api.transfer(out, labels="10000", preset=p, out=root / f"tr-{p}", data_dir=DATA, quiet=True, compare=False)
        info[p] = {"val": r["val_accuracy"], "test": r["test_accuracy"]}
    res[job] = info
elif job == "d10k":
    out, info = gan(job, "dcgan", "default", "10000")
    r = api.transfer(out, labels="10000", out=root / "tr-d10k", data_dir=DATA, quiet=True, compare=False)
    info["transfer_10000"] = {"val": r["val_accuracy"]}
    res[job] = info
(root / f"{job}.json").write_text(json.dumps(res, indent=1, default=str))
print(job, json.dumps(res, default=str))
