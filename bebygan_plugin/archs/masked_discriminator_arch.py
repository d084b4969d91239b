"""Region-aware discriminators: they see the masked images I^M of Eq. 5-9 (registered in ARCH_REGISTRY)."""
from typing import Optional

import torch
from basicsr.archs.discriminator_arch import UNetDiscriminatorSN
from basicsr.utils.registry import ARCH_REGISTRY
from torch import nn


def apply_mask(x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """``I^M = I * M`` (Eq. 5 -> Eq. 9 inputs); ``mask`` is ``(B, 1, H, W)`` and broadcasts over channels."""
    if mask is None:
        return x
    if mask.shape[0] != x.shape[0] or mask.shape[-2:] != x.shape[-2:]:
        raise ValueError(f'mask {tuple(mask.shape)} does not match the discriminator input {tuple(x.shape)}')
    return x * mask


@ARCH_REGISTRY.register()
class MaskedUNetDiscriminator(UNetDiscriminatorSN):
    """BasicSR's spectral-norm U-Net discriminator fed with masked images (region-aware learning, Eq. 5-9).

    ``forward(x, mask)`` multiplies the input by the texture mask; with ``mask_logits=True`` the per-pixel logits
    are multiplied by it too, so flat pixels give no adversarial signal at all (the model then averages the GAN
    loss over textured pixels only). H and W must be multiples of 8.

    Args:
        num_in_ch: input channels.
        num_feat: base width.
        skip_connection: U-Net skip connections.
        mask_logits: also zero the logits of flat pixels.
    """

    def __init__(self, num_in_ch: int = 3, num_feat: int = 64, skip_connection: bool = True,
                 mask_logits: bool = True) -> None:
        super().__init__(num_in_ch, num_feat, skip_connection)
        self.mask_logits = mask_logits

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if x.size(-1) % 8 or x.size(-2) % 8:
            raise ValueError(f'MaskedUNetDiscriminator needs H and W divisible by 8, got {tuple(x.shape[-2:])}')
        logits = super().forward(apply_mask(x, mask))
        return apply_mask(logits, mask) if self.mask_logits else logits


@ARCH_REGISTRY.register()
class MaskedVGGStyleDiscriminator(nn.Module):
    """The VGG-style discriminator of ESRGAN / the Beby-GAN paper, on masked inputs and any crop size.

    ``num_stages`` stages of (3x3 conv, 4x4 stride-2 conv) with BatchNorm and LeakyReLU (widths ``num_feat`` x 1, 2,
    4, 8, 8, ...), then two linear layers (100 hidden units) giving one logit C(x) per image (Eq. 9). Unlike BasicSR's
    ``VGGStyleDiscriminator`` (128 or 256 only) it accepts any ``input_size`` divisible by ``2 ** num_stages``, e.g.
    the paper's 192 x 192 HR crops. The authors' code (``Discriminator_VGG_192``) is ``num_feat: 32, num_stages: 6``
    at 192 (a 3 x 3 map before the head); 5 stages is ESRGAN's 128 x 128 layout.

    Args:
        num_in_ch: input channels.
        num_feat: base width.
        input_size: training crop size (datasets.train.gt_size).
        num_stages: stride-2 stages (5 or 6 in the usual layouts).
    """

    mask_logits = False

    def __init__(self, num_in_ch: int = 3, num_feat: int = 64, input_size: int = 192, num_stages: int = 5) -> None:
        super().__init__()
        if num_stages < 1:
            raise ValueError(f'MaskedVGGStyleDiscriminator num_stages must be >= 1, got {num_stages}')
        if input_size % 2 ** num_stages:
            raise ValueError(f'MaskedVGGStyleDiscriminator input_size must be divisible by {2 ** num_stages} '
                             f'(2 ** num_stages), got {input_size}')
        self.input_size = input_size
        widths = [num_feat * min(2 ** stage, 8) for stage in range(num_stages)]
        layers, in_ch = [], num_in_ch
        for stage, width in enumerate(widths):
            first_bn = [] if stage == 0 else [nn.BatchNorm2d(width)]
            layers += [nn.Conv2d(in_ch, width, 3, 1, 1, bias=stage == 0), *first_bn, nn.LeakyReLU(0.2, True)]
            layers += [nn.Conv2d(width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, True)]
            in_ch = width
        self.features = nn.Sequential(*layers)
        side = input_size // 2 ** num_stages
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(widths[-1] * side * side, 100), nn.LeakyReLU(0.2, True), nn.Linear(100, 1))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            raise ValueError(f'MaskedVGGStyleDiscriminator built for {self.input_size}x{self.input_size} crops, '
                             f'got {tuple(x.shape[-2:])}; set network_d.input_size to gt_size')
        return self.classifier(self.features(apply_mask(x, mask)))
