"""Exactness of the fast Beby-GAN operators against small naive implementations written from the paper.

The fast paths (chunked expansion search with a two-level argmin, reshape patch extraction, running-sum box
filter, dense-matrix bicubic) must give the same buddies, loss, gradients, masks and images as the literal
formulas. Sizes are odd on purpose and chunk sizes do not divide the number of patches. The search runs on real
photo crops (Set5) against an independent estimate of the same scene, where most best buddies are other patches
than the own GT patch and many come from the coarser pyramid levels.
"""
import math

import pytest
import torch
from torch.nn import functional as F

import bebygan_plugin  # noqa: F401  (before basicsr)
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.ops import best_buddy
from bebygan_plugin.ops.best_buddy import candidate_patches, extract_patches, find_best_buddies
from bebygan_plugin.ops.imresize import imresize_bicubic
from bebygan_plugin.ops.color import luminance
from bebygan_plugin.ops.texture_mask import local_std, texture_mask
from devtools.photos import photo_estimate_pair
from devtools.naive_references import (explicit_scores, literal_best_buddy_loss, literal_local_std, literal_patches,
                                       patch_coverage, reference_imresize_batch)
from tests.helpers.references import assert_buddies_come_from_elsewhere


# ---------------------------------------------------------------------------------------------------------------
# naive references: devtools.naive_references

def assert_same_buddies(index, pred_p, gt_p, cand, alpha, beta, rtol):
    """Same buddies as the exact argmin, ties aside: where they differ, both candidates score equally."""
    scores = explicit_scores(pred_p, gt_p, cand, alpha, beta)
    best = scores.min(-1).values
    chosen = torch.gather(scores, 2, index[..., None]).squeeze(-1)
    assert torch.all(chosen <= best + rtol * (1 + best.abs())), (chosen - best).max()
    exact = scores.argmin(-1)
    differ = (index != exact).float().mean().item()
    assert differ <= 0.01, f'{differ:.2%} of buddies differ from the exact argmin'
    return exact


# ---------------------------------------------------------------------------------------------------------------
# best-buddy search

@pytest.mark.parametrize('h, w, patch, stride', [(23, 31, 3, 3), (20, 17, 3, 2), (19, 25, 4, 3), (9, 11, 2, 2),
                                                (24, 21, 3, 3), (21, 17, 3, 2)])
def test_extract_patches_matches_literal_windows(h, w, patch, stride):
    img = torch.rand(2, 3, h, w)
    fast = extract_patches(img, patch, stride)
    assert torch.equal(fast, literal_patches(img, patch, stride))
    if (h - patch) % stride == 0 and (w - patch) % stride == 0:  # the grid fits: exactly unfold
        assert torch.equal(fast, F.unfold(img, patch, stride=stride).transpose(1, 2))
    assert torch.all(patch_coverage(h, w, patch, stride) > 0)


@pytest.mark.parametrize('chunk', [1, 97, 5 * 131 + 7, 1 << 24])
@pytest.mark.parametrize('alpha, beta', [(1.0, 1.0), (0.3, 2.0), (1.0, 0.0), (0.0, 1.0)])
def test_buddies_equal_naive_search_float64(chunk, alpha, beta):
    """float64 inputs: the search runs in float64; chunks of 1 score, of odd sizes, and one chunk for all."""
    pred, gt = photo_estimate_pair(2, 23, 29, torch.float64, seed=1)
    pred_p, gt_p = extract_patches(pred, 3, 3), extract_patches(gt, 3, 3)
    cand = candidate_patches(gt, (1.0, 0.5, 0.25), 3, 3)
    index = find_best_buddies(pred_p, gt_p, cand, alpha, beta, max_chunk_elems=chunk)
    assert index.shape == pred_p.shape[:2] and index.dtype == torch.long
    exact = assert_same_buddies(index, pred_p, gt_p, cand, alpha, beta, rtol=1e-12)
    assert torch.equal(index, exact)
    if beta > 0:
        assert_buddies_come_from_elsewhere(index, pred_p.size(1))
    else:  # Eq. 2 with beta = 0: the own GT patch, or an identical one
        assert torch.equal(torch.gather(cand, 1, index[..., None].expand(-1, -1, cand.size(-1))), gt_p)


@pytest.mark.parametrize('chunk', [3 * 127, 1000, 1 << 24])
def test_buddies_equal_naive_search_float32_ties_aside(chunk):
    pred, gt = photo_estimate_pair(3, 37, 41, torch.float32, seed=2)
    pred_p, gt_p = extract_patches(pred, 3, 3), extract_patches(gt, 3, 3)
    cand = candidate_patches(gt, (1.0, 0.5, 0.25), 3, 3)
    index = find_best_buddies(pred_p, gt_p, cand, 1.0, 1.0, max_chunk_elems=chunk)
    assert_same_buddies(index, pred_p, gt_p, cand, 1.0, 1.0, rtol=1e-5)
    assert_buddies_come_from_elsewhere(index, pred_p.size(1))


def test_two_level_argmin_group_boundaries(monkeypatch):
    """Candidate counts below, at and above the group size, with the minimum planted at group edges."""
    for num_cand in (5, 128, 129, 300):
        for group in (4, 128):
            monkeypatch.setattr(best_buddy, '_GROUP', group)
            gen = torch.Generator().manual_seed(num_cand + group)
            cand = torch.rand(2, num_cand, 6, generator=gen, dtype=torch.float64)
            num = min(num_cand, 40)
            pred_p = torch.rand(2, num, 6, generator=gen, dtype=torch.float64)
            # plant exact copies of the estimates at the last candidate and at a group edge (ties: first index wins)
            cand[0, -1] = pred_p[0, 0]
            if num_cand > group:
                cand[1, group] = pred_p[1, 1]
                cand[1, group - 1] = pred_p[1, 1]
            gt_p = cand[:, :num].clone()
            index = find_best_buddies(pred_p, gt_p, cand, 0.0, 1.0, max_chunk_elems=7 * num_cand + 3)
            exact = explicit_scores(pred_p, gt_p, cand, 0.0, 1.0).argmin(-1)
            assert torch.equal(index, exact), (num_cand, group)
            assert index[0, 0] == num_cand - 1
            if num_cand > group:
                assert index[1, 1] == group - 1


def test_exact_ties_go_to_the_lower_index_and_beta_zero_stays_l1():
    """beta = 0: the GT patch scores 0, and so does an identical patch elsewhere; as a plain argmin, the tie goes to
    the lower index (an identical patch, so the loss is still plain L1). Near-ties that the float expansion could
    misorder are re-scored exactly: every other patch gets its own GT patch."""
    pred, gt = photo_estimate_pair(1, 12, 12, torch.float32, seed=3)
    gt[..., 6:9, 6:9] = gt[..., 0:3, 0:3]  # patch 10 duplicates patch 0 in the first level
    pred_p, gt_p = extract_patches(pred, 3, 3), extract_patches(gt, 3, 3)
    cand = candidate_patches(gt, (1.0, 0.5), 3, 3)
    index = find_best_buddies(pred_p, gt_p, cand, 1.0, 0.0)
    expected = torch.arange(index.size(1))
    expected[10] = 0
    assert torch.equal(index[0], expected)
    assert torch.equal(torch.gather(cand, 1, index[..., None].expand(-1, -1, cand.size(-1))), gt_p)


# ---------------------------------------------------------------------------------------------------------------
# loss and gradients

@pytest.mark.parametrize('h, w, patch, stride, chunk', [
    (24, 24, 3, 3, 1 << 24),  # the paper's setting, divisible size
    (25, 31, 3, 3, 211),  # odd size: edge-anchored last patches, chunk not dividing N
    (22, 19, 3, 2, 1000),  # overlapping patches, edge-anchored last column
    (21, 21, 3, 2, 1000),  # overlapping patches, the grid fits (unfold path)
])
def test_loss_and_gradients_equal_naive(h, w, patch, stride, chunk):
    pred, gt = photo_estimate_pair(2, h, w, torch.float64, seed=4)
    scales = (1.0, 0.5, 0.25)
    fast_pred = pred.clone().requires_grad_()
    loss = BestBuddyLoss(1.0, 1.0, 1.0, patch, stride, scales, max_chunk_elems=chunk)(fast_pred, gt)
    loss.backward()
    naive_pred = pred.clone().requires_grad_()
    expected, index = literal_best_buddy_loss(naive_pred, gt, 1.0, 1.0, patch, stride, scales)
    expected.backward()
    assert_buddies_come_from_elsewhere(index, index.size(1))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12, abs=1e-15)
    torch.testing.assert_close(fast_pred.grad, naive_pred.grad, rtol=0, atol=1e-15)
    # every pixel is supervised: its gradient is +-1/numel, unless residuals of overlapping patches cancel
    alone = (patch_coverage(h, w, patch, stride) == 1) if stride != patch else torch.ones(h, w, dtype=torch.bool)
    assert fast_pred.grad[alone.expand_as(fast_pred)].abs().min() > 0


def test_loss_float32_matches_naive_float64_within_rounding():
    pred, gt = photo_estimate_pair(2, 33, 27, torch.float32, seed=5)
    fast_pred = pred.clone().requires_grad_()
    loss = BestBuddyLoss(max_chunk_elems=500)(fast_pred, gt)
    loss.backward()
    naive_pred = pred.double().requires_grad_()
    expected, _ = literal_best_buddy_loss(naive_pred, gt.double(), 1.0, 1.0, 3, 3, (1.0, 0.5, 0.25))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=2e-3)
    # gradients are sign(p - g*) / numel: equal wherever the buddy is equal (ties aside)
    agree = (fast_pred.grad.double() - naive_pred.grad).abs() <= 1e-9
    assert agree.float().mean() >= 0.99


def test_beta_zero_is_plain_l1():
    pred, gt = photo_estimate_pair(2, 27, 21, torch.float32, seed=6)
    loss = BestBuddyLoss(beta=0.0)(pred, gt)
    assert loss.item() == pytest.approx(F.l1_loss(pred, gt).item(), rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# texture mask

@pytest.mark.parametrize('shape, k', [((2, 3, 37, 23), 11), ((1, 1, 19, 40), 5), ((2, 3, 13, 13), 3),
                                      ((1, 3, 12, 12), 1), ((1, 3, 64, 48), 11)])
def test_texture_mask_equals_unfold_std(shape, k):
    torch.manual_seed(7)
    img = torch.rand(*shape)
    img[..., : shape[-2] // 2, :] = 0.5 + 0.01 * img[..., : shape[-2] // 2, :]  # a flat half around the threshold
    gray = luminance(img)
    std = literal_local_std(gray, k)
    torch.testing.assert_close(local_std(gray, k).double(), std, rtol=0, atol=1e-7)
    mask = texture_mask(img, k, 0.025)
    expected = (std >= 0.025).float()
    near = (std - 0.025).abs() < 1e-9  # rounding-level ties at the threshold may go either way
    assert torch.equal(mask[~near], expected[~near])
    assert mask.dtype == img.dtype and mask.shape == gray.shape
    if k > 1:
        assert 0 < mask.mean() < 1


# ---------------------------------------------------------------------------------------------------------------
# bicubic operator S

@pytest.mark.parametrize('h, w, scale', [(192, 192, 0.25), (37, 50, 0.5), (31, 29, 1 / 3), (40, 24, 0.25)])
def test_imresize_matches_basicsr(h, w, scale):
    img = torch.rand(3, 3, h, w)
    fast = imresize_bicubic(img, scale)
    expected = reference_imresize_batch(img, scale)
    assert fast.shape == expected.shape == (3, 3, math.ceil(h * scale), math.ceil(w * scale))
    assert (fast - expected).abs().max().item() <= 1e-5


def test_imresize_gradient_is_the_adjoint():
    x = torch.rand(1, 2, 13, 17, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: imresize_bicubic(t, 0.5), (x,))
