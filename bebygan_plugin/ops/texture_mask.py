"""Texture mask of the region-aware adversarial learning (Eq. 5)."""
from typing import Dict, Sequence

import torch
from torch.nn import functional as F

# ITU-R BT.601 luma weights for RGB in [0, 1]; the authors' code uses (0.2989, 0.587, 0.114) (MATLAB's rgb2gray).
BT601_LUMA = (0.299, 0.587, 0.114)


_DEVICE_WEIGHTS: Dict[tuple, torch.Tensor] = {}  # (weights, device, dtype) -> (1, 3, 1, 1) tensor


def _channel_weights(weights: Sequence[float], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``weights`` as a ``(1, 3, 1, 1)`` tensor, made once per device and dtype (no host copy in a training step)."""
    key = (tuple(float(w) for w in weights), device, dtype)
    tensor = _DEVICE_WEIGHTS.get(key)
    if tensor is None:
        tensor = _DEVICE_WEIGHTS[key] = torch.tensor(key[0], device=device, dtype=dtype).view(1, 3, 1, 1)
    return tensor


def luminance(img: torch.Tensor, weights: Sequence[float] = BT601_LUMA) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB (or ``(B, 1, H, W)`` gray) -> ``(B, 1, H, W)`` luma, ``sum_c weights[c] * img[:, c]``."""
    if img.dim() != 4 or img.size(1) not in (1, 3):
        raise ValueError(f'expected a (B, 3, H, W) RGB or (B, 1, H, W) gray batch, got shape {tuple(img.shape)}')
    if img.size(1) == 1:
        return img
    if len(weights) != 3:
        raise ValueError(f'luma weights need one weight per RGB channel, got {tuple(weights)}')
    return (img * _channel_weights(weights, img.device, img.dtype)).sum(dim=1, keepdim=True)


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


def local_std(gray: torch.Tensor, kernel_size: int = 11, unbiased: bool = False) -> torch.Tensor:
    """Std of every ``k x k`` window centred on each pixel (reflect-padded borders), in O(k*H*W).

    Population std by default (divided by ``k*k``); ``unbiased`` divides by ``k*k - 1`` (``torch.std``'s default,
    which the authors' code uses). Uses separable box means of x and x^2 (a ``k x 1`` then a ``1 x k`` average
    pool: 2k additions per pixel, two kernels on a GPU) instead of unfolding the ``k^2`` neighbourhood, computed in
    float64 so the subtraction ``E[x^2] - E[x]^2`` does not lose the small variances the threshold looks at.
    """
    return _local_variance(gray, kernel_size, unbiased).sqrt().to(gray.dtype)


@torch.no_grad()
def texture_mask(img: torch.Tensor, kernel_size: int = 11, threshold: float = 0.025,
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
