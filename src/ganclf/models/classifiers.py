"""Image classifiers for (C, H, W) inputs in [-1, 1] (MNIST's (1, 28, 28) by default). Networks only: training
lives in train.py."""
from torch import nn

MNIST_SHAPE = (1, 28, 28)


def original_cnn(num_classes: int = 10, shape: tuple = MNIST_SHAPE) -> nn.Module:
    """The original project 004's CNN, layer for layer: the Dense 128 has no activation, as in its code. Its
    flattened width follows the image size (1,600 at 28x28, 2,304 at 32x32)."""
    channels, side = check_shape(shape, "cnn-original", min_side=10)
    side = ((side - 2) // 2 - 2) // 2  # two valid 3x3 convolutions, each followed by a 2x2 max-pool
    model = nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * side * side, 128), nn.Linear(128, num_classes),
    )
    return keras_init(model)


def keras_init(model: nn.Module) -> nn.Module:
    """Keras's defaults (Glorot-uniform weights, zero biases), so -original presets train as the originals did."""
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def _conv_bn(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def cnn(num_classes: int = 10, width: int = 32, dropout: float = 0.25, shape: tuple = MNIST_SHAPE) -> nn.Module:
    """The default CNN: three stages of two 3x3 conv+BN+ReLU, max-pooling between, global pooling head (so any
    image size from 4 pixels works; only the first convolution depends on the shape, through its channels)."""
    channels, _ = check_shape(shape, "cnn", min_side=4)
    w = width
    return nn.Sequential(
        *_conv_bn(channels, w), *_conv_bn(w, w), nn.MaxPool2d(2),     # 14x14 (16x16 at 32)
        *_conv_bn(w, 2 * w), *_conv_bn(2 * w, 2 * w), nn.MaxPool2d(2),  # 7x7 (8x8)
        *_conv_bn(2 * w, 4 * w), *_conv_bn(4 * w, 4 * w),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * w, num_classes),
    )


def check_shape(shape, network: str, min_side: int = 16, multiple: int = 1) -> tuple[int, int]:
    """(channels, side) of a square (C, H, W) image shape that `network` can take, or a ValueError naming
    the sizes it supports."""
    try:
        channels, height, width = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{network}: image shape must be (channels, height, width), got {shape!r}") from None
    if not 1 <= channels <= 4 or height != width or height < min_side or height % multiple:
        sides = f"at least {min_side}" + (f" and a multiple of {multiple}" if multiple > 1 else "")
        raise ValueError(f"{network} takes square images with 1 to 4 channels and a side of {sides} (e.g. 28 or 32), "
                         f"not {tuple(shape)}")
    return channels, height


CLASSIFIERS = {"cnn": cnn, "cnn-original": original_cnn}
ARCH_ALIASES = {"cnn-seed": "cnn-original"}  # the old name, still in the configs of runs made before 0.3


def build_classifier(name: str, num_classes: int = 10, shape: tuple = MNIST_SHAPE, **kwargs) -> nn.Module:
    name = ARCH_ALIASES.get(name, name)
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    return CLASSIFIERS[name](num_classes, shape=tuple(shape), **kwargs)
