"""Resume mistakes named before anything runs, with real trainings and real checkpoint files: a checkpoint of
another network size, an unreadable resume state, ``total_iter`` already reached, and a training set too small for
the epochs BasicSR plans. Each exits 2 with one named problem and no traceback (``bebygan-train`` in the test's
process: the preflight refuses before anything runs; the trained run is a real process)."""
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe
from tests.helpers.cli import console_exit


def _train(opt: dict, cwd, *flags: str) -> subprocess.CompletedProcess:
    path = cwd / f'{opt["name"]}.yml'
    path.write_text(yaml.safe_dump(opt, sort_keys=False))
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([support.REPO, env.get('PYTHONPATH', '')])
    return subprocess.run([sys.executable, '-m', 'bebygan_plugin.train', '-opt', str(path), *flags], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def _refused(opt: dict, cwd, *flags: str, monkeypatch, capsys) -> str:
    """``bebygan-train`` of ``opt`` in ``cwd``, in process: exits 2 naming one problem; returns its stderr."""
    from bebygan_plugin import train

    path = cwd / f'{opt["name"]}.yml'
    path.write_text(yaml.safe_dump(opt, sort_keys=False))
    monkeypatch.chdir(cwd)
    code = console_exit(train.main, '-opt', path, *flags, monkeypatch=monkeypatch)
    out = capsys.readouterr()
    assert code == 2, out.out[-3000:] + out.err[-3000:]
    assert 'Traceback' not in out.err
    assert '1 problem(s)' in out.err, out.err
    return out.err


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A finished 2-iteration run ``done`` (checkpoint of iteration 2) in a working folder, and its training pairs."""
    work = tmp_path_factory.mktemp('work')
    support.make_pairs(str(work / 'pairs'), support.CROP_NAMES[:4])
    opt = set5_recipe('done', str(work / 'pairs'), total_iter=2, save_freq=2, batch=2)
    result = _train(opt, work)
    assert result.returncode == 0, result.stderr[-3000:]
    return work, opt


def _copy_experiment(work, name: str) -> None:
    target = work / 'experiments' / name
    if not target.exists():
        shutil.copytree(work / 'experiments' / 'done', target)


def test_checkpoint_of_another_network_names_the_first_mismatch(trained, monkeypatch, capsys):
    work, opt = trained
    _copy_experiment(work, 'wider')
    wider = dict(opt, name='wider', network_g=dict(opt['network_g'], num_feat=16))
    wider['train'] = dict(opt['train'], total_iter=4)
    err = _refused(wider, work, '--auto_resume', monkeypatch=monkeypatch, capsys=capsys)
    net_file = work / 'experiments' / 'wider' / 'models' / 'net_g_2.pth'
    assert f"--auto_resume: '{net_file}' does not fit network_g (RRDBNet: shapes differ, first 'conv_first.weight': " \
           '(8, 3, 3, 3) in the file, (16, 3, 3, 3) in network_g)' in err


def test_unreadable_resume_state_is_one_line(trained, monkeypatch, capsys):
    work, opt = trained
    broken = work / 'broken.state'
    broken.write_text('not a checkpoint\n')
    resumed = dict(opt, path=dict(opt['path'], resume_state=str(broken)))
    resumed['train'] = dict(opt['train'], total_iter=4)
    err = _refused(resumed, work, monkeypatch=monkeypatch, capsys=capsys)
    lines = [line for line in err.splitlines() if line.startswith('  - ')]
    assert len(lines) == 1 and lines[0].startswith(f'  - path.resume_state: {broken} cannot be loaded'), err


def test_total_iter_already_reached_is_said(trained, monkeypatch, capsys):
    work, opt = trained
    _copy_experiment(work, 'reached')
    before = sorted(p.name for p in (work / 'experiments' / 'reached').rglob('*'))
    err = _refused(dict(opt, name='reached'), work, '--auto_resume', monkeypatch=monkeypatch, capsys=capsys)
    assert 'train.total_iter: is 2, and' in err and 'has reached iteration 2: nothing is left to train' in err
    assert sorted(p.name for p in (work / 'experiments' / 'reached').rglob('*')) == before


def test_training_set_too_small_for_the_planned_epochs_is_said_at_start(tmp_path, monkeypatch, capsys):
    support.make_pairs(str(tmp_path / 'pairs'), support.CROP_NAMES[:3])  # 3 crops, batch 2: one batch per epoch
    opt = set5_recipe('short', str(tmp_path / 'pairs'), total_iter=4, batch=2)
    err = _refused(opt, tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert ('datasets.train.batch_size_per_gpu: training would stop at iteration 3 of total_iter 4: 3 images x1 '
            "over 1 process(es) make 2 batches of 2 per epoch by BasicSR's count") in err
    assert 'dataset_enlarge_ratio to a multiple of 2' in err
    assert not (tmp_path / 'experiments').exists()
