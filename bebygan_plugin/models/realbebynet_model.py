"""RealBebyNetModel: the pixel-loss stage before RealBebyGANModel, on Real-ESRGAN's synthetic pairs (stage 1)."""
from basicsr.models.sr_model import SRModel
from basicsr.utils.registry import MODEL_REGISTRY

from ..model_mixins.checkpoint_mixin import CrashSafeCheckpointMixin
from .synthetic_pairs import SyntheticPairsMixin


@MODEL_REGISTRY.register()
class RealBebyNetModel(SyntheticPairsMixin, CrashSafeCheckpointMixin, SRModel):
    """BasicSR's ``SRModel`` (``pixel_opt`` only, EMA) with crash-safe checkpoints, trained on pairs synthesised from
    GT-only data as Real-ESRGAN's ``RealESRNetModel`` does: with ``gt_usm`` (default true) the GT is unsharp-masked
    first, and both the degradation and the pixel loss start from it."""

    def __init__(self, opt):
        super().__init__(opt)
        self.setup_synthesis()

    def feed_data(self, data) -> None:
        if not self.synthesises:
            return super().feed_data(data)
        gt = data['gt'].to(self.device)
        if self.opt.get('gt_usm', True):
            gt = self.unsharp_mask(gt)
        self.lq, self.gt = self.synthesise_pair(data, gt, sharpen_input=False)
