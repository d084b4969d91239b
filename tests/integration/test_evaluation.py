"""bebygan-eval end to end: the Set5 bicubic anchor, the columns against BasicSR's functions, LQ pairing, offline
metrics, per-image failures, and the report / page / figure files."""
import csv
import os
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from basicsr.metrics import calculate_psnr, calculate_ssim
from basicsr.metrics.niqe import calculate_niqe

from bebygan_plugin.preparation.lr_bicubic import matlab_resize_uint8, mod_crop
from bebygan_plugin.metrics.lpips_metric import calculate_lpips
from devtools.paths import REPO_ROOT
from tests.helpers.random_weights import place_random_vgg16
from tests.helpers.evaluation import run_eval

PUBLISHED_SET5_BICUBIC_X4 = (28.42, 0.8104)  # PSNR (dB) / SSIM on Y, border 4, as published for bicubic x4
# Set5 (HR + MATLAB-made LR_bicubic/X4): shipped in tests/data, or beside the checkout
SET5_PLACES = (REPO_ROOT / 'tests' / 'data' / 'Set5', REPO_ROOT.parent / 'shared' / 'data' / 'Set5')


def read_rows(report_dir):
    with open(report_dir / 'results.csv', newline='') as f:
        return list(csv.DictReader(f))


def column_mean(rows, column, method='bicubic'):
    return float(np.mean([float(r[column]) for r in rows if r['method'] == method]))


def test_set5_bicubic_reproduces_the_published_anchor_and_basicsr_values(tmp_path, monkeypatch):
    """Through the console script: PSNR / SSIM of MATLAB bicubic on Set5 x4 match the published 28.42 / 0.8104, and
    every PSNR / SSIM / NIQE cell equals BasicSR's function on the SR image written to sr/."""
    set5 = next((place for place in SET5_PLACES if (place / 'LR_bicubic' / 'X4').is_dir()), None)
    if set5 is None:
        pytest.skip(f'Set5 is in none of {[str(p) for p in SET5_PLACES]}')
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    out = tmp_path / 'report'
    cmd = [sys.executable, '-m', 'bebygan_plugin.evaluation.cli']
    script = shutil.which('bebygan-eval', path=os.path.dirname(sys.executable))  # this interpreter's console script
    cmd = [script] if script else cmd
    cmd += ['-o', str(out), '--dataset', f'Set5={set5 / "HR"}{os.pathsep}{set5 / "LR_bicubic" / "X4"}', '--bicubic',
            '--metrics', 'psnr,ssim,niqe']
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(out / 'report.md') in result.stdout

    rows = read_rows(out)
    assert [r['image'] for r in rows] == ['baby', 'bird', 'butterfly', 'head', 'woman']
    assert column_mean(rows, 'psnr') == pytest.approx(PUBLISHED_SET5_BICUBIC_X4[0], abs=0.1)
    assert column_mean(rows, 'ssim') == pytest.approx(PUBLISHED_SET5_BICUBIC_X4[1], abs=0.002)
    for row in rows:
        assert row['lpips'] == row['pi'] == row['flat'] == ''  # not asked for: empty, not zero
        sr = cv2.imread(str(out / 'sr' / 'bicubic' / 'Set5' / f"{row['image']}.png"))
        gt = mod_crop(cv2.imread(str(set5 / 'HR' / f"{row['image']}.png")), 4)
        assert float(row['psnr']) == calculate_psnr(sr, gt, 4, test_y_channel=True)
        assert float(row['ssim']) == calculate_ssim(sr, gt, 4, test_y_channel=True)
        assert float(row['niqe']) == pytest.approx(calculate_niqe(sr, 4, convert_to='y'), rel=1e-12)

    report = (out / 'report.md').read_text()
    assert '| Dataset | Metric | bicubic |' in report
    assert f'| Set5 (5) | PSNR ↑ | {column_mean(rows, "psnr"):.2f} |' in report
    assert 'NIQE ↓' in report and '4-pixel border' in report
    page = (out / 'index.html').read_text()
    for image in ('baby', 'bird', 'butterfly', 'head', 'woman'):
        figure = out / 'figures' / f'Set5_{image}.png'
        assert cv2.imread(str(figure)) is not None
        assert f'src="figures/Set5_{image}.png"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # opens offline: every image and link is local


def _write(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    """Two real photos (skimage) as a GT folder, with LQ folders in both naming layouts."""
    from bebygan_plugin.demo import skimage_photo

    root = tmp_path_factory.mktemp('photos')
    for name in ('chelsea', 'coffee'):
        gt = cv2.cvtColor(skimage_photo(name, max_side=224), cv2.COLOR_RGB2BGR)
        gt = np.ascontiguousarray(gt[:, :-2])  # not a multiple of 4 wide: the evaluation crops the GT
        _write(root / 'HR' / f'{name}.png', gt)
        lq = matlab_resize_uint8(mod_crop(gt, 4), 1 / 4)
        _write(root / 'LR_x4_suffix' / f'{name}x4.png', lq)
        _write(root / 'LR_plain' / f'{name}.png', lq)
    return root


@pytest.mark.parametrize('lq_folder', ['LR_x4_suffix', 'LR_plain', None])
def test_lq_pairing_with_and_without_suffix_and_without_lq(photos, tmp_path, monkeypatch, lq_folder):
    """Both LQ naming layouts pair by name, and without an LQ folder the LR is the MATLAB bicubic of the GT: all three
    give the same SR images (the LQ files were made that way)."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    spec = f'photos={photos / "HR"}' + (f'{os.pathsep}{photos / lq_folder}' if lq_folder else '')
    assert run_eval('-o', tmp_path, '--dataset', spec, '--bicubic', '--metrics', 'psnr') == 0
    rows = read_rows(tmp_path)
    assert [(r['image'], r['method']) for r in rows] == [('chelsea', 'bicubic'), ('coffee', 'bicubic')]
    for name in ('chelsea', 'coffee'):
        gt = mod_crop(cv2.imread(str(photos / 'HR' / f'{name}.png')), 4)
        expected = matlab_resize_uint8(matlab_resize_uint8(gt, 1 / 4), 4)
        sr = cv2.imread(str(tmp_path / 'sr' / 'bicubic' / 'photos' / f'{name}.png'))
        assert sr.shape == gt.shape and np.array_equal(sr, expected)


def test_bad_datasets_are_reported_before_any_work(photos, tmp_path, capsys):
    """Missing folder, unpaired files, two partners, a wrong-size LQ and a corrupt image: all named at once, nothing
    created."""
    bad = tmp_path / 'bad'
    shutil.copytree(photos / 'HR', bad / 'HR')
    shutil.copytree(photos / 'LR_x4_suffix', bad / 'LR')
    _write(bad / 'HR' / 'lonely.png', np.zeros((32, 32, 3), np.uint8))  # no LQ partner
    _write(bad / 'LR' / 'orphanx4.png', np.zeros((8, 8, 3), np.uint8))  # no GT partner
    shutil.copy(bad / 'LR' / 'coffeex4.png', bad / 'LR' / 'coffee.png')  # two partners for coffee
    (bad / 'HR' / 'broken.png').write_bytes((photos / 'HR' / 'chelsea.png').read_bytes()[:300])
    _write(bad / 'LR' / 'brokenx4.png', np.zeros((8, 8, 3), np.uint8))
    out = tmp_path / 'out'
    status = run_eval('-o', out, '--bicubic', '--dataset', f'bad={bad / "HR"}{os.pathsep}{bad / "LR"}',
                      '--dataset', f'gone={tmp_path / "missing"}')
    err = capsys.readouterr().err
    assert status == 2 and not out.exists()
    assert 'lonely.png has no LQ partner' in err
    assert 'orphanx4.png has no GT partner' in err
    assert 'coffee.png has two LQ partners' in err
    assert f'folder {tmp_path / "missing"} does not exist' in err

    # with the folders right, every image is decoded and its size checked before the work starts
    shutil.rmtree(bad)
    shutil.copytree(photos / 'HR', bad / 'HR')
    shutil.copytree(photos / 'LR_x4_suffix', bad / 'LR')
    (bad / 'HR' / 'broken.png').write_bytes((photos / 'HR' / 'chelsea.png').read_bytes()[:300])
    _write(bad / 'LR' / 'brokenx4.png', np.zeros((8, 8, 3), np.uint8))
    lq = cv2.imread(str(bad / 'LR' / 'coffeex4.png'))
    _write(bad / 'LR' / 'coffeex4.png', lq[:-1])  # one LR row short: not the x4 LR of its GT
    status = run_eval('-o', out, '--bicubic', '--dataset', f'bad={bad / "HR"}{os.pathsep}{bad / "LR"}')
    err = capsys.readouterr().err
    assert status == 2 and not out.exists()
    assert 'broken.png: cannot be decoded' in err
    assert 'coffee.png: is 224x220 after cropping to a multiple of 4, but its LQ' in err


def test_explicit_lpips_without_weights_fails_before_any_work(photos, tmp_path, torch_home, capsys):
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--bicubic', '--dataset', f'photos={photos / "HR"}', '--metrics', 'psnr,lpips') == 2
    err = capsys.readouterr().err
    assert 'vgg16-397923af.pth' in err and str(torch_home / 'hub' / 'checkpoints') in err
    assert not out.exists()


def test_explicit_pi_without_its_files_fails_before_any_work(photos, tmp_path, torch_home, capsys):
    """pyiqa's PI loads two parameter files from its cache; offline and missing, the run names them and the folder
    (or, without pyiqa, the extra to install)."""
    import importlib.util

    out = tmp_path / 'out'
    assert run_eval('-o', out, '--bicubic', '--dataset', f'photos={photos / "HR"}', '--metrics', 'pi') == 2
    err = capsys.readouterr().err
    assert not out.exists()
    if importlib.util.find_spec('pyiqa') is None:
        assert 'pip install pyiqa' in err
    else:
        assert 'NRQM_model.mat and niqe_modelparameters.mat' in err and str(torch_home / 'hub' / 'pyiqa') in err


def test_default_metrics_skip_what_cannot_run_and_lpips_runs_with_placed_weights(photos, tmp_path, torch_home,
                                                                                random_vgg16_file):
    """Offline without weights the default run skips LPIPS (and says why in the report); with a VGG16 file placed
    (RANDOMLY initialised: this checks the loading and plumbing, not LPIPS values) LPIPS is computed, and each cell
    equals calculate_lpips on the written SR image."""
    first = tmp_path / 'without'
    assert run_eval('-o', first, '--bicubic', '--dataset', f'photos={photos / "HR"}') == 0
    assert all(r['lpips'] == '' and r['psnr'] and r['niqe'] and r['flat'] for r in read_rows(first))
    report = (first / 'report.md').read_text()
    assert '## Not computed' in report and 'LPIPS: LPIPS-vgg needs the ImageNet weights vgg16-397923af.pth' in report

    place_random_vgg16(torch_home, random_vgg16_file)
    second = tmp_path / 'with'
    assert run_eval('-o', second, '--bicubic', '--dataset', f'photos={photos / "HR"}', '--metrics', 'lpips') == 0
    for row in read_rows(second):
        sr = cv2.imread(str(second / 'sr' / 'bicubic' / 'photos' / f"{row['image']}.png"))
        gt = mod_crop(cv2.imread(str(photos / 'HR' / f"{row['image']}.png")), 4)
        assert float(row['lpips']) == pytest.approx(calculate_lpips(sr, gt, crop_border=4, net='vgg'), abs=1e-7)
        assert float(row['lpips']) > 0 and row['psnr'] == ''


def test_a_niqe_failure_on_a_flat_output_leaves_the_run_alive(photos, tmp_path, monkeypatch, capsys):
    """A flat GT gives a flat bicubic output, on which NIQE's SVD fails: that cell stays empty with a warning and a
    note in the report; the other image and the other metrics are computed."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    data = tmp_path / 'data'
    shutil.copy(photos / 'HR' / 'chelsea.png', (data.mkdir() or data) / 'chelsea.png')
    _write(data / 'wall.png', np.full((208, 208, 3), 100, np.uint8))
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--bicubic', '--dataset', f'mixed={data}', '--metrics', 'niqe,flat') == 0
    assert 'warning: left empty: mixed/wall, bicubic, niqe: LinAlgError' in capsys.readouterr().err
    rows = {r['image']: r for r in read_rows(out)}
    assert rows['wall']['niqe'] == '' and float(rows['wall']['flat']) == 0.0
    assert float(rows['chelsea']['niqe']) > 0
    report = (out / 'report.md').read_text()
    assert '## Left empty' in report and 'mixed/wall, bicubic, niqe: LinAlgError' in report
    assert '| mixed (2) | NIQE ↓ | ' in report and '(1/2)' in report  # the mean says it covers one image of two


def test_crop_option_sets_the_zoomed_window_and_is_checked(photos, tmp_path, monkeypatch, capsys):
    """--crop 10,20,40,30: the figure shows exactly that window of the SR image, magnified 5x (nearest neighbour)."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--bicubic', '--dataset', f'photos={photos / "HR"}', '--metrics', 'psnr',
                    '--crop', '10,20,40,30') == 0
    figure = cv2.imread(str(out / 'figures' / 'photos_coffee.png'))
    sr = cv2.imread(str(out / 'sr' / 'bicubic' / 'photos' / 'coffee.png'))
    zoom = np.repeat(np.repeat(sr[20:50, 10:50], 5, axis=0), 5, axis=1)
    x, y = cv2.minMaxLoc(cv2.matchTemplate(figure, zoom, cv2.TM_SQDIFF))[2]
    assert np.array_equal(figure[y:y + 150, x:x + 200], zoom)  # found in the figure, pixel for pixel
    assert run_eval('-o', tmp_path / 'out2', '--bicubic', '--dataset', f'photos={photos / "HR"}',
                    '--crop', '200,200,80,80') == 2
    assert '--crop: 200,200,80,80 does not fit' in capsys.readouterr().err


def _tiny_rrdb(path, scale=4):
    """A tiny, randomly initialised BasicSR RRDBNet checkpoint (``params``)."""
    import torch
    from basicsr.archs.rrdbnet_arch import RRDBNet

    torch.manual_seed(0)
    net = RRDBNet(3, 3, scale=scale, num_feat=8, num_block=1, num_grow_ch=4)
    torch.save({'params': net.state_dict()}, path)
    return path


def test_models_run_through_the_inference_api_with_tiles(photos, tmp_path, monkeypatch):
    """A checkpoint and an option YAML of the same tiny RRDB, next to bicubic: each SR image is what
    bebygan_plugin.inference gives for the LR with the same tiles, and the report has one column per method."""
    import yaml

    from bebygan_plugin.inference import load_generator, upscale

    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    weights = _tiny_rrdb(tmp_path / 'tiny.pth')
    option = tmp_path / 'tiny.yml'
    option.write_text(yaml.safe_dump({
        'network_g': {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 8, 'num_block': 1,
                      'num_grow_ch': 4},
        'path': {'pretrain_network_g': str(weights), 'param_key_g': 'params'}}))
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--dataset', f'photos={photos / "HR"}{os.pathsep}{photos / "LR_x4_suffix"}',
                    '--model', f'ckpt={weights}', '--model', f'yaml={option}', '--bicubic', '--metrics',
                    'psnr,flat', '--tile', 32, '--device', 'cpu') == 0
    net = load_generator(str(weights))
    for name in ('chelsea', 'coffee'):
        lq_rgb = cv2.cvtColor(cv2.imread(str(photos / 'LR_x4_suffix' / f'{name}x4.png')), cv2.COLOR_BGR2RGB)
        expected = cv2.cvtColor(upscale(net, lq_rgb, tile=32), cv2.COLOR_RGB2BGR)
        for method in ('ckpt', 'yaml'):
            assert np.array_equal(cv2.imread(str(out / 'sr' / method / 'photos' / f'{name}.png')), expected)
    rows = read_rows(out)
    assert [r['method'] for r in rows[:3]] == ['bicubic', 'ckpt', 'yaml']
    assert '| Dataset | Metric | bicubic | ckpt | yaml |' in (out / 'report.md').read_text()


def test_model_problems_are_reported_before_any_work(photos, tmp_path, capsys):
    x2 = _tiny_rrdb(tmp_path / 'x2.pth', scale=2)
    out = tmp_path / 'out'
    status = run_eval('-o', out, '--dataset', f'photos={photos / "HR"}', '--bicubic', '--scale', 4,
                      '--model', f'x2={x2}', '--model', f'gone={tmp_path / "missing.pth"}', '--model', f'bicubic={x2}',
                      '--precision', 'fp16', '--device', 'cpu')
    err = capsys.readouterr().err
    assert status == 2 and not out.exists()
    assert 'is a x2 model, but the evaluation is x4' in err
    assert 'missing.pth' in err
    assert "two methods are named 'bicubic'" in err
    assert 'fp16 runs on CUDA only' in err
