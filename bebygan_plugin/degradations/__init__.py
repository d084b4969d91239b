"""Real-ESRGAN's second-order degradation and training-pair pool, plain torch on any device (issue 21).

- :class:`SecondOrderDegradation` (``second_order``): ``(gt, kernel1, kernel2, sinc_kernel) -> (lq, gt)``;
- :class:`DegradationSettings` (``settings``): its options, under Real-ESRGAN's top-level option keys;
- :class:`TrainingPairPool` (``pair_pool``): the queue of past pairs (``queue_size``);
- the pieces: ``filtering`` (per-image blur, unsharp mask), ``noise`` (Gaussian, Poisson), ``jpeg``.
"""
from .filtering import UnsharpMask, filter2d
from .pair_pool import TrainingPairPool
from .second_order import SecondOrderDegradation
from .settings import DEGRADATION_KEYS, DegradationSettings

__all__ = ['DEGRADATION_KEYS', 'DegradationSettings', 'SecondOrderDegradation', 'TrainingPairPool', 'UnsharpMask',
           'filter2d']
