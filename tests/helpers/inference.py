"""Generators in the three checkpoint layouts, written here from each layout's description (not from our loader),
tiny and randomly initialised, plus a small real photo.

Each reference network computes its own forward pass; all three hold their parameters in the same order as
BasicSR's RRDBNet, so :func:`copy_parameters` gives them identical weights without using any key name.
"""
from collections import OrderedDict

import numpy as np
import torch
from basicsr.archs.rrdbnet_arch import RRDBNet
from torch import nn
from torch.nn import functional as F


class DenseBlock(nn.Module):
    """Simple-SR's ``ResidualDenseBlock_5C``: conv1..conv5, each on the concatenation of all before it."""

    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        for j in range(1, 6):
            setattr(self, f'conv{j}', nn.Conv2d(nf + (j - 1) * gc, gc if j < 5 else nf, 3, 1, 1))

    def forward(self, x):
        feats = [x]
        for j in range(1, 5):
            feats.append(F.leaky_relu(getattr(self, f'conv{j}')(torch.cat(feats, 1)), 0.2))
        return self.conv5(torch.cat(feats, 1)) * 0.2 + x


class SimpleSRBlock(nn.Module):
    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.RDB1, self.RDB2, self.RDB3 = DenseBlock(nf, gc), DenseBlock(nf, gc), DenseBlock(nf, gc)

    def forward(self, x):
        return self.RDB3(self.RDB2(self.RDB1(x))) * 0.2 + x


class SimpleSRRRDBNet(nn.Module):
    """The authors' generator (Simple-SR ``utils/modules/rrdb.py``), x4."""

    def __init__(self, nf: int, nb: int, gc: int, in_nc: int = 3, out_nc: int = 3) -> None:
        super().__init__()
        self.conv_first = nn.Conv2d(in_nc, nf, 3, 1, 1)
        self.RRDB_trunk = nn.Sequential(*[SimpleSRBlock(nf, gc) for _ in range(nb)])
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.HRconv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, out_nc, 3, 1, 1)

    def forward(self, x):
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.RRDB_trunk(fea))
        fea = F.leaky_relu(self.upconv1(F.interpolate(fea, scale_factor=2, mode='nearest')), 0.2)
        fea = F.leaky_relu(self.upconv2(F.interpolate(fea, scale_factor=2, mode='nearest')), 0.2)
        return self.conv_last(F.leaky_relu(self.HRconv(fea), 0.2))


class OldConvBlock(nn.Sequential):
    """ESRGAN's ``conv_block``: a Sequential whose item 0 is the conv (then the activation, if any)."""

    def __init__(self, cin: int, cout: int, act: bool) -> None:
        layers = [nn.Conv2d(cin, cout, 3, 1, 1)] + ([nn.LeakyReLU(0.2)] if act else [])
        super().__init__(*layers)


class OldDenseBlock(nn.Module):
    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        for j in range(1, 6):
            setattr(self, f'conv{j}', OldConvBlock(nf + (j - 1) * gc, gc if j < 5 else nf, act=j < 5))

    def forward(self, x):
        feats = [x]
        for j in range(1, 5):
            feats.append(getattr(self, f'conv{j}')(torch.cat(feats, 1)))
        return self.conv5(torch.cat(feats, 1)) * 0.2 + x


class OldRRDB(nn.Module):
    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.RDB1, self.RDB2, self.RDB3 = OldDenseBlock(nf, gc), OldDenseBlock(nf, gc), OldDenseBlock(nf, gc)

    def forward(self, x):
        return self.RDB3(self.RDB2(self.RDB1(x))) * 0.2 + x


class Shortcut(nn.Module):
    """ESRGAN's ``ShortcutBlock``: x + sub(x)."""

    def __init__(self, sub: nn.Module) -> None:
        super().__init__()
        self.sub = sub

    def forward(self, x):
        return x + self.sub(x)


class OldESRGAN(nn.Module):
    """The original ESRGAN ``RRDBNet`` (old architecture): one Sequential ``model``, x4."""

    def __init__(self, nf: int, nb: int, gc: int, in_nc: int = 3, out_nc: int = 3) -> None:
        super().__init__()
        trunk = nn.Sequential(*[OldRRDB(nf, gc) for _ in range(nb)], OldConvBlock(nf, nf, act=False)[0])
        self.model = nn.Sequential(
            nn.Conv2d(in_nc, nf, 3, 1, 1), Shortcut(trunk),
            nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(nf, out_nc, 3, 1, 1))

    def forward(self, x):
        return self.model(x)


def copy_parameters(src: nn.Module, dst: nn.Module) -> nn.Module:
    """Give ``dst`` the parameters of ``src`` position by position (same order and shapes, any names)."""
    src_params, dst_params = list(src.parameters()), list(dst.parameters())
    assert len(src_params) == len(dst_params)
    with torch.no_grad():
        for a, b in zip(src_params, dst_params):
            assert a.shape == b.shape
            b.copy_(a)
    return dst


def random_rrdbnet(num_feat: int = 8, num_block: int = 2, num_grow_ch: int = 4, seed: int = 0, scale: int = 4,
                   num_in_ch: int = 3) -> RRDBNet:
    """A BasicSR RRDBNet with random weights whose output on a photo looks like an image: He-initialised convs,
    the last one rescaled to an output spread of about 0.15 around 0.5 (so that rounding to 8 bits keeps the
    differences the tests look for, and little is clipped)."""
    torch.manual_seed(seed)
    net = RRDBNet(num_in_ch, num_in_ch, scale=scale, num_feat=num_feat, num_block=num_block,
                  num_grow_ch=num_grow_ch).eval()
    x = torch.from_numpy(photo(32, 32)).permute(2, 0, 1)[None].float().div(255)[:, :num_in_ch]
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.05)
        net.conv_last.weight.mul_(0.15 / net(x).std())
        net.conv_last.bias.add_(0.5 - net(x).mean(dim=(0, 2, 3)))
    return net


def state_dict(module: nn.Module) -> 'OrderedDict[str, torch.Tensor]':
    return OrderedDict((k, v.detach().clone()) for k, v in module.state_dict().items())


def photo(height: int = 40, width: int = 52, name: str = 'chelsea') -> np.ndarray:
    """An RGB uint8 crop of a real photo that ships with scikit-image."""
    from skimage import data

    img = getattr(data, name)()
    top, left = (img.shape[0] - height) // 2, (img.shape[1] - width) // 2
    return np.ascontiguousarray(img[top:top + height, left:left + width, :3])


def forward_uint8(net: nn.Module, image: np.ndarray) -> np.ndarray:
    """``net`` on an RGB uint8 image, rounded as BasicSR's ``tensor2img`` does."""
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y = net(x)[0].clamp(0, 1).permute(1, 2, 0).numpy()
    return np.round(y * 255).astype(np.uint8)


def assert_same_image(got: np.ndarray, expected: np.ndarray, what: str = '') -> None:
    """Equal up to float rounding: at most one level apart, and only in a rare pixel (channels-last convolutions
    sum in another order than the reference's, which can move a value across a rounding boundary)."""
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    difference = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    assert difference.max() <= 1 and np.count_nonzero(difference) <= max(1, difference.size // 1000), what
