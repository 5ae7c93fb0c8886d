"""Issue 3 target: DCGAN training throughput >= 1.5x a straightforward PyTorch loop of the same (seed)
architecture, batch 100, measured in the same run. Usage: python benchmarks/gan_speed.py [--steps 40]

The straightforward loop is what a tutorial port looks like: fp32, a DataLoader over a TensorDataset,
D run on the generated batch twice (detached for D, again for G), .item() after every step. Ours is
GANTrainer: bf16 autocast, channels-last, index batches from an in-memory tensor, D's weights frozen
during the generator step, one host sync per epoch. Both train seed 000/004's networks.
"""
import argparse
import time

import torch
import torch.nn.functional as F
from common import DATA_ROOT, print_table, write_results

from ganclf.data import load_dataset, to_float
from ganclf.methods.gan import GANTrainer, make_gan_config
from ganclf.models.gans import build_gan


def straightforward(images, steps: int, batch: int = 100) -> float:
    torch.manual_seed(0)
    g, d = build_gan("dcgan", "seed")
    opt_g = torch.optim.Adam(g.parameters(), 1e-4)
    opt_d = torch.optim.Adam(d.parameters(), 1e-4)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images), batch_size=batch, shuffle=True,
                                         drop_last=True)
    start, done = None, 0
    for i, (real,) in enumerate(loader):
        if i == 3:  # warm-up steps are not timed
            start = time.perf_counter()
        z = torch.randn(batch, g.z_dim)
        fake = g(z)
        real_logit, fake_logit = d(real), d(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                  + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        out = d(fake)
        loss_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        loss_d.item(), loss_g.item()
        done += i >= 3
        if done == steps:
            break
    return steps * batch / (time.perf_counter() - start)


def ours(images, steps: int, batch: int = 100, bf16: bool = True) -> float:
    cfg = make_gan_config("dcgan", "seed", bf16=bf16)
    trainer = GANTrainer("dcgan", "seed", cfg, 10, seed=0)
    labels = torch.zeros(len(images), dtype=torch.long)
    order = torch.randperm(len(images))
    total = torch.zeros(4)
    for i in range(steps + 3):
        if i == 3:
            start = time.perf_counter()
        idx = order[i * batch:(i + 1) * batch]
        total += trainer.step(images[idx].contiguous(memory_format=torch.channels_last), labels[idx])
    total.tolist()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    images = to_float(load_dataset("mnist", DATA_ROOT / "mnist", download_missing=False).train_images[:10000])
    rows = []
    for repeat in range(args.repeats):  # interleaved, so background load hits both alike
        rows.append({"loop": "straightforward fp32", "repeat": repeat,
                     "images_per_s": round(straightforward(images, args.steps), 1)})
        rows.append({"loop": "ganclf fp32", "repeat": repeat,
                     "images_per_s": round(ours(images, args.steps, bf16=False), 1)})
        rows.append({"loop": "ganclf bf16", "repeat": repeat, "images_per_s": round(ours(images, args.steps), 1)})
        print_table(rows[-3:], ["loop", "repeat", "images_per_s"])
    best = {loop: max(r["images_per_s"] for r in rows if r["loop"] == loop) for loop in dict.fromkeys(
        r["loop"] for r in rows)}
    summary = {**{f"{k} images/s (best of {args.repeats})": v for k, v in best.items()},
               "speed-up (ganclf bf16 / straightforward)": round(best["ganclf bf16"] / best["straightforward fp32"], 2),
               "architecture": "seed DCGAN (TF tutorial), batch 100"}
    print(summary)
    print("written to", write_results("gan_speed", rows, summary))


if __name__ == "__main__":
    main()
