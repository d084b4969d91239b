"""Blur filters of Real-ESRGAN's degradation: a per-image 2-D convolution and the unsharp mask of its GT."""
import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def filter2d(img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``img`` ``(b, c, h, w)`` convolved with ``kernel`` ``(1 | b, k, k)`` (odd ``k``), reflect-padded to the same
    size: one kernel for the whole batch or one per image (every channel of an image gets its own kernel).

    The arithmetic of BasicSR's ``filter2D`` (the same convolution call, so the same floats), but on a tensor of any
    memory layout: BasicSR's ``.view()`` fails on the non-contiguous output of its DiffJPEG.
    """
    k = kernel.size(-1)
    if k % 2 != 1:
        raise ValueError(f'filter2d: the kernel size must be odd, got {k}')
    b, c, h, w = img.shape
    padded = F.pad(img, (k // 2, k // 2, k // 2, k // 2), mode='reflect')
    ph, pw = padded.shape[-2:]
    if kernel.size(0) == 1:
        out = F.conv2d(padded.reshape(b * c, 1, ph, pw), kernel.reshape(1, 1, k, k))
    else:
        per_channel = kernel.reshape(b, 1, k, k).repeat(1, c, 1, 1).reshape(b * c, 1, k, k)
        out = F.conv2d(padded.reshape(1, b * c, ph, pw), per_channel, groups=b * c)
    return out.reshape(b, c, h, w)


class UnsharpMask(nn.Module):
    """Real-ESRGAN's unsharp masking of the GT (BasicSR's ``USMSharp``): ``I + weight * (I - G*I)`` where the residual
    exceeds ``threshold`` / 255, blended in through a blurred mask; ``G`` is OpenCV's Gaussian of ``radius``
    (made odd) and ``sigma`` (0: OpenCV's default for the size)."""

    def __init__(self, radius: int = 50, sigma: float = 0) -> None:
        super().__init__()
        radius += 1 - radius % 2
        gaussian = cv2.getGaussianKernel(radius, sigma)
        self.register_buffer('kernel', torch.from_numpy(np.dot(gaussian, gaussian.T)).float().unsqueeze(0),
                             persistent=False)

    def forward(self, img: torch.Tensor, weight: float = 0.5, threshold: float = 10) -> torch.Tensor:
        blur = filter2d(img, self.kernel)
        residual = img - blur
        soft_mask = filter2d((residual.abs() * 255 > threshold).float(), self.kernel)
        sharp = torch.clip(img + weight * residual, 0, 1)
        return soft_mask * sharp + (1 - soft_mask) * img
