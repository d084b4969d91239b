"""Real-ESRGAN's second-order degradation (Wang et al., ICCVW 2021, Sec. 3; BasicSR 1.4.2's
``RealESRGANModel.feed_data``): GT -> unsharp-masked GT -> [blur, random resize, noise, JPEG] twice -> resize to the
LR size with a sinc filter (before or after the last JPEG) -> 8-bit -> a random aligned GT/LQ crop.

Random numbers come from Python's ``random``, NumPy's global generator and torch's generator of the batch's device,
each in the order BasicSR draws them: the same seeds give the same pairs as BasicSR's (see
``degradations.noise`` for the one choice that keeps the device from being read). Plain torch on any device; no
host sync.
"""
import random

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .filtering import UnsharpMask, filter2d
from .jpeg import JpegCompression
from .noise import add_gaussian_noise, add_poisson_noise
from .settings import DegradationSettings

RESIZE_MODES = ('area', 'bilinear', 'bicubic')


def random_resize_scale(resize_prob, resize_range) -> float:
    """Up, down or keep (probabilities ``resize_prob``), then a scale uniform in ``[1, max]`` or ``[min, 1]``."""
    direction = random.choices(['up', 'down', 'keep'], resize_prob)[0]
    if direction == 'up':
        return np.random.uniform(1, resize_range[1])
    if direction == 'down':
        return np.random.uniform(resize_range[0], 1)
    return 1


def random_crop_pair(gt: torch.Tensor, lq: torch.Tensor, gt_size: int, scale: int) -> tuple:
    """The same random ``gt_size`` window of ``gt`` and the aligned ``gt_size / scale`` window of ``lq`` (for every
    image of the batch), as BasicSR's ``paired_random_crop``."""
    lq_size = gt_size // scale
    h_lq, w_lq = lq.shape[-2:]
    if h_lq < lq_size or w_lq < lq_size:
        raise ValueError(f'the degraded LQ ({h_lq}, {w_lq}) is smaller than the LQ crop ({lq_size}, {lq_size}) '
                         f'of gt_size {gt_size}: lower gt_size or use larger GT images')
    top, left = random.randint(0, h_lq - lq_size), random.randint(0, w_lq - lq_size)
    lq = lq[:, :, top:top + lq_size, left:left + lq_size]
    gt = gt[:, :, top * scale:top * scale + gt_size, left * scale:left * scale + gt_size]
    return gt, lq


class SecondOrderDegradation(nn.Module):
    """``forward(gt, kernel1, kernel2, sinc_kernel, sharpen=True) -> (lq, gt)``: the synthetic pair of a GT batch
    ``(b, 3, H, W)`` in [0, 1] with the per-image kernels ``(b, k, k)`` that BasicSR's ``RealESRGANDataset`` draws
    (``kernel1``, ``kernel2``, ``sinc_kernel``); the LQ is degraded from the unsharp-masked GT (Real-ESRGAN's
    ``RealESRGANModel``) or, with ``sharpen=False``, from ``gt`` as given (``RealESRNetModel``, which passes its GT
    already sharpened or not). Both outputs are cropped (``gt`` to ``gt_size``, ``lq`` to ``gt_size / scale``);
    ``lq`` is 8-bit valued and contiguous. ``basicsr_stream``: see ``degradations.noise``.
    Move it to the batch's device with ``.to(device)`` (its constant tables are buffers)."""

    def __init__(self, settings: DegradationSettings, basicsr_stream: bool = False) -> None:
        super().__init__()
        self.settings, self.basicsr_stream = settings, basicsr_stream
        self.jpeg = JpegCompression()
        self.unsharp_mask = UnsharpMask()

    def add_noise(self, img: torch.Tensor, second: bool) -> torch.Tensor:
        s = self.settings
        gaussian_prob, sigma_range, scale_range, gray_prob = (
            (s.gaussian_noise_prob2, s.noise_range2, s.poisson_scale_range2, s.gray_noise_prob2) if second else
            (s.gaussian_noise_prob, s.noise_range, s.poisson_scale_range, s.gray_noise_prob))
        if np.random.uniform() < gaussian_prob:
            return add_gaussian_noise(img, sigma_range, gray_prob, self.basicsr_stream)
        return add_poisson_noise(img, scale_range, gray_prob, self.basicsr_stream)

    def compress(self, img: torch.Tensor, jpeg_range) -> torch.Tensor:
        quality = img.new_zeros(img.size(0)).uniform_(*jpeg_range)
        return self.jpeg(torch.clamp(img, 0, 1), quality)

    def resize_back_and_sinc(self, img: torch.Tensor, lr_size: tuple, sinc_kernel: torch.Tensor) -> torch.Tensor:
        return filter2d(F.interpolate(img, size=lr_size, mode=random.choice(RESIZE_MODES)), sinc_kernel)

    def forward(self, gt: torch.Tensor, kernel1: torch.Tensor, kernel2: torch.Tensor,
                sinc_kernel: torch.Tensor, sharpen: bool = True) -> tuple:
        s = self.settings
        h, w = gt.shape[-2:]
        # first pass: blur, resize, noise, JPEG
        out = filter2d(self.unsharp_mask(gt) if sharpen else gt, kernel1)
        scale = random_resize_scale(s.resize_prob, s.resize_range)
        out = F.interpolate(out, scale_factor=scale, mode=random.choice(RESIZE_MODES))
        out = self.compress(self.add_noise(out, second=False), s.jpeg_range)
        # second pass: blur, resize (relative to the LR size), noise, then JPEG and [resize back + sinc] in either order
        if np.random.uniform() < s.second_blur_prob:
            out = filter2d(out, kernel2)
        scale = random_resize_scale(s.resize_prob2, s.resize_range2)
        size = (int(h / s.scale * scale), int(w / s.scale * scale))
        out = self.add_noise(F.interpolate(out, size=size, mode=random.choice(RESIZE_MODES)), second=True)
        lr_size = (h // s.scale, w // s.scale)
        if np.random.uniform() < 0.5:
            out = self.compress(self.resize_back_and_sinc(out, lr_size, sinc_kernel), s.jpeg_range2)
        else:
            out = self.resize_back_and_sinc(self.compress(out, s.jpeg_range2), lr_size, sinc_kernel)
        lq = torch.clamp((out * 255.0).round(), 0, 255) / 255.
        gt, lq = random_crop_pair(gt, lq, s.gt_size, s.scale)
        return lq.contiguous(), gt
