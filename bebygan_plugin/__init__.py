"""Beby-GAN (Best-Buddy GAN, Li et al. AAAI 2021) as a BasicSR plugin.

Importing this package adapts BasicSR to current torch / torchvision (:mod:`bebygan_plugin.compat`, which also
makes ``import basicsr`` work on torchvision >= 0.17) and registers the plugin's components in BasicSR's
registries:

- ``ARCH_REGISTRY``: ``MaskedUNetDiscriminator``, ``MaskedVGGStyleDiscriminator``, ``MatlabBicubicUpsampler``
- ``LOSS_REGISTRY``: ``BestBuddyLoss``, ``BackProjectionLoss``, ``RelativisticAverageGANLoss``
- ``MODEL_REGISTRY``: ``BebyGANModel``
- ``METRIC_REGISTRY``: ``calculate_lpips`` (LPIPS-VGG, needs ImageNet VGG16 weights), ``calculate_pyiqa``
  (any pyiqa metric, e.g. the paper's PI)

The texture mask of Eq. 5 is :func:`bebygan_plugin.texture_mask`; the bicubic operator S is
:func:`bebygan_plugin.imresize_bicubic`.
"""
from . import compat

compat.apply()

from . import archs, losses, metrics, models  # noqa: E402,F401  (registration side effects)
from .ops.imresize import imresize_bicubic  # noqa: E402
from .ops.texture_mask import texture_mask  # noqa: E402

__version__ = '0.1.0'
__all__ = ['imresize_bicubic', 'texture_mask', '__version__']
