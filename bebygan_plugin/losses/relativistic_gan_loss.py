"""Relativistic average GAN losses of Eq. 7-9, optionally restricted to textured pixels."""
from typing import Optional

import torch
from basicsr.utils.registry import LOSS_REGISTRY
from torch import nn
from torch.nn import functional as F


def _weighted_mean(x: torch.Tensor, weight: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean of ``x``, or its ``weight``-weighted mean (0 when the weights sum to 0, e.g. an all-flat batch)."""
    if weight is None:
        return x.mean()
    weight = weight.expand_as(x)
    return (x * weight).sum() / weight.sum().clamp_min(1)


def relativistic_logits(real: torch.Tensor, fake: torch.Tensor, weight: Optional[torch.Tensor] = None):
    """Eq. 9 before the sigmoid: ``C(x_r) - E_f[C(x_f)]`` and ``C(x_f) - E_r[C(x_r)]``."""
    return real - _weighted_mean(fake, weight), fake - _weighted_mean(real, weight)


def _bce(logits: torch.Tensor, target_is_real: bool, weight: Optional[torch.Tensor]) -> torch.Tensor:
    target = torch.ones_like(logits) if target_is_real else torch.zeros_like(logits)
    return _weighted_mean(F.binary_cross_entropy_with_logits(logits, target, reduction='none'), weight)


@LOSS_REGISTRY.register()
class RelativisticAverageGANLoss(nn.Module):
    """RaGAN losses: Eq. 7 for the discriminator, Eq. 8 for the generator, D-bar of Eq. 9.

    ``forward(real_logits, fake_logits, for_discriminator, weight=None)``. The logits are C(x) of the masked real and
    fake images, one per image or one per pixel. ``weight`` (the texture mask, for per-pixel logits) restricts every
    expectation to textured pixels. ``loss_weight`` (lambda_4 of Eq. 10) scales the generator loss only, as in
    BasicSR's ``GANLoss``.
    """

    def __init__(self, loss_weight: float = 0.005) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, real_logits: torch.Tensor, fake_logits: torch.Tensor, for_discriminator: bool,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        rel_real, rel_fake = relativistic_logits(real_logits, fake_logits, weight)
        if for_discriminator:  # Eq. 7: real should look more realistic than the average fake, and vice versa
            return _bce(rel_real, True, weight) + _bce(rel_fake, False, weight)
        # Eq. 8: the generator swaps the targets
        return self.loss_weight * (_bce(rel_real, False, weight) + _bce(rel_fake, True, weight))
