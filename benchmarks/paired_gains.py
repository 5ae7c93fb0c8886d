"""The gains the earlier benchmarks measured, restated as paired 95% intervals over their seeds (issue 16): each GAN
method against the CNN trained on the same labelled images with the same seed. Reads committed result files,
trains nothing, writes paired_gains.json. None of these is against a control that differs by the GAN alone
(those are pi-model, transfer-scratch and cnn-shift now: ganclf study --preset verdict).

    python benchmarks/paired_gains.py
"""
import json

from common import RESULTS, write_results
from ganclf import stats


def _runs(name: str) -> list[dict]:
    return json.loads((RESULTS / name).read_text())["runs"]


def augment() -> list[dict]:
    """real+gen against real only (the same CNN recipe, the same labels), MNIST, 10k generated images:
    concatenated, and with the real images repeated to half of each epoch (augment's default)."""
    rows = _runs("augment_100_1000_10000_3seeds.json")
    real = {lab: {r["seed"]: r["real_test"] for r in rows if r["labels"] == lab and "variant" not in r}
            for lab in ("100", "1000", "10000")}
    out = [_compare("augment (10k generated, concatenated)", "cnn", lab,
                    {r["seed"]: r["real+gen_test"] for r in rows if r["labels"] == lab and "variant" not in r},
                    real[lab]) for lab in real]
    return out + [_compare("augment (10k generated, 50% real share)", "cnn", lab,
                           {r["seed"]: r["test"] for r in rows if r["labels"] == lab
                            and r.get("variant") == "real share 50%"}, real[lab]) for lab in ("100", "1000")]


def transfer() -> list[dict]:
    """transfer from the cnn-shaped dcgan's D against the CNN beside it (same labels and seed)."""
    sources = {"100": [f"transfer_cnn_gan1ep_seed{s}.json" for s in range(3)],
               "1000": [f"transfer_cnn_gan10ep_seed{s}.json" for s in range(3)],
               "10000": [f"transfer_cnn_gan10ep_seed{s}.json" for s in range(3)]}
    out = []
    for labels, names in sources.items():
        rows = [r for name in names for r in _runs(name) if r["labels"] == labels]
        out.append(_compare("transfer", "cnn", labels, {r["seed"]: r["test"] for r in rows},
                            {r["seed"]: r["cnn_test"] for r in rows}))
    return out


def _compare(method: str, control: str, labels: str, a: dict, b: dict) -> dict:
    d = stats.paired_difference(a, b)
    sentence = stats.verdict_sentence(method, control, d, {"labelled": int(labels), "validation": 5000})
    print(sentence)
    return {"method": method, "control": control, "labels": labels, **d, "sentence": sentence}


def main() -> None:
    rows = augment() + transfer()
    write_results("paired_gains", rows, {"protocol": "MNIST, 5,000 validation labels, seeds 0-2, test accuracy"})


if __name__ == "__main__":
    main()
