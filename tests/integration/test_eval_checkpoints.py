"""``bebygan-eval --checkpoints``: every net_g_<iter>.pth of a models folder scored on Set5 (params and EMA), the
csv / plot / report, the best iteration, --watch on a folder that grows, and the checks."""
import csv
import os

import cv2
import numpy as np
import pytest
import torch
from basicsr.archs.rrdbnet_arch import RRDBNet

from bebygan_plugin.evaluation import checkpoints as checkpoints_module
from bebygan_plugin.evaluation.curves import PANEL_H
from bebygan_plugin.evaluation.datasets import DatasetSpec
from bebygan_plugin.evaluation.runner import EvalConfig, run_checkpoints
from devtools.paths import SET5
from tests.helpers.evaluation import run_eval

SPEC = f'Set5={SET5 / "HR"}{os.pathsep}{SET5 / "LR_bicubic" / "X4"}'
METRICS = 'psnr,ssim'


def tiny_state(seed):
    torch.manual_seed(seed)
    return RRDBNet(3, 3, num_feat=8, num_block=1, num_grow_ch=4).state_dict()


def save_checkpoint(folder, iteration, ema=True):
    """A BasicSR generator checkpoint; with ``ema`` its params_ema differ from its params."""
    obj = {'params': tiny_state(iteration)}
    if ema:
        obj['params_ema'] = tiny_state(1000 + iteration)
    torch.save(obj, folder / f'net_g_{iteration}.pth')


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture
def models(tmp_path):
    folder = tmp_path / 'experiments' / 'run' / 'models'
    folder.mkdir(parents=True)
    for iteration in (10, 20):
        save_checkpoint(folder, iteration)
    save_checkpoint(folder, 30, ema=False)
    torch.save({'params': tiny_state(99)}, folder / 'net_g_latest.pth')  # not an iteration: left out
    torch.save({'params': tiny_state(98)}, folder / 'net_d_10.pth')  # another network: left out
    return folder


def test_every_checkpoint_and_its_ema_weights_are_scored_like_a_model(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    before = sorted(os.listdir(models))
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', SPEC, '--checkpoints', models, '--metrics', METRICS) == 0
    assert sorted(os.listdir(models)) == before  # the run's folder is only read
    rows = read_csv(out / 'checkpoints.csv')
    assert [(r['iteration'], r['weights']) for r in rows] == [
        ('10', 'params'), ('10', 'params_ema'), ('20', 'params'), ('20', 'params_ema'), ('30', 'params')]
    assert {r['dataset'] for r in rows} == {'Set5'} and {r['images'] for r in rows} == {'5'}

    # the same numbers as bebygan-eval --model on the same weights (its EMA weights, which it prefers)
    assert run_eval('-o', tmp_path / 'one', '--dataset', SPEC, '--model', f'it20={models / "net_g_20.pth"}',
                    '--metrics', METRICS) == 0
    per_image = read_csv(tmp_path / 'one' / 'results.csv')
    for metric in ('psnr', 'ssim'):
        mean = sum(float(r[metric]) for r in per_image) / len(per_image)
        assert float(rows[3][metric]) == pytest.approx(mean, rel=1e-12)
    assert rows[0]['psnr'] != rows[1]['psnr']  # params and params_ema are different networks

    best_psnr = max(rows[::2], key=lambda r: float(r['psnr']))  # net_g rows: 10, 20, 30
    report = (out / 'report.md').read_text()
    assert f'- Set5, net_g: PSNR {float(best_psnr["psnr"]):.2f} at iteration {best_psnr["iteration"]} ' in report
    assert '## Set5 (5), EMA' in report and '## Set5 (5), net_g' in report
    assert f'**{float(best_psnr["psnr"]):.2f}**' in report
    stdout = capsys.readouterr().out
    assert f'Set5 net_g: best PSNR {float(best_psnr["psnr"]):.2f} at iteration {best_psnr["iteration"]}' in stdout
    plot = cv2.imread(str(out / 'checkpoints.png'))
    assert plot.shape[0] == 2 * PANEL_H and plot.std() > 0  # one panel per metric


def test_watch_scores_new_checkpoints_as_they_appear_and_waits_for_incomplete_ones(models, tmp_path, monkeypatch):
    """A folder that grows between polls (a training saving): each new complete file is scored once; a file that
    does not load yet is retried; the watcher lowers its priority and uses one thread."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    manners = []
    monkeypatch.setattr(os, 'nice', lambda n: manners.append(('nice', n)))
    monkeypatch.setattr(torch, 'set_num_threads', lambda n: manners.append(('threads', n)))
    for name in ('net_g_20.pth', 'net_g_30.pth'):
        os.remove(models / name)
    polls = []

    def training_step(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            (models / 'net_g_20.pth').write_bytes(b'PK\x03\x04 half-written')  # a save in progress
        elif len(polls) == 2:
            save_checkpoint(models, 20)  # the save completed

    config = EvalConfig(out_dir=str(tmp_path / 'watch'), datasets=[DatasetSpec('Set5', str(SET5 / 'HR'))],
                        metrics=['psnr'], checkpoints=str(models), watch=True, interval=7.5)
    scores, paths = run_checkpoints(config, stop=lambda: len(polls) >= 3, sleep=training_step)
    assert manners == [('nice', checkpoints_module.WATCH_NICENESS), ('threads', 1)]
    assert polls == [7.5, 7.5, 7.5]
    assert [(r['iteration'], r['weights']) for r in read_csv(paths['checkpoints.csv'])] == [
        ('10', 'params'), ('10', 'params_ema'), ('20', 'params'), ('20', 'params_ema')]
    assert not scores.skipped


def test_checkpoint_problems_are_named_before_any_work(models, tmp_path, capsys):
    (models / 'net_g_40.pth').write_bytes(b'PK\x03\x04 truncated')
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--dataset', SPEC, '--checkpoints', models, '--bicubic') == 2
    err = capsys.readouterr().err
    assert '--bicubic: cannot be combined with --checkpoints' in err
    assert f'--checkpoints: {models / "net_g_40.pth"} cannot be loaded' in err
    assert not out.exists()
    assert run_eval('-o', models / 'report', '--dataset', SPEC, '--checkpoints', models) == 2
    assert 'is inside the checkpoints folder' in capsys.readouterr().err
    assert run_eval('-o', out, '--dataset', SPEC, '--checkpoints', tmp_path / 'nothing') == 2
    assert f'--checkpoints: {tmp_path / "nothing"} does not exist' in capsys.readouterr().err
    assert not (models / 'report').exists() and not out.exists()


def test_best_iteration_prefers_the_metric_direction_and_the_earliest_tie():
    scores = checkpoints_module.CheckpointScores(['psnr', 'flat'], ['d'], 4, rows=[
        {'iteration': i, 'weights': 'params', 'dataset': 'd', 'images': 1, 'psnr': p, 'flat': f}
        for i, p, f in ((10, 20.0, 3.0), (20, 22.0, 2.0), (30, 22.0, 2.5), (40, 21.0, float('nan')))])
    assert [(m, i, v) for _, _, m, i, v in scores.best()] == [('psnr', 20, 22.0), ('flat', 20, 2.0)]
    assert np.isfinite([v for *_, v in scores.best()]).all()


def test_a_watch_before_the_first_checkpoint_takes_the_scale_from_the_trainings_option_file(models):
    assert checkpoints_module.training_scale(str(models)) is None
    (models.parent / 'train_run.yml').write_text('name: run\nscale: 2\n')
    assert checkpoints_module.training_scale(str(models)) == 2
