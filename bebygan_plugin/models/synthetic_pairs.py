"""What the real-world models (``RealBebyGANModel``, ``RealBebyNetModel``) add to a BasicSR model: the LQ side of
each training batch synthesised from its GT with Real-ESRGAN's second-order degradation (``degradations``), mixed
across batches by the training-pair pool."""
import torch

from ..degradations import DegradationSettings, SecondOrderDegradation, TrainingPairPool, UnsharpMask


class SyntheticPairsMixin:
    """Put it before the BasicSR model class; call :meth:`setup_synthesis` at the end of ``__init__``.

    A training batch of BasicSR's ``RealESRGANDataset`` (``gt``, ``kernel1``, ``kernel2``, ``sinc_kernel``) becomes an
    (LQ, GT) pair when ``high_order_degradation`` is true (the default, as Real-ESRGAN's); with it false (a paired
    data set such as ``RealESRGANPairedDataset``) and during validation, the batch's own ``lq`` is used.
    """

    def setup_synthesis(self) -> None:
        self.degradation = self.pair_pool = None
        if self.is_train and self.opt.get('high_order_degradation', True):
            settings = DegradationSettings.from_options(self.opt)
            self.degradation = SecondOrderDegradation(settings, self.opt.get('basicsr_random_stream', False))
            self.degradation.to(self.device)
            self.pair_pool = TrainingPairPool(self.opt.get('queue_size', 180))
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
            raise KeyError(f'{type(self).__name__} synthesises the LQ from RealESRGANDataset batches, but the batch has '
                           f'no {", ".join(missing)}: use datasets.train.type RealESRGANDataset, or set '
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
