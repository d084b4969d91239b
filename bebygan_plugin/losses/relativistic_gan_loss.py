"""Relativistic average GAN losses of Eq. 7-9, optionally restricted to textured pixels."""
from typing import Optional

import torch
from basicsr.utils.registry import LOSS_REGISTRY
from torch import nn
from torch.nn import functional as F

TERM_REDUCTIONS = ('sum', 'mean')


def _weighted_mean(x: torch.Tensor, weight: Optional[torch.Tensor], weight_sum: Optional[torch.Tensor] = None
                   ) -> torch.Tensor:
    """Mean of ``x``, or its ``weight``-weighted mean (0 when the weights sum to 0, e.g. an all-flat batch).
    ``weight_sum``: :func:`_weight_sum` of ``weight`` for ``x``, when the caller already has it."""
    if weight is None:
        return x.mean()
    if weight_sum is None:
        weight_sum = _weight_sum(x, weight)
    return (x * weight.expand_as(x)).sum() / weight_sum


def _weight_sum(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The denominator of :func:`_weighted_mean`: the weights over ``x``'s elements, at least 1."""
    return weight.expand_as(x).sum().clamp_min(1)


def relativistic_logits(real: torch.Tensor, fake: torch.Tensor, weight: Optional[torch.Tensor] = None,
                        detach_means: bool = False, weight_sum: Optional[torch.Tensor] = None):
    """Eq. 9 before the sigmoid: ``C(x_r) - E_f[C(x_f)]`` and ``C(x_f) - E_r[C(x_r)]``.

    ``detach_means`` treats both expectations as constants (no gradient flows through them).
    """
    mean_fake, mean_real = _weighted_mean(fake, weight, weight_sum), _weighted_mean(real, weight, weight_sum)
    if detach_means:
        mean_fake, mean_real = mean_fake.detach(), mean_real.detach()
    return real - mean_fake, fake - mean_real


def _bce(logits: torch.Tensor, target_is_real: bool, weight: Optional[torch.Tensor],
         weight_sum: Optional[torch.Tensor] = None) -> torch.Tensor:
    target = torch.ones_like(logits) if target_is_real else torch.zeros_like(logits)
    return _weighted_mean(F.binary_cross_entropy_with_logits(logits, target, reduction='none'), weight, weight_sum)


@LOSS_REGISTRY.register()
class RelativisticAverageGANLoss(nn.Module):
    """RaGAN losses: Eq. 7 for the discriminator, Eq. 8 for the generator, D-bar of Eq. 9.

    ``forward(real_logits, fake_logits, for_discriminator, weight=None)``. The logits are C(x) of the masked real and
    fake images, one per image or one per pixel. ``weight`` (the texture mask, for per-pixel logits) restricts every
    expectation to textured pixels. ``loss_weight`` (lambda_4 of Eq. 10) scales the generator loss only, as in
    BasicSR's ``GANLoss``.

    Args:
        loss_weight: lambda_4 (paper: 0.005).
        term_reduction: how the real and the fake term of Eq. 7 and of Eq. 8 combine: 'sum' as the paper writes
            them, or 'mean' (each x0.5) as the authors' code and ESRGAN compute them (for G and for D).
        detach_d_means: in the discriminator loss, treat ``E[C(x_f)]`` and ``E[C(x_r)]`` as constants, as the
            authors' code and ESRGAN do (their D step backpropagates each term through one pass only). The
            generator loss is unaffected: ``C(x_r)`` is a constant there anyway.
    """

    def __init__(self, loss_weight: float = 0.005, term_reduction: str = 'sum', detach_d_means: bool = False) -> None:
        super().__init__()
        if term_reduction not in TERM_REDUCTIONS:
            raise ValueError(f'RelativisticAverageGANLoss term_reduction must be one of {TERM_REDUCTIONS}, '
                             f'got {term_reduction!r}')
        if not isinstance(detach_d_means, bool):
            raise ValueError(f'RelativisticAverageGANLoss detach_d_means must be true or false, got {detach_d_means!r}')
        self.loss_weight = loss_weight
        self.term_scale = 0.5 if term_reduction == 'mean' else 1.0
        self.detach_d_means = detach_d_means

    def forward(self, real_logits: torch.Tensor, fake_logits: torch.Tensor, for_discriminator: bool,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        # the four expectations of Eq. 7 / Eq. 8 share one denominator (real and fake logits have the same shape)
        weight_sum = None if weight is None else _weight_sum(real_logits, weight)
        if for_discriminator:  # Eq. 7: real should look more realistic than the average fake, and vice versa
            rel_real, rel_fake = relativistic_logits(real_logits, fake_logits, weight, self.detach_d_means, weight_sum)
            return self.term_scale * (_bce(rel_real, True, weight, weight_sum)
                                      + _bce(rel_fake, False, weight, weight_sum))
        # Eq. 8: the generator swaps the targets
        rel_real, rel_fake = relativistic_logits(real_logits, fake_logits, weight, weight_sum=weight_sum)
        return self.loss_weight * self.term_scale * (_bce(rel_real, False, weight, weight_sum)
                                                     + _bce(rel_fake, True, weight, weight_sum))
