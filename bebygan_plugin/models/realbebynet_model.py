"""RealBebyNetModel: the pixel-loss stage before RealBebyGANModel, on Real-ESRGAN's synthetic pairs (stage 1)."""
from basicsr.models.sr_model import SRModel
from basicsr.utils.registry import MODEL_REGISTRY

from ..model_mixins.checkpoint_mixin import CrashSafeCheckpointMixin
from ..problems import ProblemsFound
from ..schema import check_options
from ..schema.basicsr_options import TRAIN_BY_MODEL
from .synthetic_pairs import SyntheticPairsMixin


@MODEL_REGISTRY.register()
class RealBebyNetModel(SyntheticPairsMixin, CrashSafeCheckpointMixin, SRModel):
    """BasicSR's ``SRModel`` (``pixel_opt`` only, EMA) with crash-safe checkpoints, trained on pairs synthesised from
    GT-only data as Real-ESRGAN's ``RealESRNetModel`` does: with ``gt_usm`` (default true) the GT is unsharp-masked
    first, and both the degradation and the pixel loss start from it."""

    train_options = TRAIN_BY_MODEL['SRModel']  # the declaration of its train section (SRModel's)

    def __init__(self, opt):
        super().__init__(opt)
        self.setup_synthesis()

    def init_training_settings(self) -> None:
        """The options checked against their declarations first (the preflight's messages), then SRModel's."""
        problems = check_options(self.opt, is_train=True, whole_run=False)
        if problems:
            raise ProblemsFound(type(self).__name__, problems, 'the options', f'{type(self).__name__} was not built')
        super().init_training_settings()

    def feed_data(self, data) -> None:
        if not self.synthesises:
            return super().feed_data(data)
        gt = data['gt'].to(self.device)
        if self.real_world['gt_usm']:
            gt = self.unsharp_mask(gt)
        self.lq, self.gt = self.synthesise_pair(data, gt, sharpen_input=False)
