"""GAN generators and discriminators for (C, H, W) images in [-1, 1]. Networks only: training is methods/gan.py.

Every constructor takes the image shape (MNIST's (1, 28, 28) by default). The convolutional networks keep the
DCGAN layout of their MNIST versions: generators grow an (H/4)x(H/4) stem (7x7 at 28, 8x8 at 32) by two
stride-2 up-convolutions, discriminators halve the side per stride-2 stage, so they take square images whose
side is a multiple of 4, from 16.

Every generator is called as g(z, y=None) and has `z_dim` and `conditional`. Every discriminator splits into
`features(x, y=None)` (a flat vector per image, `feature_dim` wide: what transfer learning reuses) and
`score(h, y=None)` (the real/fake logit), so the training loop can also put a class head on the features.
"""
import torch
from torch import nn

from .classifiers import MNIST_SHAPE, check_shape, keras_init


class Generator(nn.Module):
    """z (and an optional label embedding, as in original project 001) -> a dense or 1x1 stem -> conv body."""

    def __init__(self, stem: nn.Module, body: nn.Module, z_dim: int, shape: tuple, num_classes: int = 0,
                 embed_dim: int = 10):
        super().__init__()
        self.z_dim, self.conditional, self.shape = z_dim, num_classes > 0, shape
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        self.stem, self.body = stem, body

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional:
            if y is None:
                raise ValueError("a conditional generator needs labels")
            z = torch.cat([z, self.embed(y)], 1)
        return self.body(self.stem(z).view(len(z), *self.shape))


class Discriminator(nn.Module):
    """A conv/dense body -> flat features -> one real/fake logit.

    Conditioning (num_classes > 0) is either 'plane' (original project 001: the label embedded as an HxW extra input
    channel; without a label, as when transferred to a classifier, the plane is zero) or 'projection'
    (Miyato & Koyama 2018: logit + <embed(y), features>, so the features never depend on the label).
    """

    def __init__(self, body: nn.Module, feature_dim: int, num_classes: int = 0, conditioning: str = "projection",
                 dropout: float = 0.0, shape: tuple = MNIST_SHAPE):
        super().__init__()
        self.body, self.feature_dim, self.conditioning = body, feature_dim, conditioning if num_classes else None
        self.num_classes = num_classes
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, 1)
        self.side = tuple(shape[1:])  # (H, W) of the label plane
        self.plane = nn.Embedding(num_classes, shape[1] * shape[2]) if self.conditioning == "plane" else None
        self.project = nn.Embedding(num_classes, feature_dim) if self.conditioning == "projection" else None
        if self.project is not None:
            nn.init.normal_(self.project.weight, std=0.02)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.plane is not None:
            plane = self.plane(y).view(-1, 1, *self.side) if y is not None else x.new_zeros(len(x), 1, *self.side)
            x = torch.cat([x, plane.to(x.dtype)], 1)
        return self.body(x).flatten(1)

    def score(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        logit = self.head(self.dropout(h)).squeeze(1)
        if self.project is not None and y is not None:
            logit = logit + (self.project(y) * h).sum(1)
        return logit

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.score(self.features(x, y), y)


def _up(c_in: int, c_out: int, kernel=4, stride=2, padding=1, output_padding=0, act=None) -> list[nn.Module]:
    return [nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, output_padding, bias=False),
            nn.BatchNorm2d(c_out), act or nn.ReLU(inplace=True)]


def _conv_out(side: int, kernel: int, stride: int, padding: int) -> int:
    return (side + 2 * padding - kernel) // stride + 1


def _down(c_in: int, c_out: int, kernel=4, stride=2, padding=1, bn=False, slope=0.2, dropout=0.0):
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=not bn)]
    layers += [nn.BatchNorm2d(c_out)] if bn else []
    layers += [nn.LeakyReLU(slope, inplace=True)] + ([nn.Dropout(dropout)] if dropout else [])
    return layers


def dcgan(num_classes: int = 0, z_dim: int = 64, width: int = 64, d_layers: int = 3, shape: tuple = MNIST_SHAPE):
    """Our default: G has two stride-2 4x4 up-convolutions (no checkerboard), 3x cheaper than the TF tutorial's;
    D has a third stride-2 stage, which lifted transferred-D validation accuracy (98.8 vs 98.6% at 10k labels,
    96.1 vs 95.1% at 1k) at an equal classification accuracy score for the conditional model."""
    channels, side = check_shape(shape, "dcgan", 16, 4)
    b = side // 4  # the stem's side: 7 at 28, 8 at 32
    in_dim = z_dim + (10 if num_classes else 0)
    g = Generator(nn.Sequential(nn.Linear(in_dim, 2 * width * b * b, bias=False), nn.BatchNorm1d(2 * width * b * b),
                                nn.ReLU(inplace=True)),
                  nn.Sequential(*_up(2 * width, width), nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()),
                  z_dim, (2 * width, b, b), num_classes)
    body = [*_down(channels, width), *_down(width, 2 * width)]
    features = 2 * width * b * b
    if d_layers == 3:
        body += _down(2 * width, 4 * width, 3, 2, 1)  # 7x7 -> 4x4 (8x8 -> 4x4 at 32)
        features = 4 * width * _conv_out(b, 3, 2, 1) ** 2
    d = Discriminator(nn.Sequential(*body), features, num_classes, "projection", dropout=0.3, shape=shape)
    return g, d


def cnn_dcgan(num_classes: int = 0, z_dim: int = 64, width: int = 32, shape: tuple = MNIST_SHAPE):
    """The default G with a D laid out as the default CNN classifier (three stages of two 3x3 conv + BN,
    max-pooling between, global max-pooling), LeakyReLU instead of ReLU: a discriminator meant to be
    fine-tuned into a classifier starts from the architecture that classifies best on its own."""
    g, _ = dcgan(num_classes, z_dim, shape=shape)
    w, layers, c_in = width, [], shape[0]
    for stage, c_out in enumerate((w, 2 * w, 4 * w)):
        layers += [*_down(c_in, c_out, 3, 1, 1, bn=c_in > 1), *_down(c_out, c_out, 3, 1, 1, bn=True)]
        layers += [nn.MaxPool2d(2)] if stage < 2 else [nn.AdaptiveMaxPool2d(1)]
        c_in = c_out
    return g, Discriminator(nn.Sequential(*layers), 4 * w, num_classes, "projection", dropout=0.3, shape=shape)


def tf_dcgan(num_classes: int = 0, z_dim: int = 100, shape: tuple = MNIST_SHAPE):
    """Seeds 000/004: the TensorFlow DCGAN tutorial's networks, Keras initialisation, LeakyReLU 0.3."""
    channels, side = check_shape(shape, "dcgan (seed)", 16, 4)
    b = side // 4
    act = lambda: nn.LeakyReLU(0.3)  # noqa: E731
    g = Generator(nn.Sequential(nn.Linear(z_dim, 256 * b * b, bias=False), nn.BatchNorm1d(256 * b * b), act()),
                  nn.Sequential(*_up(256, 128, 5, 1, 2, act=act()), *_up(128, 64, 5, 2, 2, 1, act=act()),
                                nn.ConvTranspose2d(64, channels, 5, 2, 2, 1, bias=False), nn.Tanh()),
                  z_dim, (256, b, b))
    d = Discriminator(nn.Sequential(*_down(channels, 64, 5, 2, 2, slope=0.3, dropout=0.3),
                                    *_down(64, 128, 5, 2, 2, slope=0.3, dropout=0.3)), 128 * b * b)
    return keras_init(g), keras_init(d)


def gandalf_cdcgan(num_classes: int = 10, z_dim: int = 64, shape: tuple = MNIST_SHAPE):
    """Original project 001's conditional DCGAN: label embedding concatenated to z; label as an extra channel in D.

    G grows 1x1 to the (H/4)x(H/4) stem in two up-convolutions: 1 -> 3 -> 7 at 28 (original 001's 3x3 kernels),
    1 -> 4 -> 8 at 32 (the DCGAN paper's 4x4 start), then doubles twice."""
    channels, side = check_shape(shape, "cdcgan (seed)", 16, 4)
    b = side // 4
    g = Generator(nn.Identity(),
                  nn.Sequential(*_up(z_dim + 10, 512, b // 2, 1, 0),
                                *_up(512, 256, *((3, 2, 0) if b % 2 else (4, 2, 1))), *_up(256, 128),
                                nn.ConvTranspose2d(128, channels, 4, 2, 1, bias=False), nn.Tanh()),
                  z_dim, (z_dim + 10, 1, 1), num_classes)
    d = Discriminator(nn.Sequential(*_down(channels + 1, 64), *_down(64, 128, bn=True),
                                    *_down(128, 256, bn=True)), 256 * _conv_out(b, 4, 2, 1) ** 2, num_classes,
                      "plane", shape=shape)
    return normal_init(g), normal_init(d)


def mlp_gan(num_classes: int = 0, z_dim: int = 100, shape: tuple = MNIST_SHAPE):
    """A fully connected GAN (the classic PyTorch MNIST GAN)."""
    channels, side = check_shape(shape, "gan", 4)
    pixels = channels * side * side

    def dense(i, o):
        return [nn.Linear(i, o), nn.LeakyReLU(0.2, inplace=True)]
    g = Generator(nn.Sequential(*dense(z_dim, 256), *dense(256, 512), *dense(512, 1024), nn.Linear(1024, pixels),
                                nn.Tanh()), nn.Identity(), z_dim, (channels, side, side))
    d = Discriminator(nn.Sequential(nn.Flatten(), *dense(pixels, 512), *dense(512, 256)), 256, dropout=0.3)
    return g, d


def keras_gan(num_classes: int = 0, z_dim: int = 100, shape: tuple = MNIST_SHAPE):
    """Original project 003's Keras GAN: conv D (dropout 0.4), G dense 128x7x7 -> two 4x4 stride-2 up-convs -> 7x7."""
    channels, side = check_shape(shape, "gan (seed)", 16, 4)
    b = side // 4
    act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
    g = Generator(nn.Sequential(nn.Linear(z_dim, 128 * b * b), act()),
                  nn.Sequential(nn.ConvTranspose2d(128, 128, 4, 2, 1), act(), nn.ConvTranspose2d(128, 128, 4, 2, 1),
                                act(), nn.Conv2d(128, channels, 7, padding=3), nn.Tanh()),
                  z_dim, (128, b, b))
    d = Discriminator(nn.Sequential(*_down(channels, 64, 3, 2, 1, dropout=0.4),
                                    *_down(64, 64, 3, 2, 1, dropout=0.4)), 64 * b * b)
    return keras_init(g), keras_init(d)


def normal_init(model: nn.Module) -> nn.Module:
    """DCGAN paper initialisation N(0, 0.02), as the original project 001 used."""
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)
    return model


# (model, preset) -> constructor(num_classes, shape=...) -> (generator, discriminator)
GANS = {
    ("gan", "default"): mlp_gan, ("gan", "original"): keras_gan,
    ("dcgan", "default"): dcgan, ("dcgan", "original"): tf_dcgan, ("dcgan", "cnn"): cnn_dcgan,
    ("cdcgan", "default"): dcgan, ("cdcgan", "original"): gandalf_cdcgan,
}
# the original projects' networks were "seed" before 0.3: GAN checkpoints and configs made then still load
GANS.update({(model, "seed"): build for (model, networks), build in list(GANS.items()) if networks == "original"})
CONDITIONAL = {"cdcgan"}


def build_gan(model: str, preset: str = "default", num_classes: int = 10, shape: tuple = MNIST_SHAPE):
    if (model, preset) not in GANS:
        models = sorted({m for m, _ in GANS})
        raise ValueError(f"unknown GAN {model!r} with preset {preset!r}; models: {', '.join(models)}; "
                         "presets: default, original, cnn (dcgan only)")
    return GANS[model, preset](num_classes if model in CONDITIONAL else 0, shape=tuple(shape))
