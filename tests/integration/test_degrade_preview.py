"""bebygan-degrade: the training's RealESRGANDataset + second-order degradation written out as pairs; the same
seed gives byte-identical files; the set is what bebygan-eval scores with full-reference metrics; bad input stops
it before any work (exit 2). Real photos (Set5), Real-ESRGAN's own option file. Each pair costs a 400x400
degradation (seconds on a busy CPU), so the runs are one or two pairs."""
import csv
import os
import random
import shutil

import numpy as np
import pytest
import torch
import yaml
from devtools.paths import REPO_ROOT, SET5
from tests.helpers.cli import exit_status
from tests.helpers.evaluation import run_eval

from bebygan_plugin.degradations import DegradationSettings, SecondOrderDegradation
from bebygan_plugin.files.images import read_image
from bebygan_plugin.preparation.cli import degrade_main
from bebygan_plugin.preparation.degrade import KERNEL_KEYS

REAL_ESRGAN_OPT = REPO_ROOT / 'tests' / 'data' / 'real_esrgan' / 'train_realesrgan_x4plus.yml'


def degrade(images, out, num: int, seed: int, opt=REAL_ESRGAN_OPT) -> int:
    return exit_status(degrade_main, '-opt', opt, '-i', images, '-o', out, '--num', num, '--seed', seed)


@pytest.fixture
def hr(tmp_path):
    folder = tmp_path / 'hr'
    folder.mkdir()
    for name in ('bird', 'head'):
        shutil.copy(SET5 / 'HR' / f'{name}.png', folder)
    return folder


def files_of(out) -> dict:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob('*')) if p.is_file()}


def test_same_seed_same_bytes_and_the_pairs_are_the_trainings(hr, tmp_path):
    from basicsr.data.realesrgan_dataset import RealESRGANDataset

    for out in ('a', 'b'):
        assert degrade(hr, tmp_path / out, num=2, seed=7) == 0
    first, second = files_of(tmp_path / 'a'), files_of(tmp_path / 'b')
    assert sorted(first) == ['contact_sheet.png', 'degrade.json', 'gt/0000_bird.png', 'gt/0001_head.png',
                             'lq/0000_bird.png', 'lq/0001_head.png']
    assert first == second
    gt, lq = read_image(tmp_path / 'a' / 'gt' / '0000_bird.png'), read_image(tmp_path / 'a' / 'lq' / '0000_bird.png')
    assert gt.shape == (256, 256, 3) and lq.shape == (64, 64, 3)  # the file's gt_size, x4

    # the training's code, written out: seeds, RealESRGANDataset over the images, the degradation
    opt = yaml.safe_load(REAL_ESRGAN_OPT.read_text())
    section = opt['datasets']['train']
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    meta = tmp_path / 'meta_info.txt'
    meta.write_text('bird.png\nhead.png\n')
    dataset = RealESRGANDataset(dict({k: section[k] for k in KERNEL_KEYS}, use_hflip=section['use_hflip'],
                                     use_rot=section['use_rot'], dataroot_gt=str(hr), meta_info=str(meta),
                                     io_backend={'type': 'disk'}))
    item = dataset[0]
    with torch.no_grad():
        want_lq, want_gt = SecondOrderDegradation(DegradationSettings.from_options(opt))(
            item['gt'][None], item['kernel1'][None], item['kernel2'][None], item['sinc_kernel'][None])
    for got, want in ((gt, want_gt), (lq, want_lq)):
        np.testing.assert_array_equal(got, (want[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy())


def test_another_seed_other_pairs_and_bebygan_eval_scores_the_set(hr, tmp_path):
    (hr / 'head.png').unlink()
    assert degrade(hr, tmp_path / 'set', num=1, seed=1) == 0
    assert degrade(hr, tmp_path / 'other', num=1, seed=2) == 0
    assert (tmp_path / 'set' / 'lq' / '0000_bird.png').read_bytes() != \
        (tmp_path / 'other' / 'lq' / '0000_bird.png').read_bytes()
    # validation during training reads the same files: BasicSR's PairedImageDataset pairs them by name
    from basicsr.data.paired_image_dataset import PairedImageDataset

    val = PairedImageDataset({'dataroot_gt': str(tmp_path / 'set' / 'gt'), 'dataroot_lq': str(tmp_path / 'set' / 'lq'),
                              'io_backend': {'type': 'disk'}, 'phase': 'val', 'scale': 4, 'filename_tmpl': '{}'})
    (item,) = list(val)
    assert item['gt'].shape == (3, 256, 256) and item['lq'].shape == (3, 64, 64)
    report = tmp_path / 'report'
    real_set = f'Real={tmp_path / "set" / "gt"}{os.pathsep}{tmp_path / "set" / "lq"}'
    assert run_eval('-o', report, '--dataset', real_set,
               '--bicubic', '--metrics', 'psnr,ssim,niqe') == 0
    with open(report / 'results.csv', newline='') as f:
        (row,) = list(csv.DictReader(f))
    assert row['image'] == '0000_bird' and 10 < float(row['psnr']) < 40 and 0 < float(row['ssim']) < 1


@pytest.mark.parametrize('case', ['no option file', 'no degradation keys', 'no images', 'output is a file',
                                  'num 0', 'outputs exist', 'corrupt image'])
def test_bad_input_stops_before_any_work(hr, tmp_path, capsys, case):
    opt, images, out, num = REAL_ESRGAN_OPT, hr, tmp_path / 'out', 1
    if case == 'no option file':
        opt = tmp_path / 'missing.yml'
    elif case == 'no degradation keys':
        opt = REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml'
    elif case == 'no images':
        images = tmp_path / 'empty'
        images.mkdir()
    elif case == 'output is a file':
        out.write_text('')
    elif case == 'num 0':
        num = 0
    elif case == 'outputs exist':
        (out / 'gt').mkdir(parents=True)
        (out / 'gt' / 'mine.png').write_bytes(b'keep')
    elif case == 'corrupt image':
        data = (hr / 'bird.png').read_bytes()
        (hr / 'bird.png').write_bytes(data[:len(data) // 3])
    before = files_of(tmp_path)
    assert degrade(images, out, num, seed=0, opt=opt) == 2
    err = capsys.readouterr().err
    assert 'bebygan-degrade: ' in err and 'problem(s)' in err and 'nothing was created' in err, err
    assert 'Degrade' not in err
    expected = {'no option file': 'missing.yml', 'no degradation keys': 'resize_prob, resize_range',
                'no images': 'has no PNG', 'output is a file': 'is a file', 'num 0': '--num: is 0',
                'outputs exist': 'already holds gt', 'corrupt image': 'bird.png'}[case]
    assert expected in err
    assert files_of(tmp_path) == before  # nothing created, nothing touched
