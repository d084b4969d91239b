"""Luma: the one set of RGB weights the plugin turns colour into gray with (texture mask, gray inference)."""
from typing import Sequence

import torch

from .constants import device_constant

# ITU-R BT.601 luma weights for RGB in [0, 1]; the authors' code uses (0.2989, 0.587, 0.114) (MATLAB's rgb2gray).
BT601_LUMA = (0.299, 0.587, 0.114)

def luminance(img: torch.Tensor, weights: Sequence[float] = BT601_LUMA) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB (or ``(B, 1, H, W)`` gray) -> ``(B, 1, H, W)`` luma, ``sum_c weights[c] * img[:, c]``."""
    if img.dim() != 4 or img.size(1) not in (1, 3):
        raise ValueError(f'expected a (B, 3, H, W) RGB or (B, 1, H, W) gray batch, got shape {tuple(img.shape)}')
    if img.size(1) == 1:
        return img
    if len(weights) != 3:
        raise ValueError(f'luma weights need one weight per RGB channel, got {tuple(weights)}')
    weights = tuple(float(w) for w in weights)
    column = device_constant(('luma', weights), lambda: torch.tensor(weights).view(1, 3, 1, 1), img.device, img.dtype)
    return (img * column).sum(dim=1, keepdim=True)
