"""Memory bound of the best-buddy search at a size the full-score-tensor formulation cannot hold.

One image at 512 x 512 (the issue's large-crop size) has N = 28,900 patches and M = 37,889 pyramid candidates:
the full float32 score tensor alone is 4.1 GiB, and the autograd formulation keeps several such tensors alive.
The loss's forward + backward must stay under 2 GiB of extra resident memory. Measured in a fresh subprocess as
the kernel's RSS high-water mark above the baseline (glibc's mmap threshold pinned so freed blocks are returned).
"""
import json
import os
import subprocess
import sys

import pytest

from devtools.paths import REPO_ROOT
from devtools.process_memory import reset_peak_rss

PROBE = r'''
import json, sys
import torch
import bebygan_plugin
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from devtools.process_memory import read_status_kb, reset_peak_rss

batch, size = int(sys.argv[1]), int(sys.argv[2])
loss_fn = BestBuddyLoss()
gen = torch.Generator().manual_seed(0)
small = torch.rand(1, 3, 24, 24, generator=gen)
loss_fn(small.clone().requires_grad_(), small).backward()  # load code paths and thread pools
gt = torch.rand(batch, 3, size, size, generator=gen)
pred = (gt + 0.05 * torch.randn(gt.shape, generator=gen)).requires_grad_()
reset_peak_rss()
base = read_status_kb('VmRSS')
loss = loss_fn(pred, gt)
loss.backward()
peak = read_status_kb('VmHWM') - base
print('RESULT ' + json.dumps({'peak_kb': peak, 'loss': loss.item(), 'grad_nonzero': int((pred.grad != 0).sum()),
                              'numel': pred.numel()}))
'''


@pytest.mark.skipif(not sys.platform.startswith('linux') or not reset_peak_rss(),
                    reason='needs Linux /proc/self/clear_refs to measure the peak RSS of one call')
def test_best_buddy_loss_large_crop_under_2gb():
    batch, size = 1, 512
    num = ((size - 3) // 3 + 1) ** 2
    cand = num + ((size // 2 - 3) // 3 + 1) ** 2 + ((size // 4 - 3) // 3 + 1) ** 2
    full_tensor_gib = batch * num * cand * 4 / 2 ** 30
    assert full_tensor_gib > 4  # the naive formulation could not hold this in the 2 GiB budget (nor in 4)
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='131072', MALLOC_TRIM_THRESHOLD_='131072',
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get('PYTHONPATH', '')]))
    out = subprocess.run([sys.executable, '-c', PROBE, str(batch), str(size)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith('RESULT '))
    result = json.loads(line[len('RESULT '):])
    peak_gib = result['peak_kb'] / 2 ** 20
    assert peak_gib < 2.0, f'peak {peak_gib:.2f} GiB above baseline'
    assert 0 < result['loss'] < 1
    # 512 = 3 * 170 + 2: all but the last 2 rows and columns lie in a patch and receive a gradient
    assert result['grad_nonzero'] >= 0.95 * result['numel']
