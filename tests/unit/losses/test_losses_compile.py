"""Beby-GAN's losses trace into one graph each under ``torch.compile`` (no graph break), so ``train.compile`` captures
them inside the step's passes, ready for CUDA graphs. ``torch._dynamo.explain`` traces without compiling."""
import pytest
import torch

from bebygan_plugin.losses.back_projection_loss import BackProjectionLoss
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.losses.relativistic_gan_loss import RelativisticAverageGANLoss
from bebygan_plugin.ops.texture_mask import texture_mask
from devtools.photos import photo_batch


def _cases():
    batch = photo_batch(gt_size=24)
    gt, lq = batch['gt'], batch['lq']
    pred = (gt + 0.05 * torch.randn(gt.shape, generator=torch.Generator().manual_seed(0))).requires_grad_()
    mask = texture_mask(gt)
    real, fake = torch.randn(2, 1, 24, 24), torch.randn(2, 1, 24, 24, requires_grad=True)
    return {
        'best-buddy (Eq. 1-3)': (BestBuddyLoss(), (pred, gt)),
        'best-buddy, edge-anchored patches': (BestBuddyLoss(), (pred[..., :23, :22], gt[..., :23, :22])),
        'overlapping best-buddy': (BestBuddyLoss(patch_size=3, stride=2), (pred[..., :23, :22], gt[..., :23, :22])),
        'back-projection (Eq. 4)': (BackProjectionLoss(), (pred, lq)),
        'texture mask (Eq. 5)': (texture_mask, (gt,)),
        'RaGAN D (Eq. 7)': (RelativisticAverageGANLoss(), (real, fake, True, mask)),
        'RaGAN G (Eq. 8)': (RelativisticAverageGANLoss(), (real, fake, False, mask)),
    }


@pytest.mark.parametrize('name', list(_cases()))
def test_the_loss_is_one_graph(name):
    fn, args = _cases()[name]
    torch._dynamo.reset()
    explained = torch._dynamo.explain(fn)(*args)
    assert explained.graph_break_count == 0, [b.reason for b in explained.break_reasons]
    assert explained.graph_count == 1
