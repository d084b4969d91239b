"""Texture mask of the region-aware adversarial learning (Eq. 5)."""
from typing import Sequence

import torch
from torch.nn import functional as F

from .color import BT601_LUMA, luminance

# Eq. 5 as the paper sets it: a k x k window, k = 11, and delta = 0.025 for images in [0, 1]. These are the defaults
# of train.mask_opt (declared in bebygan_plugin.schema) and of the flat-region metrics.
KERNEL_SIZE = 11
THRESHOLD = 0.025


def _local_variance(gray: torch.Tensor, kernel_size: int, unbiased: bool = False) -> torch.Tensor:
    """float64 variance of the reflect-padded ``k x k`` window centred on each pixel (population, or unbiased:
    divided by ``k*k - 1``): ``E[x^2] - E[x]^2`` from separable box means, a few operators for any ``k``."""
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd number, got {kernel_size}')
    count = kernel_size * kernel_size
    if unbiased and count == 1:
        raise ValueError('an unbiased std needs a window of more than one pixel (kernel_size > 1)')
    pad = kernel_size // 2
    x = gray.double()
    if pad:
        x = F.pad(x, (pad, pad, pad, pad), mode='reflect')
    both = torch.cat([x, x * x], dim=1)
    means = F.avg_pool2d(F.avg_pool2d(both, (kernel_size, 1), stride=1), (1, kernel_size), stride=1)
    mean, mean_sq = means.split(gray.size(1), dim=1)
    variance = (mean_sq - mean * mean).clamp_min_(0)
    return variance.mul_(count / (count - 1)) if unbiased else variance


def local_std(gray: torch.Tensor, kernel_size: int = KERNEL_SIZE, unbiased: bool = False) -> torch.Tensor:
    """Std of every ``k x k`` window centred on each pixel (reflect-padded borders), in O(k*H*W).

    Population std by default (divided by ``k*k``); ``unbiased`` divides by ``k*k - 1`` (``torch.std``'s default,
    which the authors' code uses). Uses separable box means of x and x^2 (a ``k x 1`` then a ``1 x k`` average
    pool: 2k additions per pixel, two kernels on a GPU) instead of unfolding the ``k^2`` neighbourhood, computed in
    float64 so the subtraction ``E[x^2] - E[x]^2`` does not lose the small variances the threshold looks at.
    """
    return _local_variance(gray, kernel_size, unbiased).sqrt().to(gray.dtype)


@torch.no_grad()
def texture_mask(img: torch.Tensor, kernel_size: int = KERNEL_SIZE, threshold: float = THRESHOLD,
                 luma_weights: Sequence[float] = BT601_LUMA, unbiased: bool = False) -> torch.Tensor:
    """Binary texture mask M of Eq. 5: 1 where the local luminance std is >= delta (textured), 0 where flat.

    Args:
        img: ``(B, 3, H, W)`` RGB or ``(B, 1, H, W)`` gray batch in [0, 1].
        kernel_size: window size k (paper: 11).
        threshold: delta (paper: 0.025 for images in [0, 1]).
        luma_weights: RGB weights of the luminance (default BT.601; the authors' code: 0.2989, 0.587, 0.114).
        unbiased: unbiased std over the k*k window (the authors' code) instead of the population std.

    Returns:
        ``(B, 1, H, W)`` mask of 0/1 values in ``img``'s dtype; it carries no gradient.
    """
    std = _local_variance(luminance(img, luma_weights), kernel_size, unbiased).sqrt_()
    return (std >= threshold).to(img.dtype)
