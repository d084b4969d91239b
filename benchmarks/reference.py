"""Reference formulations the benchmark compares the project against, written from the paper (Eq. 1-5).

These are the straightforward implementations, not the project's: they exist only to be measured against.

- :func:`reference_best_buddy_loss`: Eq. 1-3 as released by the authors' formulation: the full ``B x N x M``
  squared-distance tensor between the N estimated patches and the M pyramid candidates, built from
  ``||x||^2 + ||y||^2 - 2<x, y>`` with the estimate *inside* the autograd graph (the tensor is kept for backward).
- :func:`reference_texture_mask`: Eq. 5 literally: unfold every ``k x k`` window of the luminance and take its std.
- :func:`reference_imresize_batch`: ``basicsr.utils.matlab_functions.imresize`` applied image by image.
"""
from typing import Sequence

import torch
from torch.nn import functional as F

import bebygan_plugin  # noqa: F401  (compat patch before basicsr)
from basicsr.utils.matlab_functions import imresize as basicsr_imresize
from bebygan_plugin.ops.color import luminance
from bebygan_plugin.ops.imresize import imresize_bicubic


def _starts(length: int, patch_size: int, stride: int) -> list:
    """Patch starts along one axis: every ``stride`` pixels, plus one anchored at the far edge if the grid stops
    short of it (so that every pixel is supervised)."""
    starts = list(range(0, length - patch_size + 1, stride))
    return starts + [length - patch_size] if starts[-1] + patch_size < length else starts


def _unfold_patches(img: torch.Tensor, patch_size: int, stride: int) -> torch.Tensor:
    """``(B, C, H, W) -> (B, L, C*p*p)`` in raster order of the start grid: ``F.unfold`` where the grid fits the
    image, else every patch sliced out one by one."""
    p = patch_size
    if (img.size(-2) - p) % stride == 0 and (img.size(-1) - p) % stride == 0:
        return F.unfold(img, kernel_size=p, stride=stride).permute(0, 2, 1)
    return torch.stack([img[:, :, y:y + p, x:x + p].reshape(img.size(0), -1)
                        for y in _starts(img.size(-2), p, stride) for x in _starts(img.size(-1), p, stride)], dim=1)


def _paste_patches(patches: torch.Tensor, shape, patch_size: int) -> torch.Tensor:
    """Non-overlapping patches back into an image: edge-anchored patches are pasted first and the regular tiles
    over them, so each pixel comes from its regular tile, or beyond the last full tile from the edge patch."""
    p, (batch, channels, height, width) = patch_size, shape
    rows, cols = _starts(height, p, p), _starts(width, p, p)
    positions = [(y, x) for y in rows for x in cols]
    image = patches.new_zeros(shape)
    edge_count = [(y % p != 0) + (x % p != 0) for y, x in positions]
    for n in sorted(range(len(positions)), key=lambda i: -edge_count[i]):
        y, x = positions[n]
        image[:, :, y:y + p, x:x + p] = patches[:, n].reshape(batch, channels, p, p)
    return image


def _pairwise_sq_dist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``(B, N, D), (B, M, D) -> (B, N, M)`` squared Euclidean distances, the full tensor, differentiable."""
    x_sq = x.pow(2).sum(-1, keepdim=True)
    y_sq = y.pow(2).sum(-1).unsqueeze(1)
    return (x_sq + y_sq - 2.0 * torch.bmm(x, y.transpose(1, 2))).clamp_min(0.0)


def reference_pyramid_candidates(gt: torch.Tensor, scales: Sequence[float], patch_size: int,
                                 stride: int) -> torch.Tensor:
    """Eq. 1 + unfold: the candidate database G. Uses the same bicubic S as the project so that the comparison
    isolates the search (S itself is benchmarked separately against BasicSR's imresize)."""
    levels = [gt if s == 1 else imresize_bicubic(gt, s) for s in scales]
    return torch.cat([_unfold_patches(lvl, patch_size, stride) for lvl in levels if min(lvl.shape[-2:]) >= patch_size],
                     dim=1)


def reference_best_buddy_loss(pred: torch.Tensor, gt: torch.Tensor, alpha: float = 1.0, beta: float = 1.0,
                              patch_size: int = 3, stride: int = 3,
                              scales: Sequence[float] = (1.0, 0.5, 0.25), return_index: bool = False):
    """Eq. 2-3 with the full score tensor in autograd: ``alpha*d(G, g_i) + beta*d(G, p_i)``, argmin, L1 between the
    estimate and the image of its buddies (non-overlapping patches: ``stride == patch_size``)."""
    pred_p = _unfold_patches(pred, patch_size, stride)
    gt_p = _unfold_patches(gt, patch_size, stride)
    cand = reference_pyramid_candidates(gt, scales, patch_size, stride)
    score = alpha * _pairwise_sq_dist(gt_p, cand) + beta * _pairwise_sq_dist(pred_p, cand)
    index = score.argmin(dim=-1)
    buddies = torch.gather(cand, 1, index.unsqueeze(-1).expand(-1, -1, cand.size(-1)))
    loss = (pred - _paste_patches(buddies, pred.shape, patch_size)).abs().mean()
    return (loss, index) if return_index else loss


def reference_texture_mask(img: torch.Tensor, kernel_size: int = 11, threshold: float = 0.025) -> torch.Tensor:
    """Eq. 5 literally: reflect-pad, unfold the ``k x k`` neighbourhood of every pixel, population std, threshold."""
    gray = luminance(img)
    pad = kernel_size // 2
    padded = F.pad(gray, (pad, pad, pad, pad), mode='reflect')
    windows = F.unfold(padded, kernel_size=kernel_size)  # (B, k*k, H*W)
    std = windows.std(dim=1, unbiased=False).view_as(gray)
    return (std >= threshold).to(img.dtype)


def reference_imresize_batch(img: torch.Tensor, scale: float) -> torch.Tensor:
    """BasicSR's MATLAB-style ``imresize`` (antialiased bicubic) on every ``(C, H, W)`` image of the batch."""
    return torch.stack([basicsr_imresize(im, scale) for im in img])
