"""Mixed precision on CPU (bf16 autocast): the search stays float32, the losses stay accurate, a step runs."""
import pytest
import torch

import bebygan_plugin  # noqa: F401  (before basicsr)
from bebygan_plugin.losses.back_projection_loss import BackProjectionLoss
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.ops.best_buddy import candidate_patches, extract_patches, find_best_buddies
from bebygan_plugin.ops.imresize import imresize_bicubic
from devtools.photos import photo_estimate_pair
from devtools.recipe import build_in_process, tiny_recipe
from tests.helpers.references import assert_buddies_come_from_elsewhere


def _pair(seed=0, size=30):
    gen = torch.Generator().manual_seed(seed)
    gt = torch.rand(2, 3, size, size, generator=gen)
    pred = (gt + 0.05 * torch.randn(gt.shape, generator=gen)).clamp(0, 1)
    return pred, gt


def test_search_under_bf16_autocast_is_the_float32_search():
    """A bf16 estimate of real photo crops (whose buddies are mostly other patches, many of them coarser): the
    search under autocast is the float32 search, and that is Eq. 2's exact argmin (ties aside)."""
    pred, gt = photo_estimate_pair(2, 30, 30, torch.float32, seed=1)
    pred_bf16 = pred.bfloat16()
    pred_p, gt_p = extract_patches(pred_bf16, 3, 3), extract_patches(gt, 3, 3)
    cand = candidate_patches(gt, (1.0, 0.5, 0.25), 3, 3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        index_amp = find_best_buddies(pred_p, gt_p, cand, 1.0, 1.0, max_chunk_elems=777)
    index_fp32 = find_best_buddies(pred_p.float(), gt_p, cand, 1.0, 1.0)
    assert torch.equal(index_amp, index_fp32)
    scores = (torch.cdist(gt_p.double(), cand.double()).pow(2)  # Eq. 2 in float64, every candidate
              + torch.cdist(pred_p.double(), cand.double()).pow(2))
    chosen = torch.gather(scores, 2, index_fp32[..., None]).squeeze(-1)
    assert torch.all(chosen <= scores.min(-1).values + 1e-5)
    assert_buddies_come_from_elsewhere(index_fp32, pred_p.size(1))


def test_losses_under_bf16_autocast_are_float32_and_match():
    pred, gt = _pair(2, size=32)
    pred_bf16 = pred.bfloat16().requires_grad_()
    lq = imresize_bicubic(gt, 0.25)
    bb, bp = BestBuddyLoss(), BackProjectionLoss(scale=4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        l_bb, l_bp = bb(pred_bf16, gt), bp(pred_bf16, lq)
    assert l_bb.dtype == torch.float32 and l_bp.dtype == torch.float32
    ref = pred_bf16.detach().float()
    assert l_bb.item() == pytest.approx(bb(ref, gt).item(), rel=1e-6)
    assert l_bp.item() == pytest.approx(bp(ref, lq).item(), rel=1e-6)
    (l_bb + l_bp).backward()
    assert pred_bf16.grad.dtype == torch.bfloat16 and torch.isfinite(pred_bf16.grad.float()).all()
    assert pred_bf16.grad.abs().sum() > 0


def _tiny_opt(amp_dtype):
    return tiny_recipe('amp_test', **{'train.ema_decay': 0, 'train.amp': {'enabled': True, 'dtype': amp_dtype}})


def test_bebygan_step_runs_under_bf16_autocast_on_cpu():
    model = build_in_process(_tiny_opt('bf16'))
    assert model.amp_dtype == torch.bfloat16
    pred, gt = _pair(3, size=32)
    model.feed_data({'lq': imresize_bicubic(gt, 0.25), 'gt': gt})
    g_before = [p.detach().clone() for p in model.net_g.parameters()]
    d_before = [p.detach().clone() for p in model.net_d.parameters()]
    for it in (1, 2):
        model.optimize_parameters(it)
        log = model.get_current_log()
        for key in ('l_g_bb', 'l_g_bp', 'l_g_gan', 'l_d'):
            assert key in log and torch.isfinite(torch.as_tensor(log[key])).all(), key
    assert model.output.dtype == torch.bfloat16  # the generator really ran under autocast
    assert any(not torch.equal(a, b) for a, b in zip(g_before, model.net_g.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, model.net_d.parameters()))
    assert all(torch.isfinite(p).all() for p in model.net_g.parameters())
