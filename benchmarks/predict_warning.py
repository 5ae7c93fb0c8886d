"""Is predict's "unlike the training data" warning worth showing? A CNN trained on MNIST (1,000 labels, seed 0)
stores the top-class probability below which 1% of its validation images fall; this counts how many MNIST test
images (in distribution) and Fashion-MNIST test images (clothes: out of distribution) fall below it.

    python benchmarks/predict_warning.py
"""
import tempfile
from pathlib import Path

from common import DATA_ROOT, write_results
from ganclf import api, load_dataset
from ganclf.data import to_float
from ganclf.methods.classify import load_classifier
from ganclf.train import predict_logits


def flagged(model, images, floor: float) -> float:
    confidence = predict_logits(model, to_float(images)).softmax(1).max(1).values
    return round(float((confidence < floor).float().mean()), 4)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        api.run("cnn", labels="1000", seed=0, out=Path(tmp) / "cnn", data_dir=DATA_ROOT, quiet=True)
        model, meta = load_classifier(Path(tmp) / "cnn" / "model.safetensors")
    floor = meta["confidence_floor"]
    mnist, fashion = load_dataset("mnist", DATA_ROOT), load_dataset("fashion-mnist", DATA_ROOT)
    rows = [{"images": "MNIST test (in distribution)", "flagged": flagged(model, mnist.test_images, floor)},
            {"images": "Fashion-MNIST test (out of distribution)", "flagged": flagged(model, fashion.test_images, floor)}]
    for r in rows:
        print(f"{r['images']:<42} flagged {r['flagged']:.1%}")
    write_results("predict_warning", rows, {"classifier": "cnn, MNIST, 1,000 labels, seed 0",
                                            "confidence_floor": floor, "quantile": 0.01})


if __name__ == "__main__":
    main()
