"""The best-buddy search plan (``search_plan``): cache-sized blocks and a two-level argmin on the CPU, one chunk and
one argmin on a GPU with the memory for it, smaller chunks when memory is short. Every plan picks the same buddies:
the GPU plans are run here on the CPU and compared with the CPU's and with the exact argmin."""
import pytest
import torch

from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.ops import best_buddy
from bebygan_plugin.ops.best_buddy import candidate_patches, extract_patches, find_best_buddies, search_plan
from devtools.photos import photo_estimate_pair

GIB = 2 ** 30
PAPER = dict(batch=8, num=64 * 64, num_cand=64 * 64 + 32 * 32 + 16 * 16)  # B=8, 192x192, 3x3 patches, 3 levels


def test_a_gpu_searches_the_paper_setting_in_one_chunk_and_one_argmin():
    assert search_plan(torch.device('cuda'), **PAPER, free_bytes=60 * GIB) == (8, 4096, None)


def test_short_gpu_memory_splits_the_search_into_row_chunks():
    images, rows, group = search_plan(torch.device('cuda'), **PAPER, free_bytes=GIB)  # a quarter: 64 M scores
    assert group is None and images * rows * PAPER['num_cand'] <= GIB // 4 // 4
    assert images == 8 and 1 <= rows < 4096


def test_the_cpu_keeps_cache_sized_blocks_and_max_chunk_elems_caps_any_device():
    images, rows, group = search_plan(torch.device('cpu'), **PAPER)
    width = -(-PAPER['num_cand'] // group) * group
    assert group == best_buddy._GROUP and images * rows * width <= best_buddy._CPU_CHUNK_ELEMS < 8 * 4096 * width
    images, rows, _ = search_plan(torch.device('cuda'), **PAPER, max_chunk_elems=10 ** 6, free_bytes=60 * GIB)
    assert images * rows * PAPER['num_cand'] <= 10 ** 6


def _search_inputs(dtype):
    pred, gt = photo_estimate_pair(3, 30, 33, dtype=dtype, seed=3)
    candidates = candidate_patches(gt, (1.0, 0.5, 0.25), 3, 3)
    return extract_patches(pred, 3, 3), extract_patches(gt, 3, 3), candidates


def _exact(pred_p, gt_p, cand, alpha, beta):
    """Eq. 2 term by term in float64, ties to the lower index (argmin)."""
    cand, gt_p, pred_p = cand.double(), gt_p.double(), pred_p.double()
    scores = (alpha * (cand[:, None] - gt_p[:, :, None]).pow(2).sum(-1)
              + beta * (cand[:, None] - pred_p[:, :, None]).pow(2).sum(-1))
    return scores.argmin(-1)


@pytest.mark.parametrize('free_bytes', [60 * GIB, 4 * 1000 * 8, 4 * 4 * 177])  # one chunk; row chunks; tiny chunks
@pytest.mark.parametrize('alpha, beta', [(1.0, 1.0), (0.3, 2.0), (1.0, 0.0)])
def test_gpu_plans_run_on_the_cpu_find_the_exact_buddies(monkeypatch, free_bytes, alpha, beta):
    pred_p, gt_p, cand = _search_inputs(torch.float64)
    cpu_index = find_best_buddies(pred_p, gt_p, cand, alpha, beta)
    plan = search_plan

    def gpu_plan(device, *args, **kwargs):
        return plan(torch.device('cuda'), *args, **dict(kwargs, free_bytes=free_bytes))

    monkeypatch.setattr(best_buddy, 'search_plan', gpu_plan)
    gpu_index = find_best_buddies(pred_p, gt_p, cand, alpha, beta)
    assert torch.equal(gpu_index, cpu_index)
    assert torch.equal(gpu_index, _exact(pred_p, gt_p, cand, alpha, beta))


def test_the_loss_is_the_same_under_every_plan(monkeypatch):
    pred, gt = photo_estimate_pair(2, 24, 27, dtype=torch.float32, seed=5)
    expected = BestBuddyLoss()(pred, gt)
    plan = search_plan
    monkeypatch.setattr(best_buddy, 'search_plan', lambda device, *args, **kwargs: plan(
        torch.device('cuda'), *args, **dict(kwargs, free_bytes=60 * GIB)))
    assert BestBuddyLoss()(pred, gt).item() == expected.item()
