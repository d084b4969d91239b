"""The README's first command, shortened: bebygan-demo runs both stages and writes validated SR images."""
import os
import re
import shutil
import subprocess
import sys

import cv2


def test_demo_runs_both_stages_and_writes_results(tmp_path):
    workdir = tmp_path / 'demo'
    cmd = [sys.executable, '-m', 'bebygan_plugin.demo', '--workdir', str(workdir), '--psnr-iters', '2',
           '--gan-iters', '10']
    script = shutil.which('bebygan-demo', path=os.path.dirname(sys.executable))  # this interpreter's console script
    if script:
        cmd = [script, *cmd[3:]]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = re.findall(r'^chelsea\s+(\S+)\s+([0-9.]+)\s+([0-9.]+)\s+(\S+)$', result.stdout, re.M)
    assert [r[0] for r in rows] == ['bicubic', 'demo_RRDB_PSNR_x4', 'demo_BebyGAN_x4']
    bicubic_psnr = float(rows[0][1])
    assert 25 < bicubic_psnr < 40  # a real photo through the MATLAB bicubic round trip
    for method, _, _, path in rows:
        sr = cv2.imread(path)
        assert sr is not None and sr.shape == (300, 448, 3), method
    log = (workdir / 'experiments' / 'demo_BebyGAN_x4').glob('train_*.log')
    text = next(log).read_text()
    assert 'l_g_bb' in text and 'l_g_bp' in text and 'l_g_gan' in text and 'mask_ratio' in text
    assert 'perceptual' not in text.lower()  # offline: the perceptual loss is off, not faked
