"""Stage 1 (BasicSR's ``SRModel``) writes every checkpoint atomically: inotify watches the experiment folder of a
real training, through ``bebygan-train`` and through BasicSR's own ``basicsr/train.py`` (the ``.pth`` hook), and
no write may land on a final checkpoint name; each final name only ever appears by a rename."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import basicsr
import pytest
import torch
import yaml

from tests.helpers import training_runs as support
from tests.helpers.folder_watch import FolderWatch
from devtools.paths import REPO_ROOT

FINAL_NAME = re.compile(r'^(net_g_(\d+|latest)\.pth|\d+\.state)$')
TOTAL_ITER = 3


def stage1_options(name: str, pairs: str) -> dict:
    """``options/train_RRDB_PSNR_x4.yml`` at CPU size: a tiny RRDB, 32x32 crops, a checkpoint every iteration."""
    opt = yaml.safe_load((REPO_ROOT / 'options' / 'train_RRDB_PSNR_x4.yml').read_text(encoding='utf-8'))
    opt.update(name=name, num_gpu=0)
    opt['network_g'].update(num_feat=8, num_block=1, num_grow_ch=4)
    opt['datasets'] = {'train': dict(opt['datasets']['train'], dataroot_gt=f'{pairs}/hr', dataroot_lq=f'{pairs}/lr',
                                     io_backend={'type': 'disk'}, gt_size=32, batch_size_per_gpu=2,
                                     num_worker_per_gpu=0)}
    del opt['val']
    opt['train'].update(total_iter=TOTAL_ITER)
    opt['logger'].update(print_freq=1, save_checkpoint_freq=1, use_tb_logger=False)
    return opt


@pytest.mark.parametrize('entry', ['bebygan-train', 'basicsr/train.py'])
def test_no_write_lands_on_a_final_checkpoint_name(entry, tmp_path):
    pairs = support.make_pairs(str(tmp_path / 'pairs'), support.CROP_NAMES[:4])[0].rsplit('/', 1)[0]
    opt_path = tmp_path / 'stage1.yml'
    opt_path.write_text(yaml.safe_dump(stage1_options('stage1', pairs), sort_keys=False))
    if entry == 'basicsr/train.py':
        (tmp_path / 'basicsr').mkdir()
        shutil.copy(Path(basicsr.__file__).parent / 'train.py', tmp_path / 'basicsr' / 'train.py')
        command = [sys.executable, 'basicsr/train.py']
    else:
        command = [sys.executable, '-m', 'bebygan_plugin.train']
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([support.REPO, env.get('PYTHONPATH', '')])
    (tmp_path / 'experiments').mkdir()
    with FolderWatch(str(tmp_path / 'experiments')) as watch:
        result = subprocess.run(command + ['-opt', str(opt_path)], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Model [SRModel] is created.' in result.stdout + result.stderr
    on_final_names = [(folder, name, event) for folder, name, event in watch.events if FINAL_NAME.match(name)]
    in_place = [e for e in on_final_names if e[2] != 'moved_to']
    assert not in_place, f'checkpoint writes on final names: {in_place}'
    published = {name for _, name, _ in on_final_names}
    assert published == {*(f'net_g_{i}.pth' for i in range(1, TOTAL_ITER + 1)), 'net_g_latest.pth',
                         *(f'{i}.state' for i in range(1, TOTAL_ITER + 1))}
    saved = torch.load(tmp_path / 'experiments' / 'stage1' / 'models' / 'net_g_latest.pth', weights_only=True)
    assert set(saved) == {'params', 'params_ema'}  # BasicSR's layout: the weights and their EMA
