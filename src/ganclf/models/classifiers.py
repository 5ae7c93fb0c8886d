"""Image classifiers for 1x28x28 inputs in [-1, 1]. Networks only: training lives in train.py."""
from torch import nn


def seed_cnn(num_classes: int = 10) -> nn.Module:
    """Seed 004's CNN, layer for layer: the Dense 128 has no activation, as in its code."""
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.Linear(128, num_classes),
    )
    return keras_init(model)


def keras_init(model: nn.Module) -> nn.Module:
    """Keras's defaults (Glorot-uniform weights, zero biases), so seed presets train as the seeds did."""
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def _conv_bn(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def cnn(num_classes: int = 10, width: int = 32, dropout: float = 0.25) -> nn.Module:
    """The default CNN: three stages of two 3x3 conv+BN+ReLU, max-pooling between, global pooling head."""
    w = width
    return nn.Sequential(
        *_conv_bn(1, w), *_conv_bn(w, w), nn.MaxPool2d(2),            # 14x14
        *_conv_bn(w, 2 * w), *_conv_bn(2 * w, 2 * w), nn.MaxPool2d(2),  # 7x7
        *_conv_bn(2 * w, 4 * w), *_conv_bn(4 * w, 4 * w),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * w, num_classes),
    )


CLASSIFIERS = {"cnn": cnn, "cnn-seed": seed_cnn}


def build_classifier(name: str, num_classes: int = 10, **kwargs) -> nn.Module:
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    return CLASSIFIERS[name](num_classes, **kwargs)
