"""Back-projection loss (Eq. 4), registered in BasicSR's LOSS_REGISTRY."""
import math

import torch
from basicsr.utils.registry import LOSS_REGISTRY
from torch import nn
from torch.nn import functional as F

from ..ops.imresize import imresize_bicubic


@LOSS_REGISTRY.register()
class BackProjectionLoss(nn.Module):
    """Eq. 4: ``|| S(I_hat_HR, s) - I_LR ||_1`` with S the MATLAB-style bicubic downsampler (antialiased).

    ``forward(pred, target)`` takes the LR image as ``target``; when ``target`` is HR-sized (the ``gt`` a stock BasicSR
    model passes to its losses) it is downsampled with the same S first, so the loss drops into any model.
    ``target`` (the option) says which image ``BebyGANModel`` and the real-world models pass: the LR input ``lq``
    (Eq. 4, the paper's bicubic setting) or ``gt``, the GT to be downscaled with S: with synthetic real-world
    degradations the LR input is blurred, noisy and JPEG-compressed, and Eq. 4 against it would teach the generator
    to reproduce those (docs/real-world.md).

    Args:
        loss_weight: multiplier (lambda_2 of Eq. 10; paper: 1.0).
        scale: the SR factor s (paper: 4).
        reduction: 'mean' or 'sum'.
        target: 'lq' (the LR input, Eq. 4) or 'gt' (the MATLAB-bicubic downscale of the GT; real-world training).
    """

    TARGETS = ('lq', 'gt')

    def __init__(self, loss_weight: float = 1.0, scale: int = 4, reduction: str = 'mean', target: str = 'lq') -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"BackProjectionLoss reduction must be 'mean' or 'sum', got {reduction!r}")
        if scale < 1:
            raise ValueError(f'BackProjectionLoss scale must be >= 1, got {scale}')
        if target not in self.TARGETS:
            raise ValueError(f"BackProjectionLoss target must be 'lq' (the LR input) or 'gt' (the downscaled GT), "
                             f'got {target!r}')
        self.loss_weight, self.scale, self.reduction, self.target = loss_weight, scale, reduction, target

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # S and the L1 in at least float32 (under AMP the prediction may be bf16/fp16); gradients flow back as usual.
        projected = imresize_bicubic(pred.to(torch.promote_types(pred.dtype, torch.float32)), 1 / self.scale)
        if self.target == 'gt' and target.shape[-2:] != pred.shape[-2:]:
            raise ValueError(f'BackProjectionLoss with target gt needs the HR-sized GT, got {tuple(target.shape)} for '
                             f'pred {tuple(pred.shape)}')
        if target.shape[-2:] == pred.shape[-2:]:
            target = imresize_bicubic(target.detach(), 1 / self.scale)
        if target.shape != projected.shape:
            lr_shape = (math.ceil(pred.size(-2) / self.scale), math.ceil(pred.size(-1) / self.scale))
            raise ValueError(f'BackProjectionLoss: target {tuple(target.shape)} is neither the HR size of pred '
                             f'{tuple(pred.shape)} nor its x{self.scale} LR size {lr_shape}; check the scale option')
        return self.loss_weight * F.l1_loss(projected, target, reduction=self.reduction)
