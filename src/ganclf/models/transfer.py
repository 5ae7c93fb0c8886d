"""A GAN discriminator's feature body under a new K-way head (the original projects 000/004's transfer trials)."""
import torch
from torch import nn


class TransferClassifier(nn.Module):
    """discriminator.features(x) -> head. The discriminator's own real/fake head is not used."""

    def __init__(self, discriminator: nn.Module, num_classes: int = 10, head: str = "linear",
                 hidden: int = 128, activation: bool = True, dropout: float = 0.0):
        super().__init__()
        self.discriminator = discriminator
        width = discriminator.feature_dim
        if head == "linear":
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, num_classes))
        elif head == "mlp":  # the original trial 3 is Dense 128 with no activation, then Dense 10
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, hidden),
                                      nn.ReLU() if activation else nn.Identity(), nn.Linear(hidden, num_classes))
        else:
            raise ValueError(f"unknown head {head!r}; choose linear or mlp")

    def body_parameters(self):
        return list(self.discriminator.parameters())

    def set_body_trainable(self, trainable: bool) -> None:
        self.discriminator.requires_grad_(trainable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.discriminator.features(x))
