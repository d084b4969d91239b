"""RealBebyGANModel: Beby-GAN's training step on Real-ESRGAN's synthetic real-world pairs (stage 2)."""
import torch
from basicsr.models.srgan_model import SRGANModel
from basicsr.utils.registry import MODEL_REGISTRY

from .bebygan_model import BebyGANModel
from .synthetic_pairs import SyntheticPairsMixin


@MODEL_REGISTRY.register()
class RealBebyGANModel(SyntheticPairsMixin, BebyGANModel):
    """``BebyGANModel`` (best-buddy, back-projection, perceptual, region-aware RaGAN; AMP, EMA, compile, the NaN
    guard, DDP, crash-safe checkpoints) trained on pairs synthesised from GT-only data as Real-ESRGAN's
    ``RealESRGANModel`` does (``SyntheticPairsMixin``: second-order degradation, training-pair pool).

    As Real-ESRGAN's, the degradation starts from the unsharp-masked GT and each loss compares with the GT or its
    unsharp-masked copy: ``l1_gt_usm`` (the best-buddy loss), ``percep_gt_usm`` (perceptual), ``gan_gt_usm`` (the
    discriminator's real images). The texture mask and ``bp_opt.target: gt`` use the GT itself.
    """

    def __init__(self, opt):
        super().__init__(opt)
        self.setup_synthesis()

    def feed_data(self, data) -> None:
        if self.synthesises:
            self.lq, self.gt = self.synthesise_pair(data, data['gt'].to(self.device), sharpen_input=True)
        else:
            SRGANModel.feed_data(self, data)
        if self.is_train and hasattr(self, 'gt'):
            self.gt_usm = self.unsharp_mask(self.gt)
        self.lay_out_batch()

    def target(self, usm_key: str) -> torch.Tensor:
        return self.gt_usm if self.opt.get(usm_key, True) else self.gt

    @property
    def pixel_target(self) -> torch.Tensor:
        return self.target('l1_gt_usm')

    @property
    def perceptual_target(self) -> torch.Tensor:
        return self.target('percep_gt_usm')

    @property
    def gan_target(self) -> torch.Tensor:
        return self.target('gan_gt_usm')
