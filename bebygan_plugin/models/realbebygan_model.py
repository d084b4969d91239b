"""RealBebyGANModel: Beby-GAN's training step on Real-ESRGAN's synthetic real-world pairs (stage 2)."""
import torch
from basicsr.losses.gan_loss import GANLoss
from basicsr.models.srgan_model import SRGANModel
from basicsr.utils.registry import MODEL_REGISTRY

from ..schema import REAL_WORLD_TRAIN
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

    So that Real-ESRGAN's own option files run once their ``model_type`` names this model, ``gan_opt`` may also be
    BasicSR's ``GANLoss`` (their vanilla GAN): the adversarial terms are then RealESRGANModel's, not relativistic.
    """

    train_options = REAL_WORLD_TRAIN  # BebyGANModel's, with BasicSR's GANLoss also accepted

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
        return self.gt_usm if self.real_world[usm_key] else self.gt

    @property
    def pixel_target(self) -> torch.Tensor:
        return self.target('l1_gt_usm')

    @property
    def perceptual_target(self) -> torch.Tensor:
        return self.target('percep_gt_usm')

    @property
    def gan_target(self) -> torch.Tensor:
        return self.target('gan_gt_usm')

    def gan_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor, for_discriminator: bool, mask):
        """RaGAN (Eq. 7-9, ``BebyGANModel``), or with BasicSR's ``GANLoss`` the standard terms of Real-ESRGAN's
        ``RealESRGANModel``: G ``loss(D(fake), real)``, D ``loss(D(real), real) + loss(D(fake), fake)``."""
        if not isinstance(self.cri_gan, GANLoss):
            return super().gan_loss(real_logits, fake_logits, for_discriminator, mask)
        if for_discriminator:
            return (self.cri_gan(real_logits.float(), True, is_disc=True)
                    + self.cri_gan(fake_logits.float(), False, is_disc=True))
        return self.cri_gan(fake_logits.float(), True, is_disc=False)
