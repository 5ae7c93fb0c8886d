"""One semi-supervised GAN variant at 100 labels, for sweeps run as many parallel processes (issue 6).

Usage: python benchmarks/sweeps/ssl_variants.py VARIANT SEED EPOCHS OUT_ROOT [LABELS] [PRESET]
Selection is on validation accuracy (metrics.jsonl); the test accuracy the run writes is not looked at.
"""
import sys
from pathlib import Path

from ganclf import ssl_gan

VARIANTS = {
    "mlp": {"shift": 0},  # the control: the mlp preset as it was before shift joined it
    "shift2": {"shift": 2},
    "shift2-nocons": {"shift": 2, "consistency_weight": 0.0},
    "shift3": {"shift": 3},
    "shift2-ent": {"shift": 2, "entropy_weight": 0.3},
    "shift1": {"shift": 1},
    # second call: the conv D (head initialised at logit std 0.1) at three learning rates, and the mlp preset at 10%
    "conv-lr3e-4": {"arch": "conv", "lr": 3e-4},
    "conv-lr1e-3": {"arch": "conv", "lr": 1e-3},
    "conv-lr3e-3": {"arch": "conv", "lr": 3e-3},
    "preset": {},
}

if __name__ == "__main__":
    name, seed, epochs, root = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    labels, preset = (sys.argv[5:] + ["100", "mlp"][len(sys.argv[5:]):])[:2]
    out = root / f"{name}-{labels.replace('%', 'pct')}-seed{seed}-e{epochs}"
    ssl_gan("mnist", labels, seed, out=out, preset=preset, epochs=epochs, quiet=True, download=False,
            **VARIANTS[name])
