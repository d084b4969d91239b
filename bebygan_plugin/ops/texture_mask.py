"""Texture mask of the region-aware adversarial learning (Eq. 5)."""
import torch
from torch.nn import functional as F

# ITU-R BT.601 luma weights for RGB in [0, 1].
_LUMA_RGB = (0.299, 0.587, 0.114)


def luminance(img: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB (or ``(B, 1, H, W)`` gray) -> ``(B, 1, H, W)`` luma."""
    if img.dim() != 4 or img.size(1) not in (1, 3):
        raise ValueError(f'expected a (B, 3, H, W) RGB or (B, 1, H, W) gray batch, got shape {tuple(img.shape)}')
    if img.size(1) == 1:
        return img
    weights = img.new_tensor(_LUMA_RGB).view(1, 3, 1, 1)
    return (img * weights).sum(dim=1, keepdim=True)


def local_std(gray: torch.Tensor, kernel_size: int = 11) -> torch.Tensor:
    """Population std of every ``k x k`` window centred on each pixel (reflect-padded borders), in O(H*W).

    Uses two box filters (E[x] and E[x^2]) instead of unfolding the ``k^2`` neighbourhood, computed in float64 so the
    subtraction ``E[x^2] - E[x]^2`` does not lose the small variances the threshold looks at.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd number, got {kernel_size}')
    pad = kernel_size // 2
    x = gray.double()
    if pad:
        x = F.pad(x, (pad, pad, pad, pad), mode='reflect')
    mean = F.avg_pool2d(x, kernel_size, stride=1)
    mean_sq = F.avg_pool2d(x * x, kernel_size, stride=1)
    return (mean_sq - mean * mean).clamp_min(0).sqrt().to(gray.dtype)


@torch.no_grad()
def texture_mask(img: torch.Tensor, kernel_size: int = 11, threshold: float = 0.025) -> torch.Tensor:
    """Binary texture mask M of Eq. 5: 1 where the local luminance std is >= delta (textured), 0 where flat.

    Args:
        img: ``(B, 3, H, W)`` RGB or ``(B, 1, H, W)`` gray batch in [0, 1].
        kernel_size: window size k (paper: 11).
        threshold: delta (paper: 0.025 for images in [0, 1]).

    Returns:
        ``(B, 1, H, W)`` mask of 0/1 values in ``img``'s dtype; it carries no gradient.
    """
    std = local_std(luminance(img), kernel_size)
    return (std >= threshold).to(img.dtype)
