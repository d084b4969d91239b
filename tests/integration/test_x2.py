"""x2: the x2 recipes are the x4 ones with only the scale changed, and bebygan-prepare --scale 2 -> bebygan-train
(options/train_BebyGAN_x2.yml, CPU-sized) -> bebygan-infer -> bebygan-eval run end to end at x2; x3 with RRDBNet
is refused with the generators that can do it."""
import copy
import os

import cv2
import lmdb
import numpy as np
import pytest
import yaml

from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.preparation.lr_bicubic import bicubic_downsample, mod_crop
from bebygan_plugin.evaluation.cli import main as eval_main
from bebygan_plugin.inference.cli import infer_main
from bebygan_plugin.schema import check_options
from devtools.paths import REPO_ROOT, SET5
from devtools.recipe import run_training
from tests.helpers.cli import exit_status

OPTIONS = REPO_ROOT / 'options'


def load(name):
    return yaml.safe_load((OPTIONS / name).read_text())


def at_x2(opt, stage):
    """What the x2 recipes change in the x4 ones, and nothing else."""
    opt = copy.deepcopy(opt)
    opt['name'] = opt['name'].replace('_x4_', '_x2_')
    opt['scale'] = 2
    opt['network_g']['scale'] = 2
    opt['datasets']['train']['dataroot_lq'] = 'datasets/DF2K/DF2K_HR_sub_x2.lmdb'
    opt['datasets']['val'].update(dataroot_lq='datasets/Set5/LR_bicubic/X2', filename_tmpl='{}x2')
    for metric in opt['val']['metrics'].values():
        metric['crop_border'] = 2
    if stage == 'gan':
        opt['train']['bp_opt']['scale'] = 2
        opt['path']['pretrain_network_g'] = 'experiments/RRDB_PSNR_x2_DF2K/models/net_g_latest.pth'
    return opt


@pytest.mark.parametrize('x4, x2, stage', [('train_RRDB_PSNR_x4.yml', 'train_RRDB_PSNR_x2.yml', 'psnr'),
                                           ('train_BebyGAN_x4.yml', 'train_BebyGAN_x2.yml', 'gan')])
def test_the_x2_recipes_are_the_x4_ones_with_only_the_scale_changed(x4, x2, stage):
    recipe = load(x2)
    assert recipe == at_x2(load(x4), stage)
    assert check_options(recipe, is_train=True) == []


def test_x3_with_rrdbnet_is_refused_naming_the_generators_that_can(tmp_path):
    opt = load('train_BebyGAN_x4.yml')
    opt.update(scale=3)
    opt['network_g']['scale'] = 3
    opt['train']['bp_opt']['scale'] = 3
    problems = [str(p) for p in check_options(opt, is_train=True)]
    assert problems == ["network_g.scale: is 3: RRDBNet supports x1, x2 and x4 only (BasicSR's RRDBNet always "
                        'upsamples x4, reaching x2 and x1 by pixel-unshuffling its input; at x3 it would make x4 '
                        'images). For x3 use a generator with an x3 upsampler: EDSR, RCAN, MSRResNet, '
                        'SRVGGNetCompact_basicsr (upscale: 3)']
    opt['network_g'] = {'type': 'MSRResNet', 'num_in_ch': 3, 'num_out_ch': 3, 'upscale': 3}
    assert check_options(opt, is_train=True) == []
    del opt['network_g']['upscale']  # MSRResNet's default is x4
    assert [str(p) for p in check_options(opt, is_train=True)] == [
        'network_g.upscale: is not set, so MSRResNet upsamples x4, but scale is 3; set network_g.upscale: 3']


def read_lmdb(path):
    with lmdb.open(str(path), readonly=True, lock=False) as env, env.begin() as txn:
        return {k.decode(): cv2.imdecode(np.frombuffer(v, np.uint8), cv2.IMREAD_UNCHANGED) for k, v in txn.cursor()}


@pytest.fixture(scope='module')
def x2_data(tmp_path_factory):
    """bebygan-prepare --scale 2 on three Set5 images (whole images)."""
    root = tmp_path_factory.mktemp('x2')
    hr = root / 'HR'
    hr.mkdir()
    for name in ('baby', 'bird', 'woman'):
        os.symlink(SET5 / 'HR' / f'{name}.png', hr / f'{name}.png')
    assert exit_status(prepare_main, '--hr', hr, '--out', root / 'lmdb', '--name', 'set5', '--scale', 2,
                       '--crop-size', 0, '--workers', 1) == 0
    return root


def test_prepare_at_x2_pairs_each_hr_with_its_matlab_bicubic_half(x2_data):
    hr, lr = read_lmdb(x2_data / 'lmdb' / 'set5.lmdb'), read_lmdb(x2_data / 'lmdb' / 'set5_x2.lmdb')
    assert sorted(hr) == sorted(lr) == ['baby', 'bird', 'woman']
    for key, image in hr.items():
        source = cv2.imread(str(SET5 / 'HR' / f'{key}.png'))
        assert np.array_equal(image, mod_crop(source, 2))
        assert np.array_equal(lr[key], bicubic_downsample(image, 2))
        assert lr[key].shape[:2] == (image.shape[0] // 2, image.shape[1] // 2)


def test_x2_recipe_trains_and_its_generator_infers_and_evaluates_at_x2(x2_data, tmp_path, monkeypatch):
    """options/train_BebyGAN_x2.yml as shipped but CPU-sized (a 1-block RRDB, 32-pixel crops, 2 iterations, no
    perceptual loss: its ImageNet weights are not available offline)."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    opt = load('train_BebyGAN_x2.yml')
    opt.update(name='x2_cpu', num_gpu=0)
    opt['network_g'].update(num_feat=8, num_block=1, num_grow_ch=4)
    opt['network_d']['num_feat'] = 8
    opt['path']['pretrain_network_g'] = None
    opt['datasets']['train'].update(dataroot_gt=str(x2_data / 'lmdb' / 'set5.lmdb'), gt_size=32,
                                    dataroot_lq=str(x2_data / 'lmdb' / 'set5_x2.lmdb'), num_worker_per_gpu=0,
                                    batch_size_per_gpu=2)
    del opt['datasets']['val'], opt['val'], opt['train']['perceptual_opt']
    opt['train'].update(total_iter=2)
    opt['train']['scheduler'].update(periods=[2], restart_weights=[1], warmup_iter=1)
    opt['logger'].update(print_freq=1, save_checkpoint_freq=2, use_tb_logger=False)
    result = run_training(opt, tmp_path)
    assert 'l_g_bp' in result.stdout + result.stderr
    model = tmp_path / 'experiments' / 'x2_cpu' / 'models' / 'net_g_latest.pth'

    lr = x2_data / 'lr.png'
    cv2.imwrite(str(lr), read_lmdb(x2_data / 'lmdb' / 'set5_x2.lmdb')['bird'])
    assert exit_status(infer_main, '-i', lr, '-o', tmp_path / 'sr', '-m', model, '--device', 'cpu') == 0
    assert cv2.imread(str(tmp_path / 'sr' / 'lr.png')).shape == (288, 288, 3)

    report = tmp_path / 'report'
    assert exit_status(eval_main, '-o', report, '--dataset', f'x2={x2_data / "HR"}', '--bicubic', '--model',
                       f'x2cpu={model}', '--metrics', 'psnr', '--device', 'cpu') == 0
    text = (report / 'report.md').read_text()
    assert text.startswith('# Evaluation') and 'x2 super-resolution' in text and '2-pixel border' in text
    assert cv2.imread(str(report / 'sr' / 'bicubic' / 'x2' / 'bird.png')).shape == (288, 288, 3)
