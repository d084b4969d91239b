"""Best-buddy loss (Eq. 1-3), registered in BasicSR's LOSS_REGISTRY."""
from typing import Optional, Sequence

import torch
from basicsr.utils.registry import LOSS_REGISTRY
from torch import nn

from ..ops.best_buddy import (PYRAMID_RESIZES, assemble_patches, candidate_patches, coverage_weights, extract_patches,
                              find_best_buddies)


@LOSS_REGISTRY.register()
class BestBuddyLoss(nn.Module):
    """One-to-many best-buddy loss, Eq. 3: ``mean |p_i - g*_i|`` with ``g*_i`` chosen by Eq. 2.

    Each ``patch_size`` patch of the prediction (taken every ``stride`` pixels) is supervised by the candidate
    from the GT pyramid of Eq. 1 (``pyramid_scales``) minimising ``alpha*||g - g_i||^2 + beta*||g - p_i||^2``. Every
    pixel is supervised, whatever H and W: where the patch grid stops short of the image's bottom / right edge, a last
    row / column of patches is anchored at that edge (for the prediction and for every pyramid level alike), and
    each pixel weighs the same in the mean. With ``beta = 0`` the buddy is the GT patch itself and the loss equals
    ``L1Loss(pred, target)`` for any H, W (exactly, for non-overlapping patches). Drops into any BasicSR model as
    ``pixel_opt``.

    Args:
        loss_weight: multiplier of the loss (lambda_1 of Eq. 10 in the Beby-GAN recipe).
        alpha: weight of closeness to the predefined GT patch (paper: 1.0).
        beta: weight of closeness to the estimate (paper: 1.0).
        patch_size: side of the square patches (paper: 3).
        stride: step between patches, at most ``patch_size`` (paper: 3, non-overlapping).
        pyramid_scales: GT pyramid factors; must start with 1 (paper: 1, 1/2, 1/4).
        pyramid_resize: how the pyramid is downsampled: 'matlab' (MATLAB ``imresize`` bicubic, antialiased: the
            paper's S) or 'torch_bicubic' (``F.interpolate`` bicubic without antialiasing: the authors' code).
        max_chunk_elems: a cap on the score block of one search chunk (memory knob, not a result knob); default
            None: the device's budget (``ops.best_buddy.search_plan``: cache-sized blocks on the CPU, a quarter of
            the free memory on a GPU, one chunk at the paper's setting).
    """

    def __init__(self, loss_weight: float = 1.0, alpha: float = 1.0, beta: float = 1.0, patch_size: int = 3,
                 stride: int = 3, pyramid_scales: Sequence[float] = (1.0, 0.5, 0.25), pyramid_resize: str = 'matlab',
                 max_chunk_elems: Optional[int] = None) -> None:
        super().__init__()
        if alpha < 0 or beta < 0 or alpha + beta == 0:
            raise ValueError(f'BestBuddyLoss needs alpha >= 0, beta >= 0 and alpha + beta > 0; got {alpha}, {beta}')
        if patch_size < 1 or stride < 1:
            raise ValueError(f'BestBuddyLoss patch_size and stride must be >= 1; got {patch_size}, {stride}')
        if stride > patch_size:
            raise ValueError(f'BestBuddyLoss stride {stride} > patch_size {patch_size} would leave pixels between '
                             'patches unsupervised; use stride <= patch_size')
        scales = tuple(float(s) for s in pyramid_scales)
        if not scales or scales[0] != 1.0 or any(not 0 < s <= 1 for s in scales):
            raise ValueError(f'BestBuddyLoss pyramid_scales must start with 1 and lie in (0, 1]; got {scales}')
        if pyramid_resize not in PYRAMID_RESIZES:
            raise ValueError(f'BestBuddyLoss pyramid_resize must be one of {PYRAMID_RESIZES}; got {pyramid_resize!r}')
        self.loss_weight = loss_weight
        self.alpha, self.beta = float(alpha), float(beta)
        self.patch_size, self.stride = patch_size, stride
        self.pyramid_scales = scales
        self.pyramid_resize = pyramid_resize
        self.max_chunk_elems = max_chunk_elems

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'BestBuddyLoss: pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
        if min(pred.shape[-2:]) < self.patch_size:
            raise ValueError(f'BestBuddyLoss: images {tuple(pred.shape[-2:])} are smaller than patch {self.patch_size}')
        p, stride = self.patch_size, self.stride
        channels, height, width = pred.shape[-3:]
        with torch.no_grad():
            target = target.detach()
            pred_patches = extract_patches(pred.detach(), p, stride)
            candidates = candidate_patches(target, self.pyramid_scales, p, stride, self.pyramid_resize)
            gt_patches = candidates[:, :pred_patches.size(1)]  # the first level: the GT's own patches
            buddy_idx = find_best_buddies(pred_patches, gt_patches, candidates, self.alpha, self.beta,
                                          self.max_chunk_elems)
            buddies = torch.gather(candidates, 1, buddy_idx.unsqueeze(-1).expand(-1, -1, candidates.size(-1)))
        # L1 in at least float32: under AMP a bf16/fp16 difference would round away the small residuals. The
        # gradient still reaches ``pred`` in its own dtype.
        compute = torch.promote_types(pred.dtype, torch.float32)
        if stride != p:  # overlapping patches: each element weighs 1 / (patches covering its pixel)
            weights = coverage_weights(height, width, p, stride, channels, pred.device, compute)
            residual = (extract_patches(pred, p, stride).to(compute) - buddies.to(compute)).abs()
            return self.loss_weight * (residual * weights).sum() / (pred.size(0) * channels * height * width)
        # Non-overlapping patches (the paper's setting): the buddies tile an image, and Eq. 3 is the L1 between the
        # prediction and that image, element for element as L1Loss computes it (beta = 0 gives L1Loss exactly).
        buddy_image = assemble_patches(buddies, channels, height, width, p)
        return self.loss_weight * (pred.to(compute) - buddy_image.to(compute)).abs().mean()
