"""What the real-world models (``RealBebyGANModel``, ``RealBebyNetModel``) add to a BasicSR model: the LQ side of
each training batch synthesised from its GT with Real-ESRGAN's second-order degradation (``degradations``), mixed
across batches by the training-pair pool."""
import torch

from ..degradations import DegradationSettings, SecondOrderDegradation, TrainingPairPool, UnsharpMask
from ..schema import REAL_WORLD


class SyntheticPairsMixin:
    """Put it before the BasicSR model class; call :meth:`setup_synthesis` at the end of ``__init__``. Its options
    are the top-level keys of :data:`bebygan_plugin.schema.REAL_WORLD` (Real-ESRGAN's), checked with the others.

    A training batch of BasicSR's ``RealESRGANDataset`` (``gt``, ``kernel1``, ``kernel2``, ``sinc_kernel``) becomes an
    (LQ, GT) pair when ``high_order_degradation`` is true (the default, as Real-ESRGAN's); with it false (a paired
    data set such as ``RealESRGANPairedDataset``) and during validation, the batch's own ``lq`` is used.
    """

    synthesises_pairs = True  # the schema then requires the degradation keys (schema.plugin_options)

    def setup_synthesis(self) -> None:
        self.real_world = REAL_WORLD.resolve(self.opt)  # every key, defaults filled in
        self.degradation = self.pair_pool = None
        if self.is_train and self.real_world['high_order_degradation']:
            settings = DegradationSettings.from_options(self.opt)
            self.degradation = SecondOrderDegradation(settings, self.real_world['basicsr_random_stream'])
            self.degradation.to(self.device)
            self.pair_pool = TrainingPairPool(self.real_world['queue_size'])
        self.unsharp_mask = UnsharpMask().to(self.device) if self.degradation is None else self.degradation.unsharp_mask

    @property
    def synthesises(self) -> bool:
        """Whether :meth:`feed_data` synthesises the LQ (training on GT-only data, not validating)."""
        return self.is_train and self.degradation is not None

    @torch.no_grad()
    def synthesise_pair(self, data: dict, gt: torch.Tensor, sharpen_input: bool) -> tuple:
        """``(lq, gt)``: the degraded, cropped pair of ``gt`` (the batch's GT, or its unsharp-masked copy), degrading
        its unsharp-masked copy when ``sharpen_input``, then exchanged with the pool."""
        missing = [k for k in ('kernel1', 'kernel2', 'sinc_kernel') if k not in data]
        if missing:
            raise KeyError(f'{type(self).__name__} synthesises the LQ from RealESRGANDataset batches, but the batch '
                           f'has no {", ".join(missing)}: use datasets.train.type RealESRGANDataset, or set '
                           'high_order_degradation: false for paired data')
        kernels = [data[k].to(self.device) for k in ('kernel1', 'kernel2', 'sinc_kernel')]
        lq, gt = self.degradation(gt, *kernels, sharpen=sharpen_input)
        return self.pair_pool.exchange(lq, gt)

    def nondist_validation(self, dataloader, current_iter, tb_logger, save_img):
        """Validation on the validation set's own LQ images (no synthesis), as Real-ESRGAN's."""
        self.is_train = False
        try:
            super().nondist_validation(dataloader, current_iter, tb_logger, save_img)
        finally:
            self.is_train = True
