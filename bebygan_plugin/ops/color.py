"""Luma: the one set of RGB weights the plugin turns colour into gray with (texture mask, gray inference)."""
from typing import Dict, Sequence

import torch

# ITU-R BT.601 luma weights for RGB in [0, 1]; the authors' code uses (0.2989, 0.587, 0.114) (MATLAB's rgb2gray).
BT601_LUMA = (0.299, 0.587, 0.114)

_DEVICE_WEIGHTS: Dict[tuple, torch.Tensor] = {}  # (weights, device, dtype) -> (1, 3, 1, 1) tensor


def _channel_weights(weights: Sequence[float], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``weights`` as a ``(1, 3, 1, 1)`` tensor, made once per device and dtype: a training step copies nothing from
    host memory (on CUDA such a copy waits for the device to drain its queue)."""
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
