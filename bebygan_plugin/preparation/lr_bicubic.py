"""LR images by MATLAB-style bicubic downsampling, the way the public benchmarks and DIV2K made theirs.

The HR image is first cropped to a multiple of the scale (rows at the bottom and columns at the right are dropped,
as BasicSR's ``mod_crop`` does), so that ``HR = scale x LR`` exactly. The LR is then MATLAB's
``imresize(HR, 1/scale, 'bicubic')`` with antialiasing, computed by :func:`bebygan_plugin.imresize_bicubic` (the
operator S of the back-projection loss) in float64 on 0..255 values, and rounded the way MATLAB converts to
``uint8``: half away from zero, saturated to 0..255.
"""
from functools import lru_cache

import numpy as np
import torch

from ..ops.imresize import imresize_bicubic, resize_matrix


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    """``img`` (``HxW[xC]``) without its last ``H % scale`` rows and ``W % scale`` columns."""
    height, width = img.shape[:2]
    return img[:height - height % scale, :width - width % scale]


@lru_cache(maxsize=None)
def min_hr_size(scale: int) -> int:
    """Smallest HR side (a multiple of ``scale``) that the bicubic operator can shrink by ``1/scale``."""
    length = scale
    while True:
        try:
            resize_matrix(length, 1 / scale, True, dtype=torch.float64)
            return length
        except ValueError:
            length += scale


def matlab_resize_uint8(img: np.ndarray, factor: float) -> np.ndarray:
    """MATLAB ``imresize(img, factor, 'bicubic')`` of an ``HxWxC`` uint8 image: computed in float64 on 0..255
    values, rounded half away from zero and saturated to uint8 as MATLAB does."""
    if img.dtype != np.uint8 or img.ndim != 3:
        raise TypeError(f'matlab_resize_uint8 needs an HxWxC uint8 image, got {img.shape} {img.dtype}')
    planes = []
    for channel in range(img.shape[2]):  # one channel at a time keeps float64 memory at one plane
        plane = torch.from_numpy(np.ascontiguousarray(img[..., channel])).to(torch.float64)
        resized = imresize_bicubic(plane, factor).numpy()
        planes.append(np.clip(np.floor(resized + 0.5), 0, 255).astype(np.uint8))
    return np.stack(planes, axis=2)


def bicubic_downsample(img: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB ``imresize(img, 1/scale)`` of an ``HxWxC`` uint8 image whose sides are multiples of ``scale``.

    Returns:
        ``(H/scale)x(W/scale)xC`` uint8.
    """
    if img.dtype != np.uint8 or img.ndim != 3:
        raise TypeError(f'bicubic_downsample needs an HxWxC uint8 image, got {img.shape} {img.dtype}')
    height, width = img.shape[:2]
    if height % scale or width % scale:
        raise ValueError(f'image size {height}x{width} is not a multiple of the scale {scale}; mod_crop it first')
    return matlab_resize_uint8(img, 1 / scale)
