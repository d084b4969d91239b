"""The README's first command, shortened: bebygan-demo trains both stages quietly, evaluates bicubic, stage 1 and
stage 2 on the held-out photo, writes the report, page and figure, and says only what its numbers show."""
import csv
import os
import re
import shutil
import subprocess
import sys

import cv2

METHODS = ['bicubic', 'stage1_L1', 'stage2_BebyGAN']


def test_demo_trains_evaluates_and_reports(tmp_path):
    workdir = tmp_path / 'demo'
    cmd = [sys.executable, '-m', 'bebygan_plugin.demo', '--workdir', str(workdir), '--psnr-iters', '2',
           '--gan-iters', '10']
    script = shutil.which('bebygan-demo', path=os.path.dirname(sys.executable))  # this interpreter's console script
    if script:
        cmd = [script, *cmd[3:]]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                            env={**os.environ, 'BEBYGAN_OFFLINE': '1'})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = workdir / 'evaluation'

    with open(out / 'results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [(r['image'], r['method']) for r in rows] == [('chelsea', m) for m in METHODS]
    psnr = {r['method']: float(r['psnr']) for r in rows}
    assert 25 < psnr['bicubic'] < 40  # a real photo through the MATLAB bicubic round trip
    for method in METHODS:
        assert cv2.imread(str(out / 'sr' / method / 'skimage_val' / 'chelsea.png')).shape == (300, 448, 3)
    assert cv2.imread(str(out / 'figures' / 'skimage_val_chelsea.png')) is not None
    for name in ('report.md', 'index.html', 'figures/skimage_val_chelsea.png'):
        assert str(out / name) in result.stdout  # printed where they are

    # the table is printed, and the closing words follow the numbers: the best PSNR is the highest one
    assert '| Dataset | Metric | bicubic | stage1_L1 | stage2_BebyGAN |' in result.stdout
    best = max(psnr, key=psnr.get)
    shown = re.search(r'PSNR ↑: bicubic ([0-9.]+), stage1_L1 ([0-9.]+), stage2_BebyGAN ([0-9.]+); best: (\S+)',
                      result.stdout)
    assert shown and shown.group(4) == best
    assert [float(v) for v in shown.groups()[:3]] == [round(psnr[m], 2) for m in METHODS]
    delta = psnr['stage2_BebyGAN'] - psnr['stage1_L1']
    verdict = 'better' if delta > 0 else 'worse'
    assert f'stage2_BebyGAN against stage1_L1: PSNR {delta:+.2f} ({verdict})' in result.stdout
    assert 'trades some PSNR' not in result.stdout

    # quiet training: progress with it/s and ETA on the console, the option / network dumps in the log files only
    assert re.search(r'iter 10/10 \(100%\)  [0-9.]+ it/s  ETA 0:00:00', result.stderr)
    assert 'RRDBNet(' not in result.stderr and len(result.stderr.splitlines()) < 80
    log = next((workdir / 'experiments' / 'demo_BebyGAN_x4').glob('train_*.log')).read_text()
    assert 'RRDBNet(' in log
    assert 'l_g_bb' in log and 'l_g_bp' in log and 'l_g_gan' in log and 'mask_ratio' in log
    assert 'perceptual' not in log.lower()  # offline: the perceptual loss is off, not faked
