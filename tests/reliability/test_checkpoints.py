"""Crash-safe checkpoints, in process: atomic writes, choosing the newest complete checkpoint, the saved contents
(EMA, optimizers, schedulers, GradScalers, RNG states) and their exact restoration."""
import copy
import os
import random
from os import path as osp

import numpy as np
import pytest
import torch

from tests.helpers import training_runs as support
from devtools.recipe import tiny_recipe
from bebygan_plugin.files import atomic, checkpoint
from bebygan_plugin.files.checkpoint import CheckpointError, atomic_torch_save
from bebygan_plugin.files import training_states as resume
from bebygan_plugin.model_mixins import rng_states


# ---------------------------------------------------------------------------------------------- atomic writes
def test_atomic_save_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / 'models' / 'net_g_10.pth'
    atomic_torch_save({'params': {'w': torch.ones(3)}}, str(target))
    atomic_torch_save({'params': {'w': torch.full((3,), 2.0)}}, str(target))
    assert torch.equal(torch.load(target, weights_only=True)['params']['w'], torch.full((3,), 2.0))
    assert os.listdir(target.parent) == ['net_g_10.pth']


def test_a_save_that_fails_midway_keeps_the_previous_file_intact(tmp_path, monkeypatch):
    target = tmp_path / '10.state'
    atomic_torch_save({'iter': 10}, str(target))
    real_save = torch.save

    def dies_halfway(obj, f, *args, **kwargs):
        f.write(b'PK\x03\x04 half a checkpoint')  # what a crash in the middle of torch.save leaves behind
        raise OSError('No space left on device')

    monkeypatch.setattr(torch, 'save', dies_halfway)
    with pytest.raises(OSError, match='No space left'):
        atomic_torch_save({'iter': 10, 'more': 1}, str(target))
    monkeypatch.setattr(torch, 'save', real_save)
    assert torch.load(target, weights_only=True) == {'iter': 10}
    assert os.listdir(tmp_path) == ['10.state']


def test_a_checkpoint_that_cannot_be_written_stops_the_run_with_a_clear_error(tmp_path, monkeypatch):
    def always_fails(obj, path):
        raise OSError('Read-only file system')

    monkeypatch.setattr(checkpoint, 'atomic_torch_save', always_fails)
    monkeypatch.setattr(checkpoint.time, 'sleep', lambda s: None)
    with pytest.raises(OSError) as err:
        checkpoint.save_with_retries({}, str(tmp_path / 'net_g_5.pth'))
    assert 'net_g_5.pth' in str(err.value) and '3 attempts' in str(err.value) and '--auto_resume' in str(err.value)


def test_stale_temporary_files_of_killed_saves_are_removed(tmp_path):
    (tmp_path / '.net_g_5.pth.tmp-4242').write_bytes(b'partial')
    (tmp_path / 'net_g_5.pth').write_bytes(b'keep')
    (tmp_path / '.hidden_user_file').write_bytes(b'keep')
    removed = atomic.remove_stale_temp_files(str(tmp_path))
    assert [osp.basename(p) for p in removed] == ['.net_g_5.pth.tmp-4242']
    assert sorted(os.listdir(tmp_path)) == ['.hidden_user_file', 'net_g_5.pth']


# -------------------------------------------------------------------------------- choosing what to resume from
def _experiment(tmp_path, iters=(2, 4, 6)):
    opt = {'network_g': {}, 'network_d': {}, 'auto_resume': True,
           'path': {'models': str(tmp_path / 'models'), 'training_states': str(tmp_path / 'training_states')}}
    for it in iters:
        for label in 'gd':
            atomic_torch_save({'params': {'w': torch.full((2,), float(it))}}, f'{tmp_path}/models/net_{label}_{it}.pth')
        atomic_torch_save({'epoch': 0, 'iter': it, 'optimizers': [], 'schedulers': []},
                          f'{tmp_path}/training_states/{it}.state')
    return opt


def test_auto_resume_takes_the_newest_complete_checkpoint(tmp_path, capsys):
    opt = _experiment(tmp_path)
    state = resume.load_resume_state(opt)
    assert state['iter'] == 6 and opt['path']['resume_state'].endswith('6.state')
    assert 'WARNING' not in capsys.readouterr().err


@pytest.mark.parametrize('damage, culprit', [
    ('truncate_state', '6.state'),
    ('garbage_state', '6.state'),
    ('missing_net_d', 'net_d_6.pth'),
    ('truncate_net_g', 'net_g_6.pth'),
    ('wrong_iter_inside', '6.state'),
])
def test_auto_resume_skips_a_broken_checkpoint_with_a_warning(tmp_path, capsys, damage, culprit):
    opt = _experiment(tmp_path)
    states, models = tmp_path / 'training_states', tmp_path / 'models'
    if damage == 'truncate_state':  # what a non-atomic writer killed mid-save leaves
        data = (states / '6.state').read_bytes()
        (states / '6.state').write_bytes(data[:len(data) // 2])
    elif damage == 'garbage_state':
        (states / '6.state').write_bytes(b'\x00' * 100)
    elif damage == 'missing_net_d':
        (models / 'net_d_6.pth').unlink()
    elif damage == 'truncate_net_g':
        data = (models / 'net_g_6.pth').read_bytes()
        (models / 'net_g_6.pth').write_bytes(data[:len(data) // 3])
    else:
        torch.save({'epoch': 0, 'iter': 8, 'optimizers': [], 'schedulers': []}, states / '6.state')
    resume.pop_resume_warnings()
    state = resume.load_resume_state(opt)
    assert state['iter'] == 4 and opt['path']['resume_state'].endswith('4.state')
    err = capsys.readouterr().err
    assert 'skipping the checkpoint of iteration 6' in err and culprit in err
    pending = resume.pop_resume_warnings()  # also written to the training log once the model exists
    assert len(pending) == 1 and culprit in pending[0]


def test_auto_resume_with_no_usable_checkpoint_starts_afresh_and_says_so(tmp_path, capsys):
    opt = _experiment(tmp_path, iters=(2,))
    (tmp_path / 'training_states' / '2.state').write_bytes(b'torn')
    assert resume.load_resume_state(opt) is None
    assert 'no usable checkpoint' in capsys.readouterr().err
    resume.pop_resume_warnings()


def test_an_explicit_resume_state_that_is_broken_is_an_error_naming_it(tmp_path):
    opt = _experiment(tmp_path)
    opt['auto_resume'] = False
    (tmp_path / 'models' / 'net_g_4.pth').unlink()
    opt['path']['resume_state'] = str(tmp_path / 'training_states' / '4.state')
    with pytest.raises(CheckpointError, match=r'path.resume_state: .*net_g_4.pth'):
        resume.load_resume_state(opt)


# ---------------------------------------------------------------------------- contents and exact restoration
def test_rng_states_round_trip_through_a_weights_only_load(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    atomic_torch_save({'rng': [rng_states.capture_rng_state()]}, str(tmp_path / 'rng.state'))
    expected = (random.random(), np.random.rand(), torch.rand(1).item(), np.random.randn())
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    rng_states.restore_rng_state(torch.load(tmp_path / 'rng.state', weights_only=True)['rng'][0])
    assert (random.random(), np.random.rand(), torch.rand(1).item(), np.random.randn()) == expected


def test_save_writes_everything_resume_needs_and_resume_restores_it_exactly(tmp_path):
    model = support.build_model(tmp_path, amp={'enabled': True, 'dtype': 'fp16'})
    for it in (1, 2):
        model.update_learning_rate(it)
        model.feed_data(support.batch(it))
        model.optimize_parameters(it)
    model.grad_scalers[0].update(new_scale=1024.0)
    model.save(epoch=0, current_iter=2)
    expected = support.state_digest(model)
    random_after_save = torch.rand(3)

    net_g = torch.load(tmp_path / 'models' / 'net_g_2.pth', weights_only=True)
    assert set(net_g) == {'params', 'params_ema'}  # the EMA generator travels with the generator
    assert torch.load(tmp_path / 'models' / 'net_d_2.pth', weights_only=True).keys() == {'params'}
    state = torch.load(tmp_path / 'training_states' / '2.state', weights_only=True)
    assert state['iter'] == 2 and len(state['optimizers']) == len(state['schedulers']) == 2
    assert state['grad_scalers'][0]['scale'] == 1024.0 and state['world_size'] == 1 and len(state['rng']) == 1
    assert not [n for d in ('models', 'training_states') for n in os.listdir(tmp_path / d) if '.tmp-' in n]

    torch.manual_seed(123)  # a different process would start from other generator states
    opt = copy.deepcopy(model.opt)
    opt['path'].update(pretrain_network_g=str(tmp_path / 'models' / 'net_g_2.pth'),
                       pretrain_network_d=str(tmp_path / 'models' / 'net_d_2.pth'),
                       param_key_g='params')  # as BasicSR's check_resume sets it (the recipe says params_ema)
    from basicsr.models import build_model as basicsr_build_model

    opt['train'] = tiny_recipe('unit')['train']
    opt['train']['amp'] = {'enabled': True, 'dtype': 'fp16'}
    resumed = basicsr_build_model(opt)
    resumed.resume_training(resume.load_checked_state(resumed.opt, str(tmp_path / 'training_states' / '2.state')))
    assert support.state_digest(resumed) == expected
    assert resumed.grad_scalers[0].get_scale() == 1024.0
    assert torch.equal(torch.rand(3), random_after_save)  # the run continues with the same random stream
