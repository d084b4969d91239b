"""The options of Real-ESRGAN's second-order degradation, read from the top level of an option file under the same
keys as Real-ESRGAN's own option files (``options/train_realesrgan_x4plus.yml`` of xinntao/Real-ESRGAN). The kernel
options (``blur_kernel_size``, ``kernel_list``, ``sinc_prob``, ...) stay on BasicSR's ``RealESRGANDataset``, which
draws the kernels."""
from collections.abc import Mapping
from dataclasses import dataclass, fields

Range = tuple[float, float]
Probabilities = tuple[float, float, float]


@dataclass(frozen=True)
class DegradationSettings:
    """One pass's ``resize_prob`` is ``[up, down, keep]``; ``resize_range`` ``[min, max]`` of the scale (``up``
    draws in ``[1, max]``, ``down`` in ``[min, 1]``); noise is Gaussian with ``gaussian_noise_prob`` (sigma in
    ``noise_range``, 8-bit levels) else Poisson (``poisson_scale_range``), gray with ``gray_noise_prob``; JPEG quality
    in ``jpeg_range``. The ``*2`` keys are the second pass's; ``second_blur_prob`` its blur's probability. ``scale``
    is the SR factor, ``gt_size`` the GT crop taken after degrading."""

    resize_prob: Probabilities
    resize_range: Range
    gaussian_noise_prob: float
    noise_range: Range
    poisson_scale_range: Range
    gray_noise_prob: float
    jpeg_range: Range
    second_blur_prob: float
    resize_prob2: Probabilities
    resize_range2: Range
    gaussian_noise_prob2: float
    noise_range2: Range
    poisson_scale_range2: Range
    gray_noise_prob2: float
    jpeg_range2: Range
    gt_size: int
    scale: int

    @classmethod
    def from_options(cls, opt: Mapping) -> 'DegradationSettings':
        """From a BasicSR option dict (its top level; ``scale`` included). Missing keys raise ``KeyError`` naming
        them all: the option schema declares and checks them before a model is built."""
        missing = [f.name for f in fields(cls) if f.name not in opt]
        if missing:
            raise KeyError(f'the real-world degradation needs the top-level option(s) {", ".join(missing)}')
        return cls(**{f.name: tuple(opt[f.name]) if isinstance(opt[f.name], (list, tuple)) else opt[f.name]
                      for f in fields(cls)})


DEGRADATION_KEYS = tuple(f.name for f in fields(DegradationSettings) if f.name != 'scale')
