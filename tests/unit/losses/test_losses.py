"""Losses against their equations on small tensors: best-buddy (Eq. 1-3), back-projection (Eq. 4), RaGAN (Eq. 7-9)."""
import math
import re

import pytest
import torch
from basicsr.losses.basic_loss import L1Loss
from basicsr.utils.matlab_functions import imresize as basicsr_imresize
from torch.nn import functional as F

from bebygan_plugin.losses.back_projection_loss import BackProjectionLoss
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.losses.relativistic_gan_loss import RelativisticAverageGANLoss
from bebygan_plugin.ops.best_buddy import candidate_patches, extract_patches
from bebygan_plugin.ops.imresize import imresize_bicubic


@pytest.mark.parametrize('shape', [(1, 3, 12, 12), (2, 3, 24, 18), (3, 1, 9, 27), (2, 3, 128, 128), (1, 3, 130, 127),
                                   (1, 3, 4, 5)])
def test_best_buddy_with_beta_zero_is_exactly_l1_for_any_size(shape):
    """128 x 128 (BasicSR's ESRGAN gt_size) and sizes that are no multiple of 3: the border pixels count too."""
    torch.manual_seed(0)
    pred, gt = torch.rand(shape), torch.rand(shape)
    bbl = BestBuddyLoss(loss_weight=1.0, alpha=1.0, beta=0.0)(pred, gt)
    assert bbl.item() == L1Loss(loss_weight=1.0)(pred, gt).item()
    overlapping = BestBuddyLoss(loss_weight=1.0, alpha=1.0, beta=0.0, stride=2)(pred, gt)
    assert overlapping.item() == pytest.approx(L1Loss(loss_weight=1.0)(pred, gt).item(), rel=1e-6)


@pytest.mark.parametrize('stride', [3, 2])
def test_best_buddy_supervises_every_pixel_of_an_odd_sized_image(stride):
    torch.manual_seed(9)
    pred = torch.rand(1, 3, 130, 127, requires_grad=True)
    BestBuddyLoss(stride=stride)(pred, torch.rand(1, 3, 130, 127)).backward()
    if stride == 3:  # each pixel has one buddy pixel: the L1 sub-gradient is +-1 / numel everywhere
        assert torch.allclose(pred.grad.abs(), torch.full_like(pred, 1 / pred.numel()))
    else:  # overlapping: the patches' signs may cancel on a pixel, but the last rows and columns are reached
        assert pred.grad[..., -1, :].abs().sum() > 0 and pred.grad[..., :, -1].abs().sum() > 0


def test_best_buddy_picks_a_pyramid_patch_that_is_closer_to_the_estimate():
    torch.manual_seed(1)
    gt = torch.rand(1, 3, 24, 24)
    candidates = candidate_patches(gt, (1.0, 0.5, 0.25), 3, 3)
    n_level1 = 64
    # Estimate = GT, except patch 0 is replaced by a candidate from the 1/2 level of the pyramid.
    donor = n_level1 + 5
    pred_patches = extract_patches(gt, 3, 3).clone()
    pred_patches[0, 0] = candidates[0, donor]
    pred = F.fold(pred_patches.transpose(1, 2), (24, 24), kernel_size=3, stride=3)
    assert F.l1_loss(pred, gt).item() > 0
    # beta > alpha: the donor scores alpha*d < beta*d of the GT patch itself, so it becomes the buddy -> zero loss.
    assert BestBuddyLoss(alpha=1.0, beta=2.0)(pred, gt).item() == pytest.approx(0.0, abs=1e-7)
    # beta = 0: plain one-to-one MAE against the GT patch.
    assert BestBuddyLoss(alpha=1.0, beta=0.0)(pred, gt).item() == pytest.approx(F.l1_loss(pred, gt).item())


def test_best_buddy_gradient_reaches_only_the_prediction():
    torch.manual_seed(2)
    pred = torch.rand(2, 3, 15, 15, requires_grad=True)
    gt = torch.rand(2, 3, 15, 15, requires_grad=True)
    BestBuddyLoss()(pred, gt).backward()
    assert gt.grad is None
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    # L1 sub-gradient: every element moves with magnitude 1 / numel towards its buddy.
    assert torch.allclose(pred.grad.abs(), torch.full_like(pred, 1 / pred.numel()))


@pytest.mark.parametrize('kwargs, fragment', [
    ({'pyramid_scales': [0.5, 0.25]}, 'start with 1'),
    ({'alpha': 0.0, 'beta': 0.0}, 'alpha + beta > 0'),
    ({'alpha': -1.0}, 'alpha >= 0'),
    ({'patch_size': 0}, 'patch_size'),
    ({'stride': 4}, 'stride 4 > patch_size 3'),
    ({'pyramid_resize': 'bilinear'}, 'pyramid_resize'),
])
def test_best_buddy_rejects_bad_options(kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        BestBuddyLoss(**kwargs)


def test_best_buddy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='differ'):
        BestBuddyLoss()(torch.rand(1, 3, 12, 12), torch.rand(1, 3, 12, 9))


@pytest.mark.parametrize('scale', [1 / 4, 1 / 2, 1 / 3, 2, 4])
def test_bicubic_operator_matches_basicsr_imresize(scale):
    torch.manual_seed(3)
    img = torch.rand(2, 3, 37, 44)
    ours = imresize_bicubic(img, scale)
    reference = torch.stack([basicsr_imresize(x, scale) for x in img])
    assert ours.shape == reference.shape
    assert (ours - reference).abs().max().item() <= 1e-5


def test_bicubic_operator_is_differentiable_and_linear():
    img = torch.rand(1, 3, 16, 16, requires_grad=True)
    out = imresize_bicubic(img, 1 / 4)
    out.sum().backward()
    assert img.grad is not None
    # Rows of the MATLAB kernel sum to 1: a constant image stays that constant.
    assert torch.allclose(imresize_bicubic(torch.full((1, 1, 20, 20), 0.3), 1 / 4), torch.tensor(0.3))


def test_back_projection_is_zero_when_lr_is_the_projection_of_the_estimate():
    torch.manual_seed(4)
    pred = torch.rand(2, 3, 32, 32)
    lr = imresize_bicubic(pred, 1 / 4)
    assert BackProjectionLoss(scale=4)(pred, lr).item() == 0.0
    assert BackProjectionLoss(scale=4)(pred, lr + 0.1).item() == pytest.approx(0.1, rel=1e-5)


def test_back_projection_downsamples_an_hr_target_itself():
    torch.manual_seed(5)
    pred, hr = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    loss = BackProjectionLoss(loss_weight=2.0, scale=4)
    expected = 2.0 * F.l1_loss(imresize_bicubic(pred, 0.25), imresize_bicubic(hr, 0.25))
    assert loss(pred, hr).item() == pytest.approx(expected.item())


def test_back_projection_names_the_scale_on_a_size_mismatch():
    with pytest.raises(ValueError, match='x4 LR size'):
        BackProjectionLoss(scale=4)(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 16, 16))


def _bce_terms(logits, real):
    return -(F.logsigmoid(logits) if real else F.logsigmoid(-logits)).mean()


def test_ragan_losses_follow_eq_7_to_9():
    torch.manual_seed(6)
    c_real, c_fake = torch.randn(4, 1), torch.randn(4, 1)
    d_real = torch.sigmoid(c_real - c_fake.mean())  # Eq. 9, x real
    d_fake = torch.sigmoid(c_fake - c_real.mean())  # Eq. 9, x fake
    eq7 = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    eq8 = -torch.log(1 - d_real).mean() - torch.log(d_fake).mean()
    loss = RelativisticAverageGANLoss(loss_weight=0.005)
    assert loss(c_real, c_fake, True).item() == pytest.approx(eq7.item(), rel=1e-5)
    assert loss(c_real, c_fake, False).item() == pytest.approx(0.005 * eq8.item(), rel=1e-5)


def test_ragan_weight_restricts_every_expectation_to_textured_pixels():
    torch.manual_seed(7)
    real, fake = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    weight = (torch.rand(2, 1, 4, 4) > 0.5).float()
    sel = weight.bool()
    expected = _bce_terms(real[sel] - fake[sel].mean(), True) + _bce_terms(fake[sel] - real[sel].mean(), False)
    loss = RelativisticAverageGANLoss()
    assert loss(real, fake, True, weight).item() == pytest.approx(expected.item(), rel=1e-5)
    # Flat pixels carry no signal: changing their logits changes nothing.
    noisy_real = torch.where(sel, real, torch.randn_like(real) * 10)
    assert loss(noisy_real, fake, True, weight).item() == pytest.approx(expected.item(), rel=1e-5)
    assert loss(real, fake, True, torch.zeros_like(weight)).item() == 0.0
    assert math.isfinite(loss(real, fake, False, weight).item())


def test_ragan_released_form_averages_the_terms_and_detaches_the_means_for_d():
    """The authors' code: 0.5 * each term for G and D; in D's loss E[C(x_f)] and E[C(x_r)] are constants."""
    torch.manual_seed(8)
    c_real, c_fake = torch.randn(4, 1, requires_grad=True), torch.randn(4, 1, requires_grad=True)
    released = RelativisticAverageGANLoss(loss_weight=0.005, term_reduction='mean', detach_d_means=True)
    paper = RelativisticAverageGANLoss(loss_weight=0.005)

    l_d = released(c_real, c_fake, True)
    grads = torch.autograd.grad(l_d, (c_real, c_fake))
    expected = 0.5 * _bce_terms(c_real - c_fake.mean().detach(), True) \
        + 0.5 * _bce_terms(c_fake - c_real.mean().detach(), False)
    expected_grads = torch.autograd.grad(expected, (c_real, c_fake))
    assert l_d.item() == pytest.approx(expected.item(), rel=1e-6)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want)
    paper_grads = torch.autograd.grad(paper(c_real, c_fake, True), (c_real, c_fake))
    assert not torch.allclose(paper_grads[0], 2 * grads[0])  # the paper's form also differentiates the means
    assert l_d.item() == pytest.approx(0.5 * paper(c_real, c_fake, True).item(), rel=1e-6)

    l_g = released(c_real, c_fake, False)
    assert l_g.item() == pytest.approx(0.5 * paper(c_real, c_fake, False).item(), rel=1e-6)
    g_grads = torch.autograd.grad(l_g, (c_real, c_fake))
    paper_g_grads = torch.autograd.grad(paper(c_real, c_fake, False), (c_real, c_fake))
    for got, want in zip(g_grads, paper_g_grads):  # G: no detaching, only the 0.5
        torch.testing.assert_close(2 * got, want)


@pytest.mark.parametrize('kwargs, fragment', [({'term_reduction': 'avg'}, 'term_reduction'),
                                              ({'detach_d_means': 'yes'}, 'detach_d_means')])
def test_ragan_rejects_bad_options(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        RelativisticAverageGANLoss(**kwargs)
