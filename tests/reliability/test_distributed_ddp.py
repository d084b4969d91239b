"""Distributed training on CPU: ``python -m torch.distributed.run --nproc_per_node=2 bebygan_plugin/train.py -opt ...
--launcher pytorch`` with gloo, against one process with the same global batch and seeds.

Real Set5 crops (32x32 GT, x4 bicubic LR) are used at full size (``gt_size`` = image size, no flips), so the data
augmentation draws no random numbers and the two runs see the same images in every iteration: 2 ranks x batch 2
against 1 process x batch 4. The training commands are the documented ones; a ``sitecustomize`` trace hook
(``tests/helpers/training_runs.py``) records per rank what each iteration logged and trained on, the checkpoint files
written, validations, and digests of the full training state at saves and after resuming.
"""
import os
import subprocess
import sys
from os import path as osp

import pytest
import torch

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe

ITERS, RESUMED_ITERS = 4, 6


def _popen(cwd, args, env, nproc=0):
    cmd = [sys.executable]
    if nproc:
        cmd += ['-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
                f'--master_port={support.free_port()}']
    return subprocess.Popen(cmd + [support.TRAIN_SCRIPT, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc, timeout=400):
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-6000:]
    return out


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """The single-process reference and the 2-rank DDP run (started together), then a DDP auto-resume."""
    root = tmp_path_factory.mktemp('ddp')
    support.make_pairs(str(root / 'train'), support.CROP_NAMES[:8])
    support.make_pairs(str(root / 'val'), support.CROP_NAMES[8:10])
    for name, batch in (('single', 4), ('ddp', 2)):
        opt = set5_recipe(name, str(root / 'train'), str(root / 'val'), batch=batch, total_iter=ITERS,
                          save_freq=2, val_freq=2)
        support.write_options(str(root / f'{name}.yml'), opt)
    traces = {name: root / f'trace_{name}' for name in ('single', 'ddp', 'resume')}
    for path in traces.values():
        path.mkdir()
    single = _popen(str(root), ['-opt', 'single.yml'], support.trace_env(str(traces['single'])))
    ddp = _popen(str(root), ['-opt', 'ddp.yml', '--launcher', 'pytorch'], support.trace_env(str(traces['ddp'])),
                 nproc=2)
    outputs = {'single': _finish(single), 'ddp': _finish(ddp)}
    log_files_after_first_run = sorted(os.listdir(root / 'experiments' / 'ddp'))
    resume = _popen(str(root), ['-opt', 'ddp.yml', '--launcher', 'pytorch', '--auto_resume', '--force_yml',
                                f'train:total_iter={RESUMED_ITERS}'], support.trace_env(str(traces['resume'])),
                    nproc=2)
    outputs['resume'] = _finish(resume)
    return {'root': root, 'outputs': outputs, 'first_run_files': log_files_after_first_run,
            'events': {name: support.read_trace(str(path)) for name, path in traces.items()}}


def _iters(events, rank):
    return {e['iter']: e for e in events if e['event'] == 'iter' and e['rank'] == rank}


def test_ddp_losses_equal_one_process_with_the_global_batch(runs):
    single, ddp = _iters(runs['events']['single'], 0), _iters(runs['events']['ddp'], 0)
    assert sorted(single) == sorted(ddp) == list(range(1, ITERS + 1))
    worst = 0.0
    for it in range(1, ITERS + 1):
        ref, got = single[it]['losses'], ddp[it]['losses']
        assert set(ref) == set(got) and {'l_g_bb', 'l_g_bp', 'l_g_gan', 'l_g_total', 'l_d'} <= set(ref)
        for key in [k for k in ref if k.startswith('l_')] + ['mask_ratio']:
            assert got[key] == pytest.approx(ref[key], rel=1e-4, abs=1e-6), (it, key, got[key], ref[key])
            worst = max(worst, abs(got[key] - ref[key]) / max(abs(ref[key]), 1e-12))
        # out_d_real / out_d_fake: RaGAN only sees logit differences, so the last conv's bias gets a ~0 gradient
        # that Adam turns into float-noise-sized steps; their difference is what training determines.
        margin_ref, margin_got = ref['out_d_real'] - ref['out_d_fake'], got['out_d_real'] - got['out_d_fake']
        assert margin_got == pytest.approx(margin_ref, rel=1e-4, abs=1e-6), it
    print(f'\nDDP (2 x batch 2) vs 1 process (batch 4), {ITERS} iterations: worst relative loss difference '
          f'{worst:.2e}')


def test_each_rank_trains_on_a_distinct_shard_of_the_global_batch(runs):
    single = _iters(runs['events']['single'], 0)
    rank0, rank1 = _iters(runs['events']['ddp'], 0), _iters(runs['events']['ddp'], 1)
    assert sorted(rank1) == list(range(1, ITERS + 1))
    for it in range(1, ITERS + 1):
        shard0, shard1 = rank0[it]['lq_paths'], rank1[it]['lq_paths']
        assert len(shard0) == len(shard1) == 2
        assert not set(shard0) & set(shard1), it
        assert sorted(shard0 + shard1) == sorted(single[it]['lq_paths']), it
    for epoch_iters in ((1, 2), (3, 4)):  # one epoch = 2 iterations x 2 ranks x 2 images = the 8 images once
        seen = [p for i in epoch_iters for p in rank0[i]['lq_paths'] + rank1[i]['lq_paths']]
        assert len(seen) == len(set(seen)) == 8


def test_only_rank0_logs_saves_and_validates(runs):
    events = runs['events']['ddp']
    by_rank = {r: [e for e in events if e['rank'] == r] for r in (0, 1)}
    assert {e['event'] for e in by_rank[1]} == {'logger', 'process_group', 'iter', 'digest_at_save'}  # no save/val
    saves = [osp.relpath(e['path'], runs['root'] / 'experiments' / 'ddp') for e in by_rank[0] if e['event'] == 'save']
    assert sorted(saves) == sorted([f'models/net_{n}_{i}.pth' for n in 'gd' for i in (2, 4, 'latest')] +
                                   ['training_states/2.state', 'training_states/4.state'])
    assert [e['iter'] for e in by_rank[0] if e['event'] == 'validation'] == [2, 4, ITERS + 1]
    logger = {r: next(e for e in by_rank[r] if e['event'] == 'logger') for r in (0, 1)}
    assert logger[0]['file_handlers'] == ['FileHandler'] and logger[0]['level'] == 20
    assert logger[1]['file_handlers'] == [] and logger[1]['level'] == 40  # rank 1 only reports errors
    assert len([n for n in runs['first_run_files'] if n.endswith('.log')]) == 1
    state = torch.load(runs['root'] / 'experiments' / 'ddp' / 'training_states' / '4.state',
                                     weights_only=True)
    assert state['world_size'] == 2 and len(state['rng']) == 2  # both ranks' RNG states, gathered to rank 0


def test_ddp_auto_resume_restores_every_rank_and_finishes(runs):
    first, resumed = runs['events']['ddp'], runs['events']['resume']
    for rank in (0, 1):
        saved = next(e for e in first if e['rank'] == rank and e['event'] == 'digest_at_save' and e['iter'] == ITERS)
        restored = next(e for e in resumed if e['rank'] == rank and e['event'] == 'resume')
        assert restored['iter'] == ITERS
        assert restored['digest'] == saved['digest'], rank  # networks + EMA, optimizers, schedulers, RNG
        assert sorted(_iters(resumed, rank)) == list(range(ITERS + 1, RESUMED_ITERS + 1))
    ranks = [next(e for e in resumed if e['rank'] == r and e['event'] == 'resume')['digest'] for r in (0, 1)]
    assert ranks[0]['nets'] == ranks[1]['nets'] and ranks[0]['optim'] == ranks[1]['optim']
    assert ranks[0]['rng'] != ranks[1]['rng']  # each rank got its own generator state back
    exp = runs['root'] / 'experiments' / 'ddp'
    assert (exp / 'training_states' / f'{RESUMED_ITERS}.state').is_file()
    logs = sorted(exp.glob('train_ddp_*.log'))
    assert len(logs) == 2
    text = logs[-1].read_text()
    assert f'Resuming training from epoch: 1, iter: {ITERS}.' in text
    assert 'End of training' in text
