"""Corrupt images while BasicSR's datasets load (patch 6, ``bebygan_plugin.compat.undecodable_images``): the file or
LMDB key is named with the fix, never ``'NoneType' object has no attribute 'astype'``; ``skip_corrupt_images: true``
skips them in a training set, counted and logged; DataLoader workers and ``prefetch_mode: cpu`` pass the error on.

Data: real 32x32 Set5 crops and their bicubic x4 LR; a corrupt image is a real PNG cut after 300 bytes (header
intact, pixel data missing), as ``head -c 300 a.png > bad.png`` makes one.
"""
import os
import shutil
import subprocess
import sys
import threading
from os import path as osp

import pytest
from basicsr.data import build_dataloader, build_dataset
from torch.utils.data import DataLoader

from tests.helpers import training_runs as support
from devtools.paths import DIST_VARS
from devtools.recipe import set5_recipe
from bebygan_plugin.dataset_guards.corrupt_images import CorruptImageError
from bebygan_plugin.preflight.datasets import TRAIN_DECODE_SAMPLE

NAMES = support.CROP_NAMES[:4]  # baby_1, baby_2, bird_1, bird_2


@pytest.fixture
def pairs(tmp_path):
    hr_dir, lr_dir = support.make_pairs(str(tmp_path / 'data'), NAMES)
    return hr_dir, lr_dir


def dataset(hr, lr, phase='train', backend='disk', **extra):
    """A PairedImageDataset as BasicSR's pipelines build it (``build_dataset``, options completed by phase)."""
    opt = {'name': 'crops', 'type': 'PairedImageDataset', 'phase': phase, 'scale': 4, 'dataroot_gt': hr,
           'dataroot_lq': lr, 'io_backend': {'type': backend}, **extra}
    if phase == 'train':
        opt.update(gt_size=32, use_hflip=False, use_rot=False, batch_size_per_gpu=1, num_worker_per_gpu=0)
    return build_dataset(opt)


def index_of(paired_set, name: str) -> int:
    """The index of GT ``name`` (BasicSR lists a folder in directory order, not sorted)."""
    return [osp.basename(p['gt_path']) for p in paired_set.paths].index(name)


def test_a_truncated_gt_file_is_named_with_the_fix(pairs):
    hr, lr = pairs
    support.truncate(osp.join(hr, 'baby_2.png'))
    train_set = dataset(hr, lr)
    assert train_set[index_of(train_set, 'baby_1.png')]['gt'].shape == (3, 32, 32)  # intact
    with pytest.raises(CorruptImageError) as raised:
        train_set[index_of(train_set, 'baby_2.png')]
    message = str(raised.value)
    assert message.startswith(f"datasets.train ('crops'): GT image file '{osp.join(hr, 'baby_2.png')}' cannot be "
                              'decoded as an image')
    assert 'replace or delete the file' in message and 'skip_corrupt_images: true' in message
    assert 'NoneType' not in message


def test_lmdb_keys_are_named_corrupt_or_missing(pairs, tmp_path):
    hr, lr = pairs
    gt_lmdb = support.write_lmdb(str(tmp_path / 'gt.lmdb'), hr)
    lq_lmdb = support.write_lmdb(str(tmp_path / 'lq.lmdb'), lr)
    support.corrupt_lmdb_value(gt_lmdb, 'bird_1')
    import lmdb

    env = lmdb.open(lq_lmdb, map_size=1 << 26)
    with env.begin(write=True) as txn:
        txn.delete(b'bird_2')  # still listed in meta_info.txt
    env.close()
    val_set = dataset(gt_lmdb, lq_lmdb, phase='val', backend='lmdb')  # meta_info.txt order: the sorted names
    assert val_set[0]['gt'].shape == (3, 32, 32)
    with pytest.raises(CorruptImageError, match=rf"^datasets.val \('crops'\): GT image 'bird_1' of LMDB "
                                                rf"'{gt_lmdb}' cannot be decoded .*; re-create the LMDB with "
                                                r"bebygan-prepare"):
        val_set[2]
    with pytest.raises(CorruptImageError, match=rf"LQ image 'bird_2' of LMDB '{lq_lmdb}' is missing"):
        val_set[3]


def test_a_dataloader_worker_passes_the_error_on(pairs):
    hr, lr = pairs
    support.truncate(osp.join(hr, 'bird_1.png'))
    val_set = dataset(hr, lr, phase='val')
    with pytest.raises(CorruptImageError) as in_process:
        val_set[index_of(val_set, 'bird_1.png')]
    with pytest.raises(CorruptImageError) as from_worker:
        list(DataLoader(val_set, batch_size=1, num_workers=1))  # a worker process, as num_worker_per_gpu > 0
    assert 'DataLoader worker process' in str(from_worker.value)
    assert from_worker.value.summary() == str(in_process.value)


def test_prefetch_mode_cpu_raises_instead_of_waiting_forever(pairs):
    hr, lr = pairs
    support.truncate(osp.join(hr, 'bird_2.png'))
    train_set = dataset(hr, lr)
    loader = build_dataloader(train_set, {'phase': 'train', 'batch_size_per_gpu': 1, 'num_worker_per_gpu': 0,
                                          'prefetch_mode': 'cpu', 'num_prefetch_queue': 1}, num_gpu=0)
    outcome = []

    def consume():
        try:
            list(loader)
        except CorruptImageError as err:
            outcome.append(err)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), 'the training loop waits forever for the next batch'
    assert outcome and 'bird_2.png' in str(outcome[0])


def test_skip_corrupt_images_takes_the_next_image_and_logs_each_once(pairs, warnings_log):
    hr, lr = pairs
    support.truncate(osp.join(hr, 'baby_2.png'))
    support.truncate(osp.join(lr, 'bird_1.png'))
    train_set = dataset(hr, lr, skip_corrupt_images=True)
    names = [osp.basename(p['gt_path']) for p in train_set.paths]
    for _ in range(2):  # a second epoch logs nothing new
        served = [osp.basename(train_set[i]['gt_path']) for i in range(len(train_set))]
    for index, name in enumerate(names):  # a corrupt pair is replaced by the next good one in dataset order
        good = next(names[(index + k) % 4] for k in range(4) if names[(index + k) % 4] not in ('baby_2.png',
                                                                                                 'bird_1.png'))
        assert served[index] == good, (index, name)
    assert len(warnings_log) == 2
    assert all("datasets.train ('crops'): skipping a corrupt image (skip_corrupt_images: true)" in m
               for m in warnings_log)
    assert any(osp.join(hr, 'baby_2.png') in m for m in warnings_log)
    assert any(osp.join(lr, 'bird_1.png') in m for m in warnings_log)
    assert '1 corrupt image(s) skipped' in warnings_log[0] and '2 corrupt image(s) skipped' in warnings_log[1]


def test_skipping_gives_up_when_every_image_is_corrupt(pairs):
    hr, lr = pairs
    for name in NAMES:
        support.truncate(osp.join(hr, f'{name}.png'))
    with pytest.raises(CorruptImageError, match=r'4 images in a row are corrupt'):
        dataset(hr, lr, skip_corrupt_images=True)[0]


def test_validation_sets_never_skip(pairs):
    """A skipped validation image would change the averaged metrics (the option checks refuse the key there)."""
    hr, lr = pairs
    support.truncate(osp.join(hr, 'baby_1.png'))
    val_set = dataset(hr, lr, phase='val', skip_corrupt_images=True)
    with pytest.raises(CorruptImageError, match='baby_1.png'):
        val_set[index_of(val_set, 'baby_1.png')]


@pytest.mark.parametrize('skip', [False, True], ids=['stops', 'skips'])
def test_training_beyond_the_checked_sample(tmp_path, skip):
    """``bebygan-train`` with a corrupt GT after the first TRAIN_DECODE_SAMPLE images (so the start-up check passes)
    and a DataLoader worker: it stops with the file named and exit status 2, or, with skip_corrupt_images, trains
    to the end and logs the skip."""
    hr_dir, lr_dir = support.make_pairs(str(tmp_path / 'crops'), support.CROP_NAMES)
    train = tmp_path / 'train'
    for sub, source in (('hr', hr_dir), ('lr', lr_dir)):
        os.makedirs(train / sub)
        for index in range(TRAIN_DECODE_SAMPLE + 2):  # an even count: no batch is dropped
            name = f'img{index:03d}.png'
            shutil.copy(osp.join(source, f'{support.CROP_NAMES[index % 10]}.png'), train / sub / name)
    bad = train / 'hr' / f'img{TRAIN_DECODE_SAMPLE + 1:03d}.png'
    support.truncate(str(bad))
    iters_per_epoch = (TRAIN_DECODE_SAMPLE + 2) // 2
    opt = set5_recipe('corrupt', str(train), total_iter=iters_per_epoch, save_freq=100)
    opt['datasets']['train'].update(num_worker_per_gpu=1, skip_corrupt_images=skip)
    opt['logger']['print_freq'] = 100
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([support.REPO, os.environ.get('PYTHONPATH', '')]))
    for var in DIST_VARS:
        env.pop(var, None)
    support.write_options(str(tmp_path / 'corrupt.yml'), opt)
    proc = subprocess.run([sys.executable, support.TRAIN_SCRIPT, '-opt', 'corrupt.yml'], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    log = ''.join(open(p, encoding='utf-8').read() for p in (tmp_path / 'experiments' / 'corrupt').glob('*.log'))
    if skip:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f'skipping a corrupt image (skip_corrupt_images: true): GT image file {str(bad)!r}' in log
        assert (tmp_path / 'experiments' / 'corrupt' / 'models' / 'net_g_latest.pth').is_file()
    else:
        assert proc.returncode == 2, proc.stderr[-3000:]
        expected = (f"bebygan-train: stopped on a corrupt image: datasets.train ('tiny_train'): GT image file "
                    f"{str(bad)!r} cannot be decoded as an image")
        assert expected in proc.stderr and '--auto_resume' in proc.stderr
        assert 'Traceback' not in proc.stderr and 'NoneType' not in proc.stderr
        assert expected in log
