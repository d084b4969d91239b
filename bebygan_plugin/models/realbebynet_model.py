"""RealBebyNetModel: the pixel-loss stage before RealBebyGANModel, on Real-ESRGAN's synthetic pairs (stage 1)."""
from basicsr.utils.registry import MODEL_REGISTRY

from ..schema import GENERATOR_ONLY_TRAIN
from .bebygan_model import BebyGANModel
from .synthetic_pairs import SyntheticPairsMixin


@MODEL_REGISTRY.register()
class RealBebyNetModel(SyntheticPairsMixin, BebyGANModel):
    """Stage 1, as Real-ESRGAN's ``RealESRNetModel``: the generator alone on its pixel loss (``pixel_opt``; a
    perceptual or back-projection term may be added), trained on pairs synthesised from GT-only data. With
    ``gt_usm`` (default true) the GT is unsharp-masked first, and both the degradation and the pixel loss start
    from it.

    Its step is ``BebyGANModel``'s without the discriminator, so it trains as stage 2 does: AMP, EMA, compile, the
    NaN guard, gradient clipping and accumulation, DDP, crash-safe checkpoints, a save on SIGTERM. Its losses are
    logged under SRModel's names (``l_pix``, ``l_percep``), its checkpoints are SRModel's (``net_g`` with
    ``params`` / ``params_ema``, one optimizer and scheduler).
    """

    train_options = GENERATOR_ONLY_TRAIN
    trains_discriminator = False
    term_names = {'pixel': 'l_pix', 'back_projection': 'l_bp', 'perceptual': 'l_percep', 'style': 'l_style'}

    def __init__(self, opt):
        super().__init__(opt)
        self.setup_synthesis()

    def feed_data(self, data) -> None:
        if not self.synthesises:
            return super().feed_data(data)
        gt = data['gt'].to(self.device)
        if self.real_world['gt_usm']:
            gt = self.unsharp_mask(gt)
        self.lq, self.gt = self.synthesise_pair(data, gt, sharpen_input=False)
        self.lay_out_batch()
