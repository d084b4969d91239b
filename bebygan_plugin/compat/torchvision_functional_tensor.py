"""Patch 1: ``import basicsr`` on torchvision >= 0.17.

``torchvision.transforms.functional_tensor`` was removed in torchvision 0.17, but ``basicsr.data.degradations``
imports ``rgb_to_grayscale`` from it. The module is aliased to its successor
``torchvision.transforms._functional_tensor`` before basicsr is imported. The alias itself lives in the
``.pth`` hook's module ``bebygan_autoload``, which needs it before basicsr loads and must not import this package
(whose ``__init__`` imports basicsr); this module applies it from there.
"""
from bebygan_autoload import alias_torchvision_functional_tensor


def apply() -> None:
    alias_torchvision_functional_tensor()
