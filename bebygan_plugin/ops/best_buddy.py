"""Best-buddy search of Eq. 1-2: GT pyramid candidates and a chunked, gradient-free nearest-candidate search."""
from typing import Optional, Sequence, Tuple

import torch
from torch.nn import functional as F

from .constants import device_constant
from .imresize import imresize_bicubic

_GROUP = 128  # candidates per group of the two-level argmin
_PAD_SCORE = 1e30  # score of the padding columns (finite: no inf * 0 in the product)
_CPU_CHUNK_ELEMS = 1 << 23  # preferred score-block size on CPU (32 MB in float32)
_DEVICE_MEMORY_SHARE = 0.25  # share of a GPU's free memory one chunk of scores may take
_COMPILED_CHUNK_ELEMS = 1 << 28  # GPU budget while torch.compile traces (1 GB in float32; the free memory is not read)


PYRAMID_RESIZES = ('matlab', 'torch_bicubic')


def patch_starts(length: int, patch_size: int, stride: int) -> list:
    """Start offsets of the patches along one axis: every ``stride`` pixels, plus one patch anchored at the far edge
    where that grid stops short of it, so that the patches cover every pixel (``stride <= patch_size``)."""
    starts = list(range(0, length - patch_size + 1, stride))
    if starts[-1] + patch_size < length:
        starts.append(length - patch_size)
    return starts


def extract_patches(img: torch.Tensor, patch_size: int, stride: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, L, C*p*p)`` patches covering the whole image, in raster order of their grid.

    Patches start every ``stride`` pixels (:func:`patch_starts`); where the image size leaves a remainder, a last
    row / column of patches is anchored at the bottom / right edge. When the grid fits exactly this is
    ``F.unfold(img, patch_size, stride=stride).transpose(1, 2)`` (channel-major ``(c, y, x)`` inside a patch), and
    non-overlapping patches (``stride == patch_size``, the paper's setting) are a pure reshape of the image, cheaper
    than ``unfold``'s im2col in both directions of autograd.
    """
    batch, channels, height, width = img.shape
    p = patch_size
    rows, cols = patch_starts(height, p, stride), patch_starts(width, p, stride)
    if (height - p) % stride == 0 and (width - p) % stride == 0:
        if stride != p:
            return F.unfold(img, kernel_size=p, stride=stride).transpose(1, 2)
        grid = img.reshape(batch, channels, len(rows), p, len(cols), p).permute(0, 2, 4, 1, 3, 5)
        return grid.reshape(batch, len(rows) * len(cols), channels * p * p)
    row_index, col_index = (device_constant(('patch rows', tuple(starts), p),
                                            lambda starts=starts: torch.tensor(starts)[:, None] + torch.arange(p),
                                            img.device)
                            for starts in (rows, cols))  # (rows, p), (cols, p)
    grid = img[:, :, row_index[:, None, :, None], col_index[None, :, None, :]]  # (B, C, rows, cols, p, p)
    return grid.permute(0, 2, 3, 1, 4, 5).reshape(batch, len(rows) * len(cols), channels * p * p)


def _owner_rows(length: int, patch_size: int) -> torch.Tensor:
    """For non-overlapping patches with an edge-anchored last patch: the row of the stacked patch grid that
    supervises each image row (the regular tiles own their rows, the edge patch only the rows they miss)."""
    regular = length // patch_size * patch_size
    index = torch.arange(length)
    index[regular:] = regular + index[regular:] - (length - patch_size)
    return index


def assemble_patches(patches: torch.Tensor, channels: int, height: int, width: int, patch_size: int) -> torch.Tensor:
    """Inverse of :func:`extract_patches` for non-overlapping patches: ``(B, L, C*p*p)`` -> ``(B, C, H, W)``.

    Every pixel comes from exactly one patch: its regular tile, or, beyond the last full tile, the edge-anchored
    patch of that row / column.
    """
    p = patch_size
    rows, cols = len(patch_starts(height, p, p)), len(patch_starts(width, p, p))
    grid = patches.reshape(patches.size(0), rows, cols, channels, p, p).permute(0, 3, 1, 4, 2, 5)
    image = grid.reshape(patches.size(0), channels, rows * p, cols * p)
    if rows * p != height:
        image = image.index_select(-2, device_constant(('owner rows', height, p), lambda: _owner_rows(height, p),
                                                       image.device))
    if cols * p != width:
        image = image.index_select(-1, device_constant(('owner rows', width, p), lambda: _owner_rows(width, p),
                                                       image.device))
    return image


def coverage_weights(height: int, width: int, patch_size: int, stride: int, channels: int, device=None,
                     dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``(L, C*p*p)`` weights of the elements of :func:`extract_patches`' patches: 1 / the number of patches that
    cover the element's pixel, so that every pixel weighs 1 in all (overlapping patches). Made once per size and
    device (:func:`~.constants.device_constant`)."""
    def build() -> torch.Tensor:
        p = patch_size
        per_axis = []
        for length in (height, width):
            starts = torch.tensor(patch_starts(length, p, stride))
            pixels = starts[:, None, None] + torch.arange(p)[:, None]  # (patches, p, 1): the pixels of each patch
            covering = ((pixels >= starts) & (pixels < starts + p)).sum(-1)  # patches covering each of them
            per_axis.append(1.0 / covering.double())
        wy, wx = per_axis
        weights = wy[:, None, None, :, None] * wx[None, :, None, None, :]  # (rows, cols, 1, p, p)
        return weights.expand(-1, -1, channels, -1, -1).reshape(-1, channels * p * p)

    return device_constant(('coverage', height, width, patch_size, stride, channels), build,
                           device if device is not None else 'cpu', dtype)


def gt_pyramid(gt: torch.Tensor, scales: Sequence[float], resize: str = 'matlab') -> list:
    """Eq. 1: the GT image bicubic-downsampled by each factor in ``scales`` (1 keeps the original).

    ``resize``: 'matlab' is MATLAB's ``imresize`` (antialiased bicubic, the operator S of the paper); 'torch_bicubic'
    is ``F.interpolate(mode='bicubic', align_corners=False)`` without antialiasing, as the authors' code builds it.
    """
    if resize not in PYRAMID_RESIZES:
        raise ValueError(f'pyramid resize must be one of {PYRAMID_RESIZES}, got {resize!r}')
    if resize == 'matlab':
        return [gt if scale == 1 else imresize_bicubic(gt, scale) for scale in scales]
    return [gt if scale == 1 else F.interpolate(gt, scale_factor=scale, mode='bicubic', align_corners=False)
            for scale in scales]


def candidate_patches(gt: torch.Tensor, scales: Sequence[float], patch_size: int, stride: int,
                      resize: str = 'matlab') -> torch.Tensor:
    """The supervision candidate database G of Eq. 2: patches of every pyramid level, ``(B, M, C*p*p)``.

    The first ``L`` candidates are the GT patches g_i at the positions of :func:`extract_patches`.
    """
    levels = [lvl for lvl in gt_pyramid(gt, scales, resize) if min(lvl.shape[-2:]) >= patch_size]
    return torch.cat([extract_patches(lvl, patch_size, stride) for lvl in levels], dim=1)


def _device_free_bytes(device: torch.device) -> int:
    """Bytes a new tensor can take on ``device`` now: the driver's free memory plus what PyTorch's caching allocator
    holds unused. (Queried before tracing by :func:`torch.compile`; see :func:`search_plan`.)"""
    free, _ = torch.cuda.mem_get_info(device)
    return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)


def search_plan(device: torch.device, batch: int, num: int, num_cand: int, max_chunk_elems: Optional[int] = None,
                element_size: int = 4, free_bytes: Optional[int] = None) -> Tuple[int, int, Optional[int]]:
    """How :func:`find_best_buddies` splits the ``batch x num x num_cand`` score block: ``(images, rows, group)``,
    the images and patch rows of one chunk, and the candidate group size of the two-level argmin (None: one argmin).

    On the CPU the blocks are cache-sized (:data:`_CPU_CHUNK_ELEMS` scores) and the argmin two-level (:data:`_GROUP`
    candidates per group: a vectorised min over groups, then an argmin inside the winning group, about three times
    faster than one argmin there). On a GPU the budget is a quarter of the device's free memory (``free_bytes``,
    queried when not given), so the paper's setting (B=8, 192x192: 8 x 4096 x 5376 scores, 0.7 GB) is one chunk and
    one argmin: a handful of kernel launches. ``max_chunk_elems`` caps the budget on any device.
    """
    device = torch.device(device)
    group = _GROUP if device.type == 'cpu' else None
    width = -(-num_cand // group) * group if group else num_cand
    if device.type == 'cpu':
        budget = _CPU_CHUNK_ELEMS
    elif free_bytes is not None:
        budget = int(free_bytes * _DEVICE_MEMORY_SHARE) // element_size
    elif device.type == 'cuda' and not torch.compiler.is_compiling():
        budget = int(_device_free_bytes(device) * _DEVICE_MEMORY_SHARE) // element_size
    else:
        budget = _COMPILED_CHUNK_ELEMS
    if max_chunk_elems is not None:
        budget = min(budget, int(max_chunk_elems))
    budget = max(1, budget)
    images = max(1, min(batch, budget // width))
    rows = max(1, min(num, budget // (images * width)))
    return images, rows, group


@torch.no_grad()
@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def find_best_buddies(pred_patches: torch.Tensor, gt_patches: torch.Tensor, candidates: torch.Tensor, alpha: float,
                      beta: float, max_chunk_elems: Optional[int] = None) -> torch.Tensor:
    """Eq. 2: for every estimated patch, the candidate minimising alpha*||g - g_i||^2 + beta*||g - p_i||^2.

    ``alpha*||g-g_i||^2 + beta*||g-p_i||^2 = (alpha+beta)*||g||^2 - 2<g, alpha*g_i + beta*p_i> + const_i``, so one
    batched matrix product scores all candidates: the per-candidate term rides along as an extra column
    (``[q, 1] . [-2g, (alpha+beta)||g||^2]``), and an ``argmin`` picks the buddy. The score block is split into
    chunks as :func:`search_plan` says (cache-sized blocks on the CPU, one chunk on a GPU with the memory for it),
    and nothing is recorded for autograd.

    Numerics: the search runs in float32 (float64 for float64 inputs) whatever the autocast state, on coordinates
    translated by the mean candidate (distances are translation invariant; the norms in the expansion get small,
    and so do its rounding errors). The expansion can still misorder candidates whose exact scores differ by less
    than float rounding. The predefined GT patch ``g_i`` (candidate ``i``, the first pyramid level) is therefore
    always re-scored exactly against the chosen candidate: it wins when it scores lower, and an exact tie goes to
    the lower candidate index, as a plain argmin breaks ties (the authors' code, whose loss ours then equals). With
    ``beta = 0`` the buddy is ``g_i`` or an identical patch: plain MAE, exactly.

    Args:
        pred_patches: ``(B, N, D)`` estimated patches p_i.
        gt_patches: ``(B, N, D)`` predefined GT patches g_i; they must be ``candidates[:, :N]``.
        candidates: ``(B, M, D)`` candidate database, ``M >= N``.
        alpha, beta: the weights of Eq. 2.
        max_chunk_elems: a cap on one chunk's score block (``images x rows x M``); None: the device's budget.

    Returns:
        ``(B, N)`` int64 indices into ``candidates``.
    """
    batch, num, dim = pred_patches.shape
    num_cand = candidates.size(1)
    compute = torch.float64 if candidates.dtype == torch.float64 else torch.float32  # AMP-safe search
    cand = candidates.to(compute)
    gt_c, pred_c = gt_patches.to(compute), pred_patches.to(compute)
    images, rows, group = search_plan(cand.device, batch, num, num_cand, max_chunk_elems, cand.element_size())

    # lhs = [alpha*(g_i - c) + beta*(p_i - c), 1], rhs = [-2 (g - c), (alpha+beta) * ||g - c||^2], c the centre
    centre = cand.mean(dim=1, keepdim=True)  # (B, 1, D)
    lhs = F.pad(gt_c.mul(alpha).add_(pred_c, alpha=beta).sub_(centre, alpha=alpha + beta), (0, 1), value=1.0)
    cand_centred = cand - centre
    norms = cand_centred.square().sum(-1, keepdim=True).mul_(alpha + beta)
    cand_centred.mul_(-2.0)
    if group:  # padding candidates up to whole groups: they score huge and never win
        padding = -num_cand % group
        cand_centred, norms = F.pad(cand_centred, (0, 0, 0, padding)), F.pad(norms, (0, 0, 0, padding),
                                                                              value=_PAD_SCORE)
    rhs = torch.cat([cand_centred, norms], dim=-1).transpose(1, 2)  # (B, D + 1, M')
    del cand_centred, norms

    if images == batch and rows == num and group is None:
        best = torch.bmm(lhs, rhs).argmin(dim=-1)  # the whole search in two kernels
    else:
        best = _chunked_argmin(lhs, rhs, images, rows, group)
        best.clamp_(max=num_cand - 1)  # a padding column only wins with non-finite inputs

    # Exact re-scoring of the chosen buddy against g_i itself.
    chosen = torch.gather(cand, 1, best.unsqueeze(-1).expand(-1, -1, dim))
    chosen_err, estimate_err, self_err = (torch.stack([chosen, chosen, gt_c]) - torch.stack([gt_c, pred_c, pred_c])
                                          ).square_().sum(-1).unbind(0)
    chosen_score = alpha * chosen_err + beta * estimate_err
    self_score = beta * self_err
    self_index = torch.arange(num, device=best.device)
    self_wins = torch.where(self_score == chosen_score, self_index < best, self_score < chosen_score)
    return torch.where(self_wins, self_index, best)


def _chunked_argmin(lhs: torch.Tensor, rhs: torch.Tensor, images: int, rows: int, group: Optional[int]):
    """``(lhs @ rhs).argmin(-1)`` in chunks of ``images x rows`` rows of ``lhs`` (reusing one score buffer), with
    the two-level argmin over groups of ``group`` columns when ``group`` is set (``rhs`` has whole groups then)."""
    batch, num, _ = lhs.shape
    width = rhs.size(-1)
    buffer = torch.empty(images * rows * width, dtype=lhs.dtype, device=lhs.device)
    best = torch.empty(batch, num, dtype=torch.long, device=lhs.device)
    groups = width // group if group else 1
    row_offsets = torch.arange(images * rows, device=lhs.device) * groups
    for b0 in range(0, batch, images):
        b1 = min(batch, b0 + images)
        for start in range(0, num, rows):
            stop = min(num, start + rows)
            nb, nr = b1 - b0, stop - start
            scores = buffer[:nb * nr * width].view(nb, nr, width)
            torch.bmm(lhs[b0:b1, start:stop], rhs[b0:b1], out=scores)
            if group is None:
                best[b0:b1, start:stop] = scores.argmin(dim=-1)
                continue
            grouped = scores.view(nb * nr * groups, group)
            winner = grouped.amin(dim=-1).view(nb * nr, groups).argmin(dim=-1)  # winning group of each row
            members = grouped.index_select(0, winner + row_offsets[:nb * nr])  # (nb * nr, group)
            best[b0:b1, start:stop] = (winner * group + members.argmin(dim=-1)).view(nb, nr)
    return best
