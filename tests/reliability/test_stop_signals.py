"""SIGTERM / SIGINT stop a real training process after its current iteration with a checkpoint (issue 23).

``bebygan_plugin/train.py`` runs the tiny recipe on Set5 crops in its own session with a DataLoader worker (a
signal reaches every process of the group, as SLURM's and a terminal's do); the test sends the signal to the whole
process group once the trace hook (``tests/helpers/training_runs.py``) shows a few iterations, then checks the exit
status, the checkpoint of the last iteration that ran, and that ``--auto_resume`` continues from exactly there with
the saved state (digests of the networks, optimizers, schedulers and RNG at the save and after the resume).
"""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe

SAVE_FREQ = 1000  # no periodic save during the test: only the stop can write a checkpoint
ITERS_PER_EPOCH = 4  # 8 training pairs, batch 2; BasicSR counts epochs from 0 and has begun the next one at the stop


def _start(root, name, env, *extra):
    return subprocess.Popen([sys.executable, support.TRAIN_SCRIPT, '-opt', f'{name}.yml', *extra], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for(trace_dir, predicate, proc, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for e in support.read_trace(str(trace_dir)) if predicate(e)]
        if events:
            return events
        if proc.poll() is not None:
            raise AssertionError(f'the run ended early:\n{proc.stdout.read()[-4000:]}')
        time.sleep(0.05)
    proc.kill()
    raise AssertionError('timed out waiting for the trace')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('stop')
    support.make_pairs(str(root / 'train'), support.CROP_NAMES[:8])
    return root


def _options(root, name, total_iter):
    opt = set5_recipe(name, str(root / 'train'), total_iter=total_iter, save_freq=SAVE_FREQ,
                      **{'datasets.train.num_worker_per_gpu': 1})
    support.write_options(str(root / f'{name}.yml'), opt)


def _iterations(trace_dir):
    return [e['iter'] for e in support.read_trace(str(trace_dir)) if e['event'] == 'iter']


def test_sigterm_saves_the_current_iteration_and_auto_resume_continues_from_it(data_root):
    root, trace, resumed_trace = data_root, data_root / 'trace_term', data_root / 'trace_resume'
    _options(root, 'term', total_iter=500)
    proc = _start(root, 'term', support.trace_env(str(trace)))
    _wait_for(trace, lambda e: e['event'] == 'iter' and e['iter'] >= 3, proc)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    seconds = time.monotonic() - sent
    assert proc.returncode == 128 + signal.SIGTERM, out[-4000:]
    last = max(_iterations(trace))
    assert 3 <= last < 500
    assert f'stopped on SIGTERM after iteration {last}: the checkpoint of iteration {last} is saved' in out
    states = root / 'experiments' / 'term' / 'training_states'
    models = root / 'experiments' / 'term' / 'models'
    assert sorted(os.listdir(states)) == [f'{last}.state']
    assert {f'net_g_{last}.pth', f'net_d_{last}.pth'} <= set(os.listdir(models))
    state = torch.load(states / f'{last}.state', map_location='cpu', weights_only=False)
    assert state['iter'] == last and state['epoch'] == last // ITERS_PER_EPOCH  # the epoch of BasicSR's loop
    print(f'SIGTERM to exit: {seconds:.2f} s; stopped after iteration {last}')

    _options(root, 'term', total_iter=last + 2)
    resumed = _start(root, 'term', support.trace_env(str(resumed_trace)), '--auto_resume')
    out, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, out[-4000:]
    events = support.read_trace(str(resumed_trace))
    resume = [e for e in events if e['event'] == 'resume']
    assert [e['iter'] for e in resume] == [last]
    saved = [e for e in support.read_trace(str(trace)) if e['event'] == 'digest_at_save']
    assert [e['iter'] for e in saved] == [last] and saved[0]['digest'] == resume[0]['digest']
    assert _iterations(resumed_trace) == [last + 1, last + 2]


def test_a_second_signal_during_the_save_waits_for_a_complete_checkpoint(data_root):
    root, trace = data_root, data_root / 'trace_twice'
    _options(root, 'twice', total_iter=500)
    env = support.trace_env(str(trace), BEBYGAN_TRACE_PAUSE_SAVE='state:1:3')
    proc = _start(root, 'twice', env)
    _wait_for(trace, lambda e: e['event'] == 'iter' and e['iter'] >= 2, proc)
    os.killpg(proc.pid, signal.SIGINT)
    _wait_for(trace, lambda e: e['event'] == 'fsync' and e['pausing'], proc)
    os.killpg(proc.pid, signal.SIGINT)  # while the state file is being written
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, out[-4000:]
    assert 'SIGINT received again: the checkpoint is being written' in out
    last = max(_iterations(trace))
    states = root / 'experiments' / 'twice' / 'training_states'
    assert sorted(os.listdir(states)) == [f'{last}.state']  # complete, and no temporary file left
    assert torch.load(states / f'{last}.state', map_location='cpu', weights_only=False)['iter'] == last
