"""Batched, differentiable MATLAB-style bicubic resize: the operator S(I, s) of Eq. 1 and Eq. 4.

MATLAB's ``imresize`` (bicubic, antialiasing on when shrinking) is separable: every output row is a weighted sum
of input rows with symmetric ("mirror") handling of the borders, and the same for columns. We fold those weights
and the mirroring into one dense ``out x in`` matrix per axis, so a resize is two matrix products over a whole
batch. That is exact up to float summation order against ``basicsr.utils.matlab_functions.imresize``, keeps
autograd, and runs on any device and floating dtype.
"""
import math
from functools import lru_cache

import torch

from .constants import device_constant


def _cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's 'bicubic')."""
    ax = x.abs()
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return near + far


@lru_cache(maxsize=64)
def _resize_matrix_cpu64(in_len: int, out_len: int, scale: float, antialiasing: bool) -> torch.Tensor:
    """``out_len x in_len`` float64 matrix M with ``y = M @ x`` equal to MATLAB's 1-D bicubic resize."""
    kernel_width = 4.0
    shrink_aa = scale < 1 and antialiasing
    if shrink_aa:
        kernel_width /= scale
    out_pos = torch.arange(1, out_len + 1, dtype=torch.float64)
    centre = out_pos / scale + 0.5 * (1 - 1 / scale)  # 1-based input coordinate of each output pixel
    left = torch.floor(centre - kernel_width / 2)
    taps = math.ceil(kernel_width) + 2
    idx = left[:, None] + torch.arange(taps, dtype=torch.float64)[None, :]  # 1-based, may leave [1, in_len]
    dist = centre[:, None] - idx
    weights = scale * _cubic(dist * scale) if shrink_aa else _cubic(dist)
    weights = weights / weights.sum(dim=1, keepdim=True)
    # Symmetric border handling (period 2*in_len, so even inputs shorter than the kernel work): 0-based index -1
    # mirrors to 0, -2 to 1, in_len to in_len - 1, ...
    zero_based = torch.remainder(idx.long() - 1, 2 * in_len)
    zero_based = torch.where(zero_based >= in_len, 2 * in_len - 1 - zero_based, zero_based)
    matrix = torch.zeros(out_len, in_len, dtype=torch.float64)
    matrix.scatter_add_(1, zero_based, weights)
    return matrix


def resize_matrix(in_len: int, scale: float, antialiasing: bool = True, device=None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The 1-D MATLAB bicubic resize as a dense ``ceil(in_len * scale) x in_len`` matrix."""
    out_len = math.ceil(in_len * scale)
    return _resize_matrix_cpu64(in_len, out_len, float(scale), antialiasing).to(device=device, dtype=dtype)


def imresize_bicubic(img: torch.Tensor, scale: float, antialiasing: bool = True) -> torch.Tensor:
    """MATLAB ``imresize(img, scale, 'bicubic')`` for a batch: S(I, s) in Eq. 1 and Eq. 4.

    Args:
        img: ``(..., H, W)`` floating tensor (any leading dims, e.g. ``(B, C, H, W)``), values not clamped.
        scale: resize factor, e.g. ``1/4`` to go from HR to LR. The output is ``ceil(H*scale) x ceil(W*scale)``.
        antialiasing: widen the kernel when shrinking, as MATLAB does by default.

    Returns:
        The resized tensor, same dtype and device, differentiable with respect to ``img``.
    """
    if not torch.is_floating_point(img):
        raise TypeError(f'imresize_bicubic needs a floating tensor, got {img.dtype}; convert with img.float() / 255')
    if scale <= 0:
        raise ValueError(f'scale must be positive, got {scale}')
    height, width = img.shape[-2:]
    # float64 matrices keep the weights exact for fp16/bf16 inputs; compute in the input dtype otherwise.
    compute_dtype = img.dtype if img.dtype in (torch.float32, torch.float64) else torch.float32
    rows, cols = (device_constant(('imresize', length, float(scale), antialiasing),
                                  lambda length=length: resize_matrix(length, scale, antialiasing, dtype=torch.float64),
                                  img.device, compute_dtype) for length in (height, width))
    with torch.autocast(img.device.type, enabled=False):  # the weights need float32 even under AMP
        # Columns first, as one matrix product over all rows of the batch, then rows, as one batched product: four
        # operators in all (two of them views).
        planes = img.to(compute_dtype).reshape(-1, height, width)
        out = torch.bmm(rows.expand(planes.size(0), -1, -1), torch.matmul(planes, cols.t()))
    return out.reshape(*img.shape[:-2], *out.shape[-2:]).to(img.dtype)
