"""What every classifier-training method shares: seeding, tensors from a split, final test report."""
import torch

from ..data import Dataset, Split, to_float
from ..metrics import classification_metrics
from ..models.classifiers import MNIST_SHAPE
from ..report.figures import plot_confusion, plot_curves
from ..runs import Run, RunError, load_checkpoint, reason, save_checkpoint
from ..train import TrainConfig, budget, fit, predict_logits


def split_tensors(dataset: Dataset, split: Split) -> dict:
    """Float images in [-1, 1] for the labelled, validation and test sets."""
    images = to_float(dataset.train_images)
    return {"train": (images[split.labelled], dataset.train_labels[split.labelled]),
            "val": (images[split.validation], dataset.train_labels[split.validation]),
            "test": (to_float(dataset.test_images), dataset.test_labels)}


def train_classifier(model, data: dict, cfg: TrainConfig, run: Run, seed: int, quiet: bool) -> list[dict]:
    return fit(model, data["train"], data["val"], cfg, seed=seed, log=run.log, quiet=quiet)


def report_classifier(model, data: dict, dataset: Dataset, history: list[dict], run: Run,
                      model_meta: dict, bf16: bool = True) -> dict:
    """Touch the test split once; write weights, curves, confusion matrix; return the results. The weights'
    metadata say how to rebuild the model and prepare a new image: the image shape and the dataset's preparation."""
    test_images, test_labels = data["test"]
    predictions = predict_logits(model, test_images, bf16).argmax(1)
    test = classification_metrics(test_labels.numpy(), predictions.numpy(), dataset.num_classes)
    best_val = max((r["val_acc"] for r in history if "val_acc" in r), default=None)
    save_checkpoint(run.file("model.safetensors"), {"model": model.state_dict()},
                    {**model_meta, "dataset": dataset.name, "dataset_checksum": dataset.checksum,
                     "classes": list(dataset.classes), "shape": list(dataset.shape),
                     "preparation": dataset.preparation, "confidence_floor": confidence_floor(model, data, bf16)})
    if history:
        plot_curves(history, run.file("curves.png"), title=run.path.name)
    plot_confusion(test["confusion_matrix"], dataset.classes, run.file("confusion.png"),
                   title=f"test accuracy {test['accuracy']:.4f}")
    return {"val_accuracy": best_val, "test_accuracy": test["accuracy"], "test": test, **budget(history)}


# predict warns about an image its classifier is less sure of than of 99% of the validation images: on an MNIST CNN
# that flagged 1% of MNIST test images and most Fashion-MNIST ones (benchmarks/predict_warning.py)
CONFIDENCE_QUANTILE = 0.01


def confidence_floor(model, data: dict, bf16: bool = True) -> float | None:
    """The top-class probability below which only CONFIDENCE_QUANTILE of the validation images fall."""
    val = data.get("val")
    if val is None or not len(val[0]):
        return None
    confidence = predict_logits(model, val[0], bf16).softmax(1).max(1).values
    return round(float(torch.quantile(confidence.float(), CONFIDENCE_QUANTILE)), 6)


def load_classifier(path):
    """(model, metadata) from a model.safetensors written by report_classifier, whatever method made it."""
    state, meta = load_checkpoint(path)
    try:
        num_classes = _class_count(meta["num_classes"])
        classes = meta.get("classes", list(range(num_classes)))
        if not (isinstance(classes, list) and len(classes) == num_classes and isinstance(meta.get("dataset", ""), str)):
            raise ValueError(f"its classes or dataset do not fit {num_classes} classes")
        model = _build(meta, num_classes)
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as err:
        raise RunError(f"{path}: not a usable ganclf classifier ({reason(err)})") from None
    return model, meta


def image_shape(meta: dict) -> tuple[int, int, int]:
    """The (C, H, W) a checkpoint's model takes; (1, 28, 28) for checkpoints written before shapes were recorded."""
    shape = tuple(int(s) for s in meta.get("shape", MNIST_SHAPE))
    if len(shape) != 3 or not all(1 <= s <= 4096 for s in shape):
        raise ValueError(f"image shape {shape} out of range")
    return shape


def _build(meta: dict, num_classes: int):
    from ..models.classifiers import build_classifier
    from ..models.gans import build_gan
    from ..models.ssl_nets import build_discriminator
    from ..models.transfer import TransferClassifier
    kind, shape = meta["classifier"], image_shape(meta)
    if kind == "transfer":
        gan, head = meta["gan"], meta["transfer"]
        gan_classes = int(gan["num_classes"])  # 0: transfer-scratch's unconditional body records none
        _, discriminator = build_gan(gan["model"], gan.get("networks", gan.get("preset")),
                                     _class_count(gan_classes) if gan_classes else 0, shape)
        return TransferClassifier(discriminator, num_classes, head["head"], activation=head["head_activation"],
                                  dropout=head["dropout"])
    if kind == "ssl-gan":
        return build_discriminator(meta["discriminator"], num_classes, shape)
    kwargs = meta.get("classifier_kwargs", {})
    if not isinstance(kwargs, dict) or not all(isinstance(v, int) and 0 < v <= 1024 for v in kwargs.values()):
        raise ValueError(f"classifier settings {kwargs!r} out of range")
    return build_classifier(kind, num_classes, shape, **kwargs)


def _class_count(value) -> int:
    """A stored number of classes, in a range whose networks fit in memory."""
    if not 2 <= int(value) <= 10_000:
        raise ValueError(f"num_classes {value} out of range")
    return int(value)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
