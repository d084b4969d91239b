"""End to end on CPU with real photos: BebyGANModel trains, validates, saves, resumes and auto-resumes."""
import re

import pytest
import torch
from basicsr.models import build_model

from bebygan_plugin.compat.resume_state_loading import load_resume_state
from devtools.recipe import run_training, skimage_recipe


@pytest.fixture(scope='module')
def trained_run(skimage_pairs, tmp_path_factory):
    cwd = tmp_path_factory.mktemp('e2e')
    opt = skimage_recipe('e2e_bebygan', skimage_pairs, total_iter=4)
    result = run_training(opt, cwd)
    return cwd, opt, result.stdout + result.stderr


def test_training_logs_every_loss_term_validates_and_saves(trained_run):
    cwd, opt, log = trained_run
    exp = cwd / 'experiments' / opt['name']
    for term in ('l_g_bb', 'l_g_bp', 'l_g_gan', 'l_g_total', 'l_d', 'out_d_real', 'out_d_fake', 'mask_ratio'):
        assert re.search(rf'{term}: [-0-9.e+]+', log), f'{term} missing from the training log'
    assert 'Validation chelsea' in log and '# psnr:' in log and '# ssim:' in log
    psnr = float(re.findall(r'# psnr: ([0-9.]+)', log)[-1])
    assert 0 < psnr < 60
    for it in (2, 4):
        assert (exp / 'models' / f'net_g_{it}.pth').is_file()
        assert (exp / 'models' / f'net_d_{it}.pth').is_file()
        assert (exp / 'training_states' / f'{it}.state').is_file()
    assert (exp / 'models' / 'net_g_latest.pth').is_file()
    assert (exp / 'visualization' / 'chelsea' / 'chelsea_4.png').is_file()
    weights = torch.load(exp / 'models' / 'net_g_4.pth', map_location='cpu', weights_only=True)
    assert set(weights) >= {'params', 'params_ema'}


def _resumed_model(opt, cwd, state_path):
    """Rebuild the model the way BasicSR's pipeline does on resume and restore its training state."""
    opt = dict(opt, is_train=True, dist=False, rank=0, world_size=1, auto_resume=False)
    exp = cwd / 'experiments' / opt['name']
    opt['path'] = dict(opt['path'], resume_state=str(state_path), models=str(exp / 'models'),
                       training_states=str(exp / 'training_states'), experiments_root=str(exp))
    opt['train'] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in opt['train'].items()}
    state = load_resume_state(opt)
    model = build_model(opt)
    model.resume_training(state)
    return model, state


def test_resume_restores_optimizers_schedulers_and_ema(trained_run):
    cwd, opt, _ = trained_run
    exp = cwd / 'experiments' / opt['name']
    model, state = _resumed_model(opt, cwd, exp / 'training_states' / '2.state')
    assert state['iter'] == 2
    for optimizer, saved in zip(model.optimizers, state['optimizers']):
        restored = optimizer.state_dict()['state']
        assert restored.keys() == saved['state'].keys() and restored
        for key, value in saved['state'].items():
            assert torch.equal(restored[key]['exp_avg'], value['exp_avg'])
    assert [s.last_epoch for s in model.schedulers] == [s['last_epoch'] for s in state['schedulers']]
    saved_g = torch.load(exp / 'models' / 'net_g_2.pth', map_location='cpu', weights_only=True)
    for name, value in model.net_g_ema.state_dict().items():
        assert torch.equal(value, saved_g['params_ema'][name]), name
    for name, value in model.net_g.state_dict().items():
        assert torch.equal(value, saved_g['params'][name]), name


def test_resume_state_and_auto_resume_continue_from_the_saved_iteration(trained_run):
    cwd, opt, _ = trained_run
    exp = cwd / 'experiments' / opt['name']
    resumed = dict(opt, train=dict(opt['train'], total_iter=6))
    resumed['path'] = dict(opt['path'], resume_state=str(exp / 'training_states' / '2.state'))
    result = run_training(resumed, cwd)
    log = result.stdout + result.stderr
    assert re.search(r'Resuming training from epoch: \d+, iter: 2\.', log)
    assert re.search(r'iter:\s+3,', log) and re.search(r'iter:\s+6,', log)
    assert (exp / 'training_states' / '6.state').is_file()

    auto = dict(opt, train=dict(opt['train'], total_iter=8))
    result = run_training(auto, cwd, "--auto_resume")
    log = result.stdout + result.stderr
    assert re.search(r'Resuming training from epoch: \d+, iter: 6\.', log)
    assert (exp / 'training_states' / '8.state').is_file()
    assert not re.search(r'iter:\s+2,', log)
