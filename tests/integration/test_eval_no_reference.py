"""bebygan-eval --lq-only: images without GT (real photos) are scored by the no-reference metrics alone: NIQE
(BasicSR's, offline), and MUSIQ / CLIPIQA / PI where their pyiqa weights are present, else named as not computed
before any work. The LQ images are real photos (Set5's MATLAB-made x4 LR)."""
import csv
import os

import numpy as np
import pytest
import torch
from devtools.paths import SET5
from tests.helpers.evaluation import run_eval

from bebygan_plugin.files.images import read_image
from bebygan_plugin.metrics.weight_downloads import PYIQA_METRIC_FILES


def rows(report) -> list:
    with open(report / 'results.csv', newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture
def photos(tmp_path):
    """Two real LQ photos (70x70 and 72x72), no GT."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('headx4', 'birdx4'):
        os.symlink(SET5 / 'LR_bicubic' / 'X4' / f'{name}.png', folder / f'{name}.png')
    return folder


def test_lq_only_gives_niqe_of_the_sr_images_and_names_what_is_not_computed(torch_home, photos, tmp_path, capsys):
    from basicsr.metrics.niqe import calculate_niqe

    out = tmp_path / 'report'
    assert run_eval('-o', out, '--lq-only', f'Photos={photos}', '--bicubic') == 0
    err = capsys.readouterr().err
    for metric, files in (('pi', PYIQA_METRIC_FILES['pi']), ('musiq', PYIQA_METRIC_FILES['musiq']),
                          ('clipiqa', ['RN50.pt'])):
        assert f'{metric} not computed' in err and all(name in err for name in files), metric
    assert err.index('not computed') < err.index('Evaluate')  # named before the work
    found = {row['image']: row for row in rows(out)}
    assert sorted(found) == ['birdx4', 'headx4']
    for name, row in found.items():
        assert row['psnr'] == row['ssim'] == row['lpips'] == ''  # no GT: no full-reference value
        sr = read_image(out / 'sr' / 'bicubic' / 'Photos' / f'{name}.png', order='bgr')
        lq = read_image(photos / f'{name}.png', order='bgr')
        assert sr.shape == (4 * lq.shape[0], 4 * lq.shape[1], 3)
        assert float(row['niqe']) == pytest.approx(calculate_niqe(sr, 4, input_order='HWC', convert_to='y'),
                                                   rel=1e-9)
    report = (out / 'report.md').read_text()
    assert '| Photos (2) | NIQE ↓ |' in report and 'PSNR' not in report and 'no GT' in report
    assert (out / 'figures' / 'Photos_headx4.png').is_file()


def test_full_reference_metrics_need_a_dataset_with_gt(torch_home, photos, tmp_path, capsys):
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--lq-only', f'Photos={photos}', '--bicubic', '--metrics', 'psnr,niqe') == 2
    err = capsys.readouterr().err
    assert '--metrics: psnr compares with a GT, and every dataset is --lq-only' in err and not out.exists()


def test_an_asked_for_no_reference_metric_without_weights_stops_before_work(torch_home, photos, tmp_path, capsys):
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--lq-only', f'Photos={photos}', '--bicubic', '--metrics', 'niqe,musiq') == 2
    err = capsys.readouterr().err
    assert '--metrics musiq: ' in err and PYIQA_METRIC_FILES['musiq'][0] in err and not out.exists()


def test_datasets_with_and_without_gt_side_by_side(torch_home, photos, tmp_path):
    gt, lq = tmp_path / 'gt', tmp_path / 'lq'
    gt.mkdir()
    lq.mkdir()
    os.symlink(SET5 / 'HR' / 'bird.png', gt / 'bird.png')
    os.symlink(photos / 'birdx4.png', lq / 'birdx4.png')
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', f'Set5={gt}{os.pathsep}{lq}', '--lq-only', f'Photos={photos}',
                    '--bicubic', '--metrics', 'psnr,niqe') == 0
    by_dataset = {(row['dataset'], row['image']): row for row in rows(out)}
    assert float(by_dataset[('Set5', 'bird')]['psnr']) > 20 and by_dataset[('Photos', 'birdx4')]['psnr'] == ''
    # the same LQ pixels with and without their GT: the same SR, the same NIQE
    assert by_dataset[('Set5', 'bird')]['niqe'] == by_dataset[('Photos', 'birdx4')]['niqe'] != ''
    report = (out / 'report.md').read_text()
    assert '| Set5 (1) | PSNR ↑ |' in report and '| Photos (2) | NIQE ↓ |' in report
    assert '| | PSNR' not in report.split('| Photos (2)')[1]


@pytest.fixture
def random_musiq(torch_home):
    """MUSIQ's file holding a randomly initialised network (the real KonIQ weights cannot be downloaded here):
    it checks the plumbing (RGB, crop, no reference), not MUSIQ."""
    from pyiqa.archs.musiq_arch import MUSIQ

    torch.manual_seed(0)
    net = MUSIQ(pretrained=False)
    path = torch_home / 'hub' / 'pyiqa' / PYIQA_METRIC_FILES['musiq'][0]
    path.parent.mkdir(parents=True)
    torch.save(net.state_dict(), path)
    return net


def test_musiq_is_computed_by_default_where_its_weights_are_present(random_musiq, photos, tmp_path):
    from bebygan_plugin.metrics import pyiqa_metric

    pyiqa_metric._pyiqa_metric.cache_clear()
    (photos / 'birdx4.png').unlink()
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--lq-only', f'Photos={photos}', '--bicubic') == 0
    (row,) = rows(out)
    sr = read_image(out / 'sr' / 'bicubic' / 'Photos' / 'headx4.png')  # RGB
    tensor = torch.from_numpy(sr[4:-4, 4:-4].astype(np.float32) / 255).permute(2, 0, 1)[None]
    with torch.no_grad():
        expected = random_musiq.eval()(tensor).item()
    assert float(row['musiq']) == pytest.approx(expected, rel=1e-4)
    assert 'MUSIQ' in (out / 'report.md').read_text().split('## Protocol')[0]
    pyiqa_metric._pyiqa_metric.cache_clear()


def test_checkpoints_of_a_training_are_scored_on_photos_without_gt(torch_home, photos, tmp_path):
    """--checkpoints with --lq-only: the curve of a real-world training on real photos, by NIQE, with the values
    that bebygan-eval --model gives on the same weights."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    (photos / 'birdx4.png').unlink()
    models = tmp_path / 'experiments' / 'run' / 'models'
    models.mkdir(parents=True)
    torch.manual_seed(0)
    state = RRDBNet(3, 3, num_feat=8, num_block=1, num_grow_ch=4).state_dict()
    state['conv_last.weight'] *= 30  # a textured output (NIQE's fit fails on a near-flat one)
    torch.save({'params': state}, models / 'net_g_10.pth')
    assert run_eval('-o', tmp_path / 'curve', '--lq-only', f'Photos={photos}', '--checkpoints', models) == 0
    with open(tmp_path / 'curve' / 'checkpoints.csv', newline='') as f:
        (row,) = list(csv.DictReader(f))
    assert row['dataset'] == 'Photos' and row['iteration'] == '10'
    assert run_eval('-o', tmp_path / 'one', '--lq-only', f'Photos={photos}', '--model',
                    f'it10={models / "net_g_10.pth"}', '--metrics', 'niqe') == 0
    (one,) = rows(tmp_path / 'one')
    assert float(row['niqe']) == pytest.approx(float(one['niqe']), rel=1e-12)
