"""Best-buddy search of Eq. 1-2: GT pyramid candidates and a chunked, gradient-free nearest-candidate search."""
from typing import Sequence

import torch
from torch.nn import functional as F

from .imresize import imresize_bicubic

_GROUP = 128  # candidates per group of the two-level argmin
_PAD_SCORE = 1e30  # score of the padding columns (finite: no inf * 0 in the product)
_CPU_CHUNK_ELEMS = 1 << 23  # preferred score-block size on CPU (32 MB in float32)


def extract_patches(img: torch.Tensor, patch_size: int, stride: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, L, C*p*p)`` patches in raster order (incomplete border patches dropped).

    Same layout as ``F.unfold(img, patch_size, stride=stride).transpose(1, 2)``: channel-major ``(c, y, x)`` inside
    a patch. Non-overlapping patches (``stride == patch_size``, the paper's setting) are a pure reshape of the
    image, which is cheaper than ``unfold``'s im2col in both directions of autograd.
    """
    if stride != patch_size:
        return F.unfold(img, kernel_size=patch_size, stride=stride).transpose(1, 2)
    batch, channels, height, width = img.shape
    rows, cols = height // patch_size, width // patch_size
    crop = img[..., :rows * patch_size, :cols * patch_size]
    patches = crop.reshape(batch, channels, rows, patch_size, cols, patch_size).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, rows * cols, channels * patch_size * patch_size)


def assemble_patches(patches: torch.Tensor, channels: int, rows: int, cols: int, patch_size: int) -> torch.Tensor:
    """Inverse of :func:`extract_patches` for non-overlapping patches: ``(B, rows*cols, C*p*p)`` -> image."""
    p = patch_size
    grid = patches.reshape(patches.size(0), rows, cols, channels, p, p).permute(0, 3, 1, 4, 2, 5)
    return grid.reshape(patches.size(0), channels, rows * p, cols * p)


def gt_pyramid(gt: torch.Tensor, scales: Sequence[float]) -> list:
    """Eq. 1: the GT image bicubic-downsampled by each factor in ``scales`` (1 keeps the original)."""
    return [gt if scale == 1 else imresize_bicubic(gt, scale) for scale in scales]


def candidate_patches(gt: torch.Tensor, scales: Sequence[float], patch_size: int, stride: int) -> torch.Tensor:
    """The supervision candidate database G of Eq. 2: patches of every pyramid level, ``(B, M, C*p*p)``."""
    levels = [lvl for lvl in gt_pyramid(gt, scales) if min(lvl.shape[-2:]) >= patch_size]
    return torch.cat([extract_patches(lvl, patch_size, stride) for lvl in levels], dim=1)


@torch.no_grad()
@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def find_best_buddies(pred_patches: torch.Tensor, gt_patches: torch.Tensor, candidates: torch.Tensor, alpha: float,
                      beta: float, max_chunk_elems: int = 1 << 24) -> torch.Tensor:
    """Eq. 2: for every estimated patch, the candidate minimising alpha*||g - g_i||^2 + beta*||g - p_i||^2.

    ``alpha*||g-g_i||^2 + beta*||g-p_i||^2 = (alpha+beta)*||g||^2 - 2<g, alpha*g_i + beta*p_i> + const_i``, so one
    batched matrix product per chunk of rows scores all candidates: the per-candidate term rides along as an extra
    column (``[-2q, 1] . [g, (alpha+beta)||g||^2]``), so each chunk is one ``bmm`` into a reused buffer plus one
    ``argmin``. The ``B x N x M`` score tensor never exists at once (at most ``max_chunk_elems`` scores per chunk)
    and nothing is recorded for autograd.

    Numerics: the search runs in float32 (float64 for float64 inputs) whatever the autocast state, on coordinates
    translated by the mean candidate (distances are translation invariant; the norms in the expansion get small,
    and so do its rounding errors). The expansion can still misorder candidates whose exact scores differ by less
    than float rounding. The predefined GT patch ``g_i`` (candidate ``i``, the first pyramid level) is therefore
    always re-scored exactly and wins such near-ties, which makes ``beta = 0`` select ``g_i`` itself: plain MAE,
    exactly.

    Args:
        pred_patches: ``(B, N, D)`` estimated patches p_i.
        gt_patches: ``(B, N, D)`` predefined GT patches g_i; they must be ``candidates[:, :N]``.
        candidates: ``(B, M, D)`` candidate database, ``M >= N``.
        alpha, beta: the weights of Eq. 2.
        max_chunk_elems: memory bound on one chunk's score block (``images x rows x M``).

    Returns:
        ``(B, N)`` int64 indices into ``candidates``.
    """
    batch, num, dim = pred_patches.shape
    num_cand = candidates.size(1)
    device = pred_patches.device
    compute = torch.float64 if candidates.dtype == torch.float64 else torch.float32  # AMP-safe search
    cand = candidates.to(compute)
    gt_c, pred_c = gt_patches.to(compute), pred_patches.to(compute)
    centre = cand.mean(dim=1, keepdim=True)  # (B, 1, D)

    # lhs = [-2 * (alpha*(g_i - c) + beta*(p_i - c)), 1], rhs = [(g - c)^T ; (alpha+beta) * ||g - c||^2]
    lhs = torch.empty(batch, num, dim + 1, dtype=compute, device=device)
    torch.mul(gt_c - centre, -2.0 * alpha, out=lhs[..., :dim])
    lhs[..., :dim].add_(pred_c - centre, alpha=-2.0 * beta)
    lhs[..., dim] = 1.0
    cand_centred = cand - centre
    # Scores are reduced group-wise: min over groups of _GROUP contiguous candidates (a vectorised min), argmin over
    # the group minima, argmin inside the winning group. Same result as one argmin (the first minimal index) in
    # roughly a third of the time on CPU, where argmin does not vectorise. Padding columns score huge, never win.
    padded = -(-num_cand // _GROUP) * _GROUP
    groups = padded // _GROUP
    rhs = torch.empty(batch, dim + 1, padded, dtype=compute, device=device)
    rhs[:, :dim, :num_cand] = cand_centred.transpose(1, 2)
    rhs[:, dim, :num_cand] = (alpha + beta) * cand_centred.pow(2).sum(-1)
    rhs[:, :dim, num_cand:] = 0.0
    rhs[:, dim, num_cand:] = _PAD_SCORE
    del cand_centred

    budget = max(1, int(max_chunk_elems))
    if device.type == 'cpu':
        budget = min(budget, _CPU_CHUNK_ELEMS)  # cache-sized blocks: the product and its reduction stay in cache
    images = max(1, min(batch, budget // padded))  # images per chunk (all of them unless M is huge)
    rows = max(1, min(num, budget // (images * padded)))  # patch rows per chunk
    buffer = torch.empty(images * rows * padded, dtype=compute, device=device)
    best = torch.empty(batch, num, dtype=torch.long, device=device)
    row_offsets = torch.arange(images * rows, device=device) * groups
    for b0 in range(0, batch, images):
        b1 = min(batch, b0 + images)
        for start in range(0, num, rows):
            stop = min(num, start + rows)
            nb, nr = b1 - b0, stop - start
            scores = buffer[:nb * nr * padded].view(nb, nr, padded)
            torch.bmm(lhs[b0:b1, start:stop], rhs[b0:b1], out=scores)
            grouped = scores.view(nb * nr * groups, _GROUP)
            group = grouped.amin(dim=-1).view(nb * nr, groups).argmin(dim=-1)  # winning group of each row
            members = grouped.index_select(0, group + row_offsets[:nb * nr])  # (nb * nr, _GROUP)
            best[b0:b1, start:stop] = (group * _GROUP + members.argmin(dim=-1)).view(nb, nr)
    del buffer
    best.clamp_(max=num_cand - 1)  # only reachable with non-finite inputs

    # Exact re-scoring of the chosen buddy against g_i itself.
    chosen = torch.gather(cand, 1, best.unsqueeze(-1).expand(-1, -1, dim))
    chosen_score = alpha * (chosen - gt_c).pow(2).sum(-1) + beta * (chosen - pred_c).pow(2).sum(-1)
    self_score = beta * (gt_c - pred_c).pow(2).sum(-1)
    self_index = torch.arange(num, device=device).expand(batch, num)
    return torch.where(self_score <= chosen_score, self_index, best)
