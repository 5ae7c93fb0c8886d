"""Networks of the semi-supervised GAN (Salimans et al. 2016, openai/improved-gan): a K-logit discriminator
and a generator. Networks only; training lives in methods/ssl_gan.py.

Images enter and leave in [-1, 1] (the package's convention); the MLP preset works internally in [0, 1] as the
paper did, so its noise levels (0.3 on the input) mean what they meant there.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .classifiers import MNIST_SHAPE, check_shape


class WNLinear(nn.Module):
    """Weight-normalised dense layer, y = g * (x v^T) / |v| + b, with data-dependent initialisation.

    The scale is applied to the output, not to the weight: one multiply of the (batch, out) result, cheaper than
    renormalising the weight matrix. As in the reference, only the output layer trains its scale
    (`train_scale`); hidden layers keep the scale set by the data-dependent init (ANCHORS: training them is what
    made a previous port collapse).
    """

    def __init__(self, n_in: int, n_out: int, train_scale: bool = False, init_std: float = 0.1,
                 init_scale: float = 1.0):
        super().__init__()
        # The direction's scale matters although the output does not depend on it: Adam's steps are ~lr per
        # element, so |v| sets how fast the direction turns. 0.1 as in the reference's MNIST layers.
        self.v = nn.Parameter(torch.randn(n_out, n_in) * init_std)
        self.g = nn.Parameter(torch.ones(n_out), requires_grad=train_scale)
        self.b = nn.Parameter(torch.zeros(n_out))
        self.init_scale = init_scale
        self.initialising = False

    def forward(self, x):
        t = F.linear(x, self.v).float() / self.v.norm(dim=1)
        if self.initialising:  # reference init: zero mean, init_scale std pre-activations on a data batch
            mean, var = t.mean(0), t.var(0, unbiased=False)
            inv_std = self.init_scale / torch.sqrt(var + 1e-8)
            with torch.no_grad():
                self.g.copy_(inv_std)
                self.b.copy_(-mean * inv_std)
        return t * self.g + self.b


class WNConv2d(nn.Module):
    """Weight-normalised 3x3 convolution (per output channel), same initialisation rules as WNLinear."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, train_scale: bool = False):
        super().__init__()
        self.v = nn.Parameter(torch.randn(c_out, c_in, 3, 3) * 0.05)
        self.g = nn.Parameter(torch.ones(c_out), requires_grad=train_scale)
        self.b = nn.Parameter(torch.zeros(c_out))
        self.stride = stride
        self.initialising = False

    def forward(self, x):
        t = F.conv2d(x, self.v, stride=self.stride, padding=1).float()
        t = t / self.v.flatten(1).norm(dim=1)[:, None, None]
        if self.initialising:
            mean, var = t.mean((0, 2, 3)), t.var((0, 2, 3), unbiased=False)
            inv_std = 1.0 / torch.sqrt(var + 1e-8)
            with torch.no_grad():
                self.g.copy_(inv_std)
                self.b.copy_(-mean * inv_std)
        return t * self.g[:, None, None] + self.b[:, None, None]


def gaussian_noise(x, std: float, training: bool):
    return x + std * torch.randn_like(x) if training and std > 0 else x


class MLPDiscriminator(nn.Module):
    """The paper's MNIST classifier: noise 0.3 -> WN dense 1000, 500, 250, 250, 250 (ReLU, noise 0.5 after each)
    -> WN dense K. Returns K logits (the fake class's logit is fixed at 0) and, on request, the last hidden
    layer's output before its noise, the features that feature matching uses. The input is C*H*W pixels (784
    for MNIST)."""

    def __init__(self, num_classes: int = 10, widths=(1000, 500, 250, 250, 250), input_noise: float = 0.3,
                 hidden_noise: float = 0.5, shape: tuple = MNIST_SHAPE):
        super().__init__()
        channels, side = check_shape(shape, "ssl-gan mlp", 4)
        sizes = (channels * side * side, *widths)
        self.hidden = nn.ModuleList(WNLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = WNLinear(sizes[-1], num_classes, train_scale=True)
        self.input_noise, self.hidden_noise = input_noise, hidden_noise

    def forward(self, x, with_features: bool = False):
        h = gaussian_noise((x.flatten(1) + 1) / 2, self.input_noise, self.training)
        for layer in self.hidden:
            h = F.relu(layer(h))
            features = h
            h = gaussian_noise(h, self.hidden_noise, self.training)
        logits = self.out(h)
        return (logits, features) if with_features else logits


class ConvDiscriminator(nn.Module):
    """A small convolutional variant: WN 3x3 convs 32-64(s2)-64-128(s2)-128 with leaky ReLU and the same
    Gaussian noise scheme, global mean pooling (the features) and a WN dense K head; any image size from 4."""

    def __init__(self, num_classes: int = 10, widths=(32, 64, 64, 128, 128), input_noise: float = 0.3,
                 hidden_noise: float = 0.5, shape: tuple = MNIST_SHAPE):
        super().__init__()
        strides = (1, 2, 1, 2, 1)
        chans = (check_shape(shape, "ssl-gan conv", 4)[0], *widths)
        self.hidden = nn.ModuleList(WNConv2d(a, b, s) for a, b, s in zip(chans[:-1], chans[1:], strides))
        # Logits start at std 0.1, as the reference's CIFAR net: pooled features vary little between images, so
        # unit-std logits need a large scale that turns every step of the head's direction into a logit jump.
        self.out = WNLinear(chans[-1], num_classes, train_scale=True, init_scale=0.1)
        self.input_noise, self.hidden_noise = input_noise, hidden_noise

    def forward(self, x, with_features: bool = False):
        h = gaussian_noise((x + 1) / 2, self.input_noise, self.training)
        for i, layer in enumerate(self.hidden):
            h = F.leaky_relu(layer(h), 0.2)
            if i in (1, 3):  # noise after each downsampling, as dropout sits there in the paper's CIFAR net
                h = gaussian_noise(h, self.hidden_noise, self.training)
        features = h.mean((2, 3))
        logits = self.out(features)
        return (logits, features) if with_features else logits


class Generator(nn.Module):
    """z ~ U(0,1)^100 -> dense 500 softplus BN -> dense 500 softplus BN -> WN dense C*H*W (784) sigmoid.

    Batch norm without a learned gain but with a learned bias, as in the reference; it always uses batch
    statistics (the reference never ran G deterministically). Output in [-1, 1] (sigmoid) or [-1, inf) (softplus),
    shape (N, C, H, W).
    """

    def __init__(self, z_dim: int = 100, width: int = 500, output: str = "sigmoid", shape: tuple = MNIST_SHAPE):
        super().__init__()
        if output not in ("sigmoid", "softplus"):
            raise ValueError(f"unknown generator output {output!r}; choose sigmoid or softplus")
        channels, side = check_shape(shape, "ssl-gan generator", 4)
        self.z_dim, self.output, self.shape = z_dim, output, (channels, side, side)
        self.fc1 = nn.Linear(z_dim, width, bias=False)
        self.fc2 = nn.Linear(width, width, bias=False)
        self.bn1 = nn.BatchNorm1d(width, affine=False, track_running_stats=False)
        self.bn2 = nn.BatchNorm1d(width, affine=False, track_running_stats=False)
        self.b1 = nn.Parameter(torch.zeros(width))
        self.b2 = nn.Parameter(torch.zeros(width))
        # scale 1, no data-dependent init (reference)
        self.out = WNLinear(width, channels * side * side, train_scale=True, init_std=0.05)
        for fc in (self.fc1, self.fc2):  # Lasagne's default, Glorot uniform
            nn.init.xavier_uniform_(fc.weight)

    def forward(self, z):
        h = F.softplus(self.bn1(self.fc1(z).float()) + self.b1)
        h = F.softplus(self.bn2(self.fc2(h).float()) + self.b2)
        # softplus instead of the paper's sigmoid: a saturated sigmoid stops G's gradient and G collapses to one
        # image (seen here with the consistency term; also reported by the Sleepychord PyTorch port).
        x = torch.sigmoid(self.out(h)) if self.output == "sigmoid" else F.softplus(self.out(h))
        return (x * 2 - 1).view(-1, *self.shape)

    def sample_z(self, n: int, generator: torch.Generator | None = None):
        device = self.fc1.weight.device
        return torch.rand(n, self.z_dim, generator=generator).to(device) if generator else \
            torch.rand(n, self.z_dim, device=device)


@torch.no_grad()
def data_dependent_init(model: nn.Module, inputs) -> None:
    """One forward pass that sets every weight-normalised layer's scale and bias (the reference's init=True)."""
    layers = [m for m in model.modules() if isinstance(m, (WNLinear, WNConv2d))]
    for m in layers:
        m.initialising = True
    try:
        model(inputs)
    finally:
        for m in layers:
            m.initialising = False


DISCRIMINATORS = {"mlp": MLPDiscriminator, "conv": ConvDiscriminator}


def build_discriminator(arch: str, num_classes: int = 10, shape: tuple = MNIST_SHAPE) -> nn.Module:
    if arch not in DISCRIMINATORS:
        raise ValueError(f"unknown ssl-gan architecture {arch!r}; choose from {', '.join(DISCRIMINATORS)}")
    return DISCRIMINATORS[arch](num_classes, shape=tuple(shape))
