"""MATLAB-bicubic upsampling as a BasicSR network: the baseline row of SR benchmark tables."""
import torch
from basicsr.utils.registry import ARCH_REGISTRY
from torch import nn

from ..ops.imresize import imresize_bicubic


@ARCH_REGISTRY.register()
class MatlabBicubicUpsampler(nn.Module):
    """``network_g: {type: MatlabBicubicUpsampler, scale: 4}`` evaluates plain bicubic x4 with any test YAML
    (MATLAB ``imresize``, the anchor of the paper's benchmarks). It has no parameters: leave
    ``path.pretrain_network_g`` empty.

    Args:
        scale: the upsampling factor.
    """

    def __init__(self, scale: int = 4) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return imresize_bicubic(x, self.scale)
