"""Best-buddy search of Eq. 1-2: GT pyramid candidates and a chunked, gradient-free nearest-candidate search."""
from typing import Sequence

import torch
from torch.nn import functional as F

from .imresize import imresize_bicubic


def extract_patches(img: torch.Tensor, patch_size: int, stride: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, L, C*p*p)`` patches in raster order (incomplete border patches dropped)."""
    return F.unfold(img, kernel_size=patch_size, stride=stride).transpose(1, 2)


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
    batched matrix product per chunk of rows scores all candidates; the ``B x N x M`` score tensor never exists at
    once (at most ``max_chunk_elems`` scores per chunk) and nothing is recorded for autograd.

    The expansion can misorder candidates whose exact scores differ by less than float rounding. The predefined GT
    patch ``g_i`` (candidate ``i``, the first pyramid level) is therefore always re-scored exactly and wins such
    near-ties, which makes ``beta = 0`` select ``g_i`` itself: plain MAE, exactly.

    Args:
        pred_patches: ``(B, N, D)`` estimated patches p_i.
        gt_patches: ``(B, N, D)`` predefined GT patches g_i; they must be ``candidates[:, :N]``.
        candidates: ``(B, M, D)`` candidate database, ``M >= N``.
        alpha, beta: the weights of Eq. 2.
        max_chunk_elems: memory bound on one chunk's ``B x n x M`` score block.

    Returns:
        ``(B, N)`` int64 indices into ``candidates``.
    """
    batch, num, _ = pred_patches.shape
    num_cand = candidates.size(1)
    compute = torch.float64 if candidates.dtype == torch.float64 else torch.float32  # AMP-safe search
    cand = candidates.to(compute)
    query = alpha * gt_patches.to(compute) + beta * pred_patches.to(compute)
    cand_sq = (alpha + beta) * cand.pow(2).sum(-1)  # (B, M)
    rows = max(1, max_chunk_elems // max(1, batch * num_cand))
    best = torch.empty(batch, num, dtype=torch.long, device=pred_patches.device)
    for start in range(0, num, rows):
        q = query[:, start:start + rows]
        scores = torch.baddbmm(cand_sq.unsqueeze(1), q, cand.transpose(1, 2), alpha=-2.0)
        best[:, start:start + rows] = scores.argmin(dim=-1)
    # Exact re-scoring of the chosen buddy against g_i itself.
    chosen = torch.gather(cand, 1, best.unsqueeze(-1).expand(-1, -1, cand.size(-1)))
    gt_c, pred_c = gt_patches.to(compute), pred_patches.to(compute)
    chosen_score = alpha * (chosen - gt_c).pow(2).sum(-1) + beta * (chosen - pred_c).pow(2).sum(-1)
    self_score = beta * (gt_c - pred_c).pow(2).sum(-1)
    self_index = torch.arange(num, device=best.device).expand(batch, num)
    return torch.where(self_score <= chosen_score, self_index, best)
