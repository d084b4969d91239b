"""The naive reference implementations of the method's operators, written from the paper (Eq. 1-5): what the tests
check the project's fast paths against and what the benchmarks measure them against. One home for both.

Literal forms (the tests' oracles: every window sliced out, every difference written out, float64):

- :func:`patch_starts`, :func:`literal_patches`, :func:`patch_coverage`: the patch grid of the best-buddy loss;
- :func:`explicit_scores`: Eq. 2 term by term; :func:`literal_best_buddy_loss`: Eq. 1-3, every pixel weighing 1;
- :func:`literal_local_std`: Eq. 5's standard deviation over every ``k x k`` window.

The formulations the benchmarks measure (straightforward, not the project's):

- :func:`reference_best_buddy_loss`: Eq. 1-3 as the authors formulate it: the full ``B x N x M`` squared-distance
  tensor between the N estimated patches and the M pyramid candidates, built from ``||x||^2 + ||y||^2 - 2<x, y>``
  with the estimate *inside* the autograd graph (the tensor is kept for backward);
- :func:`reference_texture_mask`: Eq. 5 literally: unfold every ``k x k`` window of the luminance and take its std;
- :func:`reference_imresize_batch`: ``basicsr.utils.matlab_functions.imresize`` applied image by image.
"""
from typing import List, Sequence

import torch
from torch.nn import functional as F

import bebygan_plugin  # noqa: F401  (compat patch before basicsr)
from basicsr.utils.matlab_functions import imresize as basicsr_imresize
from bebygan_plugin.ops.color import luminance
from bebygan_plugin.ops.imresize import imresize_bicubic


# ----------------------------------------------------------------------------------------------------- patch grid
def patch_starts(length: int, patch: int, stride: int) -> List[int]:
    """Patch starts along one axis: every ``stride`` pixels, and one more patch flush with the far edge if the grid
    stops short of it (so that every pixel is supervised)."""
    starts = list(range(0, length - patch + 1, stride))
    return starts + ([length - patch] if starts[-1] + patch < length else [])


def literal_patches(img: torch.Tensor, patch: int, stride: int) -> torch.Tensor:
    """``(B, C, H, W) -> (B, L, C*p*p)``: ``patch x patch`` windows sliced out at every start, channel-major, raster
    order, covering the image."""
    b = img.size(0)
    return torch.stack([img[:, :, y:y + patch, x:x + patch].reshape(b, -1)
                        for y in patch_starts(img.size(-2), patch, stride)
                        for x in patch_starts(img.size(-1), patch, stride)], dim=1)


def unfolded_patches(img: torch.Tensor, patch: int, stride: int) -> torch.Tensor:
    """:func:`literal_patches` through ``F.unfold`` where the grid fits the image (how a straightforward
    implementation gets them)."""
    if (img.size(-2) - patch) % stride == 0 and (img.size(-1) - patch) % stride == 0:
        return F.unfold(img, kernel_size=patch, stride=stride).permute(0, 2, 1)
    return literal_patches(img, patch, stride)


def patch_coverage(h: int, w: int, patch: int, stride: int) -> torch.Tensor:
    """How many patches cover each pixel: ``(h, w)``, float64."""
    count = torch.zeros(h, w, dtype=torch.float64)
    for y in patch_starts(h, patch, stride):
        for x in patch_starts(w, patch, stride):
            count[y:y + patch, x:x + patch] += 1
    return count


def pyramid_candidates(gt: torch.Tensor, scales: Sequence[float], patch: int, stride: int) -> torch.Tensor:
    """Eq. 1 + patches: the candidate database G from the GT pyramid. Uses the project's bicubic S, so that a
    comparison isolates the search (S itself is checked against BasicSR's imresize separately)."""
    levels = [gt if s == 1 else imresize_bicubic(gt, s) for s in scales]
    return torch.cat([unfolded_patches(lvl, patch, stride) for lvl in levels if min(lvl.shape[-2:]) >= patch], dim=1)


# ------------------------------------------------------------------------------------------------ best-buddy loss
def explicit_scores(pred_p: torch.Tensor, gt_p: torch.Tensor, cand: torch.Tensor, alpha: float,
                    beta: float) -> torch.Tensor:
    """Eq. 2 term by term with explicit differences: ``(B, N, M)``, float64."""
    cand, gt_p, pred_p = cand.double(), gt_p.double(), pred_p.double()
    diff_g = cand[:, None, :, :] - gt_p[:, :, None, :]
    diff_p = cand[:, None, :, :] - pred_p[:, :, None, :]
    return alpha * diff_g.pow(2).sum(-1) + beta * diff_p.pow(2).sum(-1)


def literal_best_buddy_loss(pred: torch.Tensor, gt: torch.Tensor, alpha: float, beta: float, patch: int,
                            stride: int, scales: Sequence[float]):
    """Eq. 1-3 literally, every pixel weighing 1 (a pixel in k patches gets 1/k of each); returns (loss, indices).

    Non-overlapping patches with an edge patch: a pixel of the regular grid is supervised by its regular tile only.
    """
    b, c, h, w = pred.shape
    pred_p = literal_patches(pred, patch, stride)
    with torch.no_grad():
        gt_p = literal_patches(gt, patch, stride)
        cand = pyramid_candidates(gt, scales, patch, stride)
        index = explicit_scores(pred_p, gt_p, cand, alpha, beta).argmin(-1)
        buddies = torch.gather(cand, 1, index[..., None].expand(-1, -1, cand.size(-1)))
    residual = (pred_p - buddies).abs()
    if stride == patch:  # each pixel owned by one patch: the first one (raster order) that covers it
        owned = torch.zeros(h, w, dtype=torch.bool)
        weights = []
        for y in patch_starts(h, patch, stride):
            for x in patch_starts(w, patch, stride):
                weights.append((~owned[y:y + patch, x:x + patch]).double().expand(c, -1, -1).reshape(-1))
                owned[y:y + patch, x:x + patch] = True
        weights = torch.stack(weights)
    else:
        cover = patch_coverage(h, w, patch, stride)
        weights = torch.stack([(1 / cover[y:y + patch, x:x + patch]).expand(c, -1, -1).reshape(-1)
                               for y in patch_starts(h, patch, stride) for x in patch_starts(w, patch, stride)])
    return (residual * weights.to(residual.dtype)).sum() / pred.numel(), index


def _paste_patches(patches: torch.Tensor, shape, patch: int) -> torch.Tensor:
    """Non-overlapping patches back into an image: edge-anchored patches are pasted first and the regular tiles
    over them, so each pixel comes from its regular tile, or beyond the last full tile from the edge patch."""
    batch, channels, height, width = shape
    positions = [(y, x) for y in patch_starts(height, patch, patch) for x in patch_starts(width, patch, patch)]
    image = patches.new_zeros(shape)
    edge_count = [(y % patch != 0) + (x % patch != 0) for y, x in positions]
    for n in sorted(range(len(positions)), key=lambda i: -edge_count[i]):
        y, x = positions[n]
        image[:, :, y:y + patch, x:x + patch] = patches[:, n].reshape(batch, channels, patch, patch)
    return image


def _pairwise_sq_dist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``(B, N, D), (B, M, D) -> (B, N, M)`` squared Euclidean distances, the full tensor, differentiable."""
    x_sq = x.pow(2).sum(-1, keepdim=True)
    y_sq = y.pow(2).sum(-1).unsqueeze(1)
    return (x_sq + y_sq - 2.0 * torch.bmm(x, y.transpose(1, 2))).clamp_min(0.0)


def reference_best_buddy_loss(pred: torch.Tensor, gt: torch.Tensor, alpha: float = 1.0, beta: float = 1.0,
                              patch_size: int = 3, stride: int = 3,
                              scales: Sequence[float] = (1.0, 0.5, 0.25), return_index: bool = False):
    """Eq. 2-3 with the full score tensor in autograd: ``alpha*d(G, g_i) + beta*d(G, p_i)``, argmin, L1 between the
    estimate and the image of its buddies (non-overlapping patches: ``stride == patch_size``)."""
    pred_p = unfolded_patches(pred, patch_size, stride)
    gt_p = unfolded_patches(gt, patch_size, stride)
    cand = pyramid_candidates(gt, scales, patch_size, stride)
    score = alpha * _pairwise_sq_dist(gt_p, cand) + beta * _pairwise_sq_dist(pred_p, cand)
    index = score.argmin(dim=-1)
    buddies = torch.gather(cand, 1, index.unsqueeze(-1).expand(-1, -1, cand.size(-1)))
    loss = (pred - _paste_patches(buddies, pred.shape, patch_size)).abs().mean()
    return (loss, index) if return_index else loss


# --------------------------------------------------------------------------------------------------- texture mask
def literal_local_std(gray: torch.Tensor, k: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The population standard deviation of the reflect-padded ``k x k`` window around every pixel (Eq. 5), every
    window unfolded, in ``dtype``."""
    pad = k // 2
    x = F.pad(gray.to(dtype), (pad,) * 4, mode='reflect') if pad else gray.to(dtype)
    return F.unfold(x, k).std(dim=1, unbiased=False).view(gray.shape)


def reference_texture_mask(img: torch.Tensor, kernel_size: int = 11, threshold: float = 0.025) -> torch.Tensor:
    """Eq. 5 literally: the luminance's :func:`literal_local_std` (in the image's dtype) against the threshold."""
    gray = luminance(img)
    return (literal_local_std(gray, kernel_size, gray.dtype) >= threshold).to(img.dtype)


# ------------------------------------------------------------------------------------------------ bicubic operator
def reference_imresize_batch(img: torch.Tensor, scale: float) -> torch.Tensor:
    """BasicSR's MATLAB-style ``imresize`` (antialiased bicubic) on every ``(C, H, W)`` image of the batch."""
    return torch.stack([basicsr_imresize(im, scale) for im in img])
