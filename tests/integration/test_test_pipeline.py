"""``bebygan-test`` fails fast like ``bebygan-train``: option typos, missing folders, missing or unfitting weights and
corrupt test images are reported at once (exit status 2, the ``bebygan_plugin.problems`` format) and nothing is
created under ``results/``; ``--help`` is its own. The shipped ``options/test_BebyGAN_x4.yml`` lists the paper's
benchmark sets.

The valid setup tests Set5 (``tests/data``) with a small RRDBNet whose weight file the test writes (random
initialisation, saved in the layout BasicSR's checkpoints have: ``params`` and ``params_ema``).
"""
import os
import shutil
import subprocess
import sys
from os import path as osp

import pytest
import torch
import yaml

from tests.helpers import training_runs as support
from devtools.paths import REPO_ROOT, SET5
from devtools.recipe import set_option

TEST_YML = REPO_ROOT / 'options' / 'test_BebyGAN_x4.yml'
TINY_RRDB = {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 8, 'num_block': 1, 'num_grow_ch': 4}


def weights(path, net_opt=TINY_RRDB) -> str:
    """A generator file as BasicSR saves one (randomly initialised weights)."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    torch.manual_seed(0)
    state = RRDBNet(**{k: v for k, v in net_opt.items() if k != 'type'}).state_dict()
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({'params': state, 'params_ema': state}, path)
    return str(path)


def valid_options(work) -> dict:
    """The shipped test YAML with Set5 as its only test set, a tiny RRDBNet and its weights, PSNR / SSIM."""
    opt = yaml.safe_load(TEST_YML.read_text())
    opt.update(name='set5_tiny', num_gpu=0, network_g=dict(TINY_RRDB))
    opt['datasets'] = {'test_1': dict(opt['datasets']['test_1'], name='Set5', dataroot_gt=str(SET5 / 'HR'),
                                      dataroot_lq=str(SET5 / 'LR_bicubic' / 'X4'))}
    opt['path']['pretrain_network_g'] = weights(work / 'experiments' / 'tiny' / 'models' / 'net_g_latest.pth')
    del opt['val']['metrics']['lpips']  # needs ImageNet VGG16 weights (their check has its own case)
    return opt


def run_main(opt_path, monkeypatch, capsys, *extra):
    """``bebygan-test -opt opt_path *extra`` in process; returns (exit status, stdout, stderr)."""
    from bebygan_plugin import test

    monkeypatch.setattr(sys, 'argv', ['bebygan-test', '-opt', str(opt_path), *extra])
    with pytest.raises(SystemExit) as exited:
        test.main()
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


_set, _rename = set_option, support.rename_option


def _corrupt_test_image(opt, work):
    test_set = opt['datasets']['test_1']
    shutil.copytree(test_set['dataroot_gt'], work / 'HR')
    test_set['dataroot_gt'] = str(work / 'HR')
    support.truncate(work / 'HR' / 'bird.png')


def _weights_of_another_width(opt, work):
    opt['path']['pretrain_network_g'] = weights(work / 'other' / 'net_g.pth', dict(TINY_RRDB, num_feat=16))


def _pyiqa_missing(opt, work, monkeypatch):
    monkeypatch.setitem(sys.modules, 'pyiqa', None)  # as if not installed
    opt['val']['metrics']['pi'] = {'type': 'calculate_pyiqa', 'metric_name': 'pi', 'better': 'lower'}


# (id, mutate(opt, work), substrings the report must contain)
CASES = [
    ('typo in a dataset key', lambda o, w: _rename(o, 'datasets.test_1.filename_tmpl', 'filename_tmp'),
     ["datasets.test_1: unknown key 'filename_tmp'; did you mean 'filename_tmpl'?"]),
    ('typo in a path key', lambda o, w: _rename(o, 'path.param_key_g', 'param_keys_g'),
     ["path: unknown key 'param_keys_g'"]),
    ('typo in a metric key', lambda o, w: _rename(o, 'val.metrics.psnr.crop_border', 'crop_boarder'),
     ["val.metrics.psnr: unknown key 'crop_boarder'; did you mean 'crop_border'?"]),
    ('misspelled network type', lambda o, w: _set(o, 'network_g.type', 'RRDBnet'),
     ["network_g.type: unknown network type 'RRDBnet'; did you mean 'RRDBNet'?"]),
    ('test set folder missing', lambda o, w: _set(o, 'datasets.test_1.dataroot_lq', 'datasets/Set14/LR_bicubic/X4'),
     ["datasets.test_1.dataroot_lq: folder 'datasets/Set14/LR_bicubic/X4' does not exist"]),
    ('LQ files named otherwise', lambda o, w: _set(o, 'datasets.test_1.filename_tmpl', '{}'),
     ['datasets.test_1.filename_tmpl', "set filename_tmpl: '{}x4'"]),
    ('corrupt test image', _corrupt_test_image,
     ["datasets.test_1.dataroot_gt:", "bird.png' cannot be decoded as an image", 'replace or delete the file']),
    ('scale differs from the data', lambda o, w: (_set(o, 'scale', 2), _set(o, 'network_g.scale', 2)),
     ['datasets.test_1', 'not x2 as scale says']),
    ('weights missing', lambda o, w: _set(o, 'path.pretrain_network_g', 'experiments/BebyGAN/net_g_latest.pth'),
     ["path.pretrain_network_g: 'experiments/BebyGAN/net_g_latest.pth' does not exist"]),
    ('no weights for a generator with parameters', lambda o, w: _set(o, 'path.pretrain_network_g', None),
     ['path.pretrain_network_g: required: the trained generator', 'randomly initialised']),
    ('weights of another network', _weights_of_another_width,
     ['path.pretrain_network_g', 'does not fit network_g', 'shapes differ']),
    ('LPIPS weights absent offline', lambda o, w: _set(o, 'val.metrics.lpips', {
        'type': 'calculate_lpips', 'crop_border': 4, 'net': 'vgg', 'better': 'lower'}),
     ['val.metrics.lpips', 'vgg16-397923af.pth', 'hub/checkpoints/vgg16-397923af.pth']),
    ('a training set in a test run', lambda o, w: _rename(o, 'datasets.test_1', 'train'),
     ["datasets.train: unknown phase 'train' for a test run"]),
    ('save_img missing', lambda o, w: o['val'].pop('save_img'),
     ['val.save_img: required by a test run']),
    ('save_img without suffix (BasicSR would die with KeyError: suffix)', lambda o, w: o['val'].pop('suffix'),
     ["val.suffix: required by BasicSR's test run when save_img is true", '<image>_<name>.png']),
    ('a number written as text', lambda o, w: _set(o, 'val.metrics.psnr.crop_border', '4'),
     ["val.metrics.psnr.crop_border: '4' is a string; write 4 without quotes"]),
    ('skip_corrupt_images on a test set', lambda o, w: _set(o, 'datasets.test_1.skip_corrupt_images', True),
     ['datasets.test_1.skip_corrupt_images: only applies to the training set']),
]


def test_valid_setup_passes_and_creates_nothing(workdir):
    from bebygan_plugin.preflight.testing import run_preflight

    opt_path = support.write_options(str(workdir / 'good.yml'), valid_options(workdir))
    assert run_preflight(['-opt', opt_path], str(workdir))['name'] == 'set5_tiny'
    assert not (workdir / 'results').exists()


@pytest.mark.parametrize('mutate, expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_before_results_exist(workdir, monkeypatch, capsys, mutate, expected):
    opt = valid_options(workdir)
    mutate(opt, workdir)
    code, _, err = run_main(support.write_options(str(workdir / 'bad.yml'), opt), monkeypatch, capsys)
    assert code == 2
    assert err.startswith('bebygan-test: ') and 'nothing was created' in err
    for text in expected:
        assert text in err, f'{text!r} not in:\n{err}'
    assert not (workdir / 'results').exists()


def test_pyiqa_metric_without_pyiqa(workdir, monkeypatch, capsys):
    opt = valid_options(workdir)
    _pyiqa_missing(opt, workdir, monkeypatch)
    code, _, err = run_main(support.write_options(str(workdir / 'bad.yml'), opt), monkeypatch, capsys)
    assert code == 2 and 'val.metrics.pi: calculate_pyiqa needs pyiqa' in err


def test_help_is_its_own(workdir, monkeypatch, capsys):
    from bebygan_plugin import test

    monkeypatch.setattr(sys, 'argv', ['bebygan-test', '--help'])
    with pytest.raises(SystemExit) as exited:
        test.main()
    out = capsys.readouterr().out
    assert exited.value.code == 0 and out.startswith('usage: bebygan-test')
    assert '-opt' in out and '--force_yml' in out and '--auto_resume' not in out and '--debug' not in out
    code, _, err = run_main(TEST_YML, monkeypatch, capsys, '--auto_resume')
    assert code == 2 and 'bebygan-test: error: unrecognized arguments: --auto_resume' in err


def test_the_shipped_yml_lists_the_papers_sets_and_has_no_key_problems():
    from bebygan_plugin.schema import check_options

    opt = yaml.safe_load(TEST_YML.read_text())
    assert check_options(opt, is_train=False) == []
    assert [s['name'] for _, s in sorted(opt['datasets'].items())] == ['Set14', 'BSDS100', 'DIV2K_val']
    assert 'UH4K' in TEST_YML.read_text()  # documented, commented out: not publicly released


def test_the_shipped_yml_in_a_fresh_folder_lists_every_missing_piece(tmp_path):
    """The real command line, from a folder without datasets/ or weights: one report, no traceback, no results/."""
    env = dict(os.environ, BEBYGAN_OFFLINE='1', TORCH_HOME=str(tmp_path / 'torch_home'), CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run([sys.executable, str(REPO_ROOT / 'bebygan_plugin' / 'test.py'), '-opt', str(TEST_YML)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.startswith(f'bebygan-test: 8 problem(s) in {TEST_YML}; nothing was created')
    for folder in ('Set14/HR', 'Set14/LR_bicubic/X4', 'BSDS100/HR', 'BSDS100/LR_bicubic/X4', 'DIV2K/DIV2K_valid_HR',
                   'DIV2K/DIV2K_valid_LR_bicubic/X4'):
        assert f"folder 'datasets/{folder}' does not exist" in proc.stderr
    assert "path.pretrain_network_g: 'experiments/BebyGAN_x4_DF2K/models/net_g_latest.pth' does not exist" \
        in proc.stderr
    assert 'val.metrics.lpips' in proc.stderr and 'vgg16-397923af.pth' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert os.listdir(tmp_path) == []  # no results/, nothing else
