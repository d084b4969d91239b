"""``RRDBNet``'s forward with its upsampling tail run in bands of rows: the same result, far less memory.

Most of an x4 ``RRDBNet``'s activation memory is in its tail: ``conv_up2``, ``conv_hr`` and ``conv_last`` work on
64-channel maps at 16 times the input's pixel count (a 468 x 468 tile makes 1872 x 1872 x 64 float maps of 900 MB
each). The tail only looks 1.25 feature pixels around each output pixel (nearest x2, 3x3 conv, nearest x2, then
three 3x3 convs), so it can run over bands of feature rows with ``TAIL_PAD`` rows of context each and give what the
whole map gives. The trunk still sees the whole tile. Tiles can then be large, which keeps the recomputed tile
context (the overhead of tiling) small at a bounded memory.
"""
import math

import torch
from torch.nn import functional as F

TAIL_PAD = 2  # feature rows of context per band: the tail's receptive radius (1.25 feature pixels), rounded up
TAIL_BANDS = 8  # bands per feature map: a band's x16 maps then take about what the trunk's activations take


def is_banded_rrdb(net: torch.nn.Module) -> bool:
    """True for BasicSR's ``RRDBNet`` (the layout every checkpoint this package converts loads into)."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    return type(net) is RRDBNet


def rrdb_tail(net: torch.nn.Module, feat: torch.Tensor) -> torch.Tensor:
    """``RRDBNet.forward`` after the trunk: two nearest x2 upsamplings with convolutions, then HR and last conv."""
    feat = net.lrelu(net.conv_up1(F.interpolate(feat, scale_factor=2, mode='nearest')))
    feat = net.lrelu(net.conv_up2(F.interpolate(feat, scale_factor=2, mode='nearest')))
    return net.conv_last(net.lrelu(net.conv_hr(feat)))


def banded_rrdb_forward(net: torch.nn.Module, x: torch.Tensor, bands: int = TAIL_BANDS) -> torch.Tensor:
    """``net(x)`` for a BasicSR ``RRDBNet`` with the tail over ``bands`` bands of feature rows, each at least
    ``4 * TAIL_PAD`` rows high (fewer bands on short maps: their context rows would cost more than they save)."""
    from basicsr.archs.arch_util import pixel_unshuffle

    feat = pixel_unshuffle(x, scale={2: 2, 1: 4}[net.scale]) if net.scale in (1, 2) else x
    feat = net.conv_first(feat)
    feat = feat + net.conv_body(net.body(feat))
    height, width = feat.shape[-2:]
    band = max(4 * TAIL_PAD, math.ceil(height / bands))
    out = None
    for r0 in range(0, height, band):
        r1 = min(r0 + band, height)
        p0, p1 = max(r0 - TAIL_PAD, 0), min(r1 + TAIL_PAD, height)
        rows = rrdb_tail(net, feat[:, :, p0:p1])[:, :, 4 * (r0 - p0):4 * (r1 - p0)]
        if out is None:
            out = rows.new_empty(rows.shape[0], rows.shape[1], 4 * height, 4 * width)
        out[:, :, 4 * r0:4 * r1] = rows
    return out
