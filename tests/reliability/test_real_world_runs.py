"""The real-world recipes (stage 2's options/train_RealBebyGAN_x4.yml and stage 1's train_RealBebyNet_x4.yml, at
CPU size, Set5 GT-only data through RealESRGANDataset) under DDP (2 gloo processes, then a DDP auto-resume) and after
a SIGKILL (then --auto_resume), as the bicubic recipe's reliability tests do; the training-pair pool starts empty
after a resume."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import training_runs as support
from tests.helpers.real_world import recipe, set5_gt_folder, shrink

ITERS, RESUMED_ITERS, BATCH, QUEUE = 4, 6, 2, 4


def _options(tmp_path, name: str, recipe_name: str = 'train_RealBebyGAN_x4') -> str:
    root, meta = set5_gt_folder(tmp_path)
    opt = shrink(recipe(recipe_name), name, root, meta, batch=BATCH, gt_size=32, queue_size=QUEUE,
                 total_iter=ITERS)
    opt['datasets']['train']['dataset_enlarge_ratio'] = 4  # whole batches on every rank in every epoch
    return support.write_options(str(tmp_path / f'{name}.yml'), opt)


def _train(cwd, args, env, nproc: int = 0):
    """``bebygan_plugin/train.py`` with ``args`` to its end (under ``torch.distributed.run`` with ``nproc`` > 0)."""
    launch = ['-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
              f'--master_port={support.free_port()}'] if nproc else []
    return subprocess.run([sys.executable, *launch, support.TRAIN_SCRIPT, *args], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=600)


def _iters(events, rank=0):
    return {e['iter']: e for e in events if e['event'] == 'iter' and e['rank'] == rank}


def _check(proc):
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


RECIPES = ['train_RealBebyGAN_x4', 'train_RealBebyNet_x4']


@pytest.mark.parametrize('recipe_name, global_loss', zip(RECIPES, ['l_d', 'l_pix']))
def test_ddp_two_processes_then_auto_resume(tmp_path, recipe_name, global_loss):
    opt = _options(tmp_path, 'real_ddp', recipe_name)
    traces = {name: tmp_path / f'trace_{name}' for name in ('first', 'resume')}
    for path in traces.values():
        path.mkdir()
    _check(_train(tmp_path, ['-opt', opt, '--launcher', 'pytorch'], support.trace_env(str(traces['first'])), 2))
    _check(_train(tmp_path, ['-opt', opt, '--launcher', 'pytorch', '--auto_resume', '--force_yml',
                             f'train:total_iter={RESUMED_ITERS}'], support.trace_env(str(traces['resume'])), 2))
    first, resumed = (support.read_trace(str(traces[name])) for name in ('first', 'resume'))
    for rank in (0, 1):
        assert sorted(_iters(first, rank)) == list(range(1, ITERS + 1))
        assert sorted(_iters(resumed, rank)) == [ITERS + 1, ITERS + 2]
        # each rank has its own pool: full after QUEUE / BATCH iterations, empty again after the resume
        assert [_iters(first, rank)[i]['pool_filled'] for i in (1, 2, 3)] == [BATCH, QUEUE, QUEUE]
        assert _iters(resumed, rank)[ITERS + 1]['pool_filled'] == BATCH
    # the ranks synthesised different pairs (seed + rank) but trained one model: the same logged global losses
    losses = [_iters(first, rank)[ITERS]['losses'] for rank in (0, 1)]
    assert losses[0][global_loss] == pytest.approx(losses[1][global_loss])
    saved = {e['iter']: e['digest'] for e in first if e['event'] == 'digest_at_save' and e['rank'] == 0}
    resume = [e for e in resumed if e['event'] == 'resume' and e['rank'] == 0]
    assert resume and resume[0]['iter'] == ITERS and resume[0]['digest'] == saved[ITERS]


@pytest.mark.parametrize('recipe_name', RECIPES)
def test_sigkill_then_auto_resume(tmp_path, recipe_name):
    opt = _options(tmp_path, 'real_kill', recipe_name)
    trace = tmp_path / 'trace'
    trace.mkdir()
    env = support.trace_env(str(trace))
    proc = subprocess.Popen([sys.executable, support.TRAIN_SCRIPT, '-opt', opt], cwd=str(tmp_path), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 400
    while time.time() < deadline and proc.poll() is None:  # kill it right after its first complete checkpoint
        if any(e['event'] == 'save' and e['path'].endswith('2.state') for e in support.read_trace(str(trace))):
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    killed = support.read_trace(str(trace))
    saved = {e['iter']: e['digest'] for e in killed if e['event'] == 'digest_at_save'}
    _check(_train(tmp_path, ['-opt', opt, '--auto_resume'], env))
    after = [e for e in support.read_trace(str(trace)) if e['pid'] != proc.pid]
    resume = [e for e in after if e['event'] == 'resume']
    assert resume and resume[0]['iter'] == 2 and resume[0]['digest'] == saved[2]
    assert sorted(_iters(after)) == [3, 4] and _iters(after)[3]['pool_filled'] == BATCH  # the pool refills
    assert (tmp_path / 'experiments' / 'real_kill' / 'training_states' / f'{ITERS}.state').is_file()
