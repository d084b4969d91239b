"""An out-of-memory error in a real training run (simulated on the CPU: the trace hook makes G's forward raise
``torch.OutOfMemoryError`` at iteration 3, as CUDA's allocator does) ends it with a named report, exit status 2 and
the checkpoints on disk intact (issue 23)."""
import os
import subprocess
import sys

import torch

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe


def test_out_of_memory_names_the_stage_and_the_fix_and_leaves_checkpoints_intact(tmp_path):
    support.make_pairs(str(tmp_path / 'train'), support.CROP_NAMES[:8])
    opt = set5_recipe('oom', str(tmp_path / 'train'), total_iter=4, save_freq=2)
    support.write_options(str(tmp_path / 'oom.yml'), opt)
    env = support.trace_env(str(tmp_path / 'trace'), BEBYGAN_TRACE_OOM_AT=3)
    proc = subprocess.run([sys.executable, support.TRAIN_SCRIPT, '-opt', 'oom.yml'], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-4000:]
    report = proc.stderr.strip().splitlines()[-1]
    assert report.startswith('bebygan-train: out of CPU memory in the G pass of iteration 3 (CUDA out of memory.')
    assert 'datasets.train.batch_size_per_gpu 2, gt_size 32' in report and 'train.accumulate: 2' in report
    assert 'Traceback' not in proc.stderr
    experiment = tmp_path / 'experiments' / 'oom'
    assert os.listdir(experiment / 'training_states') == ['2.state']
    assert sorted(os.listdir(experiment / 'models')) == ['net_d_2.pth', 'net_g_2.pth']
    assert torch.load(experiment / 'training_states' / '2.state', map_location='cpu', weights_only=False)['iter'] == 2
    for name in ('net_g_2.pth', 'net_d_2.pth'):
        torch.load(experiment / 'models' / name, map_location='cpu', weights_only=True)
