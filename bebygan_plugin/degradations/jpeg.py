"""JPEG compression simulated on tensors (Real-ESRGAN's, BasicSR's ``DiffJPEG(differentiable=False)``): colour
conversion, 4:2:0 chroma subsampling, 8x8 DCT, quantisation with the standard tables scaled by the quality, and back.

The same floating-point operations as BasicSR's, so the same images to the last bit, with the quality factor of
each image computed on the device (BasicSR converts it image by image on the host: a host sync per image) and
a contiguous output.
"""
import itertools

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# the standard JPEG quantisation tables (ITU T.81, Annex K), transposed as DiffJPEG stores them
LUMA_TABLE = np.array([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
                       [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
                       [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
                       [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], np.float32).T
CHROMA_TABLE = np.full((8, 8), 99, np.float32)
CHROMA_TABLE[:4, :4] = np.array([[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]).T
# JFIF colour conversion (x @ matrix + shift), 8-bit range
RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]],
                        np.float32).T
YCBCR_TO_RGB = np.array([[1., 0., 1.402], [1, -0.344136, -0.714136], [1, 1.772, 0]], np.float32).T


def quality_to_factor(quality: torch.Tensor) -> torch.Tensor:
    """The libjpeg scaling of the quantisation tables for a quality in (0, 100], per image, on the device."""
    return torch.where(quality < 50, 5000. / quality, 200. - quality * 2) / 100.


def dct_bases() -> tuple:
    """``(dct, dct_scale, idct, idct_alpha)``: the 8x8 DCT-II and its inverse as ``(8, 8, 8, 8)`` float32 tensors
    (DiffJPEG's)."""
    dct = np.zeros((8, 8, 8, 8), dtype=np.float32)
    idct = np.zeros((8, 8, 8, 8), dtype=np.float32)
    for x, y, u, v in itertools.product(range(8), repeat=4):
        dct[x, y, u, v] = np.cos((2 * x + 1) * u * np.pi / 16) * np.cos((2 * y + 1) * v * np.pi / 16)
        idct[x, y, u, v] = np.cos((2 * u + 1) * x * np.pi / 16) * np.cos((2 * v + 1) * y * np.pi / 16)
    alpha = np.outer(*[np.array([1. / np.sqrt(2)] + [1] * 7)] * 2)
    return (torch.from_numpy(dct), torch.from_numpy(alpha * 0.25).float(), torch.from_numpy(idct),
            torch.from_numpy(alpha).float())


def to_blocks(channel: torch.Tensor) -> torch.Tensor:
    """``(b, h, w)`` -> ``(b, h*w/64, 8, 8)``, blocks in row-major order."""
    b, h, w = channel.shape
    return channel.reshape(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4).reshape(b, -1, 8, 8)


def from_blocks(blocks: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`to_blocks`."""
    b = blocks.size(0)
    return blocks.reshape(b, h // 8, w // 8, 8, 8).permute(0, 1, 3, 2, 4).reshape(b, h, w)


class JpegCompression(nn.Module):
    """``forward(img, quality)``: ``img`` ``(b, 3, h, w)`` RGB in [0, 1], ``quality`` ``(b,)`` in (0, 100] ->
    the decoded JPEG, ``(b, 3, h, w)`` in [0, 1], contiguous. Images are zero-padded to a multiple of 16 (a
    16x16 luma MCU) and cropped back."""

    def __init__(self) -> None:
        super().__init__()
        dct, dct_scale, idct, idct_alpha = dct_bases()
        buffers = {'luma_table': torch.from_numpy(LUMA_TABLE), 'chroma_table': torch.from_numpy(CHROMA_TABLE),
                   'rgb_to_ycbcr': torch.from_numpy(RGB_TO_YCBCR), 'ycbcr_shift': torch.tensor([0., 128., 128.]),
                   'ycbcr_to_rgb': torch.from_numpy(YCBCR_TO_RGB), 'rgb_shift': torch.tensor([0, -128., -128.]),
                   'dct': dct, 'dct_scale': dct_scale, 'idct': idct, 'idct_alpha': idct_alpha}
        for name, value in buffers.items():
            self.register_buffer(name, value, persistent=False)

    def code_channel(self, channel: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """One channel ``(b, h, w)`` (0..255) through DCT, quantisation, dequantisation and inverse DCT; ``table``
        ``(b, 1, 8, 8)`` is the quantisation table scaled per image."""
        h, w = channel.shape[-2:]
        coefficients = self.dct_scale * torch.tensordot(to_blocks(channel) - 128, self.dct, dims=2)
        dequantised = torch.round(coefficients / table) * table
        pixels = 0.25 * torch.tensordot(dequantised * self.idct_alpha, self.idct, dims=2) + 128
        return from_blocks(pixels, h, w)

    def forward(self, img: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        b, _, h, w = img.shape
        factor = quality_to_factor(quality).reshape(b, 1, 1, 1)
        padded = F.pad(img, (0, -w % 16, 0, -h % 16), mode='constant', value=0)
        ycbcr = torch.tensordot((padded * 255).permute(0, 2, 3, 1), self.rgb_to_ycbcr, dims=1) + self.ycbcr_shift
        chroma = F.avg_pool2d(ycbcr.permute(0, 3, 1, 2)[:, 1:].contiguous(), kernel_size=2, stride=2,
                              count_include_pad=False)
        luma_table = self.luma_table.expand(b, 1, 8, 8) * factor
        chroma_table = self.chroma_table.expand(b, 1, 8, 8) * factor
        y = self.code_channel(ycbcr[..., 0], luma_table)
        cb, cr = (self.code_channel(chroma[:, i], chroma_table) for i in (0, 1))
        ph, pw = y.shape[-2:]
        cb, cr = (c[:, :, None, :, None].expand(b, ph // 2, 2, pw // 2, 2).reshape(b, ph, pw) for c in (cb, cr))
        rgb = torch.tensordot(torch.stack((y, cb, cr), dim=3) + self.rgb_shift, self.ycbcr_to_rgb, dims=1)
        return (rgb.clamp(0, 255) / 255).permute(0, 3, 1, 2)[:, :, :h, :w].contiguous()
