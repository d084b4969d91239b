"""Messages that say what happened, with real files and processes: a pickle payload is called code and not run, a
``.pth`` without weights is named, eval suggests no flag it lacks, Ctrl-C in bebygan-infer (a real SIGINT) prints a
summary, symbolic link loops and FIFOs are named as what they are (and reported inside folders), and bebygan-eval
on a full disk (a real ``RLIMIT_FSIZE``: every write past the limit fails with EFBIG) names each failed image."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from basicsr.archs.rrdbnet_arch import RRDBNet

from bebygan_plugin.files.checkpoint import CheckpointError
from bebygan_plugin.files.training_states import load_checked_state
from bebygan_plugin.files.weights import WeightFileError, read_weight_file, weight_groups
from bebygan_plugin.inference.batch import collect_inputs
from tests.helpers import training_runs as support
from tests.helpers.cli import exit_status
from devtools.paths import SET5


class _RunsACommand:
    """Pickles as a call of ``os.system`` (what a malicious checkpoint holds); pickling it runs nothing."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _env() -> dict:
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join([support.REPO, env.get('PYTHONPATH', '')])
    return env


def test_pickle_payload_is_called_code_and_not_run(tmp_path):
    marker = tmp_path / 'ran'
    evil = tmp_path / 'net_g.pth'
    torch.save({'params': _RunsACommand(f'touch {marker}')}, evil)
    with pytest.raises(WeightFileError) as err:
        read_weight_file(str(evil))
    assert 'holds code: loading it would call posix.system; refused, nothing of it was run' in str(err.value)
    assert 'incomplete or damaged' not in str(err.value)
    state = tmp_path / '2.state'
    torch.save({'iter': 2, 'optimizers': [], 'schedulers': [], 'x': _RunsACommand(f'touch {marker}')}, state)
    opt = {'path': {'models': str(tmp_path)}}
    with pytest.raises(CheckpointError) as err:
        load_checked_state(opt, str(state))
    assert 'holds code' in str(err.value)
    assert not marker.exists()


def test_pth_without_weights_names_what_it_holds(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'net': {'conv.weight': torch.zeros(1)}, 'epoch': 3}, path)
    with pytest.raises(WeightFileError) as err:
        weight_groups(read_weight_file(str(path)), str(path))
    message = str(err.value)
    assert "has no weight group 'params_ema' or 'params'" in message and "'net' (dict), 'epoch' (int)" in message
    assert "'params' is not a state dict" not in message


def test_eval_corrupt_image_suggests_no_flag_it_lacks(tmp_path, capsys):
    from bebygan_plugin.evaluation.cli import main as eval_main

    gt = tmp_path / 'gt'
    shutil.copytree(SET5 / 'HR', gt)
    support.truncate(gt / 'bird.png')
    assert exit_status(eval_main, '-o', tmp_path / 'report', '--dataset', f'Set5={gt}', '--bicubic', '--metrics',
                       'psnr') == 2
    err = capsys.readouterr().err
    assert f'{gt / "bird.png"}' in err and 'replace the file' in err
    assert '--skip-bad' not in err


def test_special_files_are_named_and_reported_inside_folders(tmp_path):
    folder = tmp_path / 'in'
    folder.mkdir()
    shutil.copy(SET5 / 'LR_bicubic' / 'X4' / 'babyx4.png', folder / 'baby.png')
    (folder / 'anim.gif').write_bytes(b'GIF89a')
    os.symlink('loop', folder / 'loop')
    os.mkfifo(folder / 'pipe.png')
    files, problems, left_out = collect_inputs([str(folder)])
    assert files == [str(folder / 'baby.png')] and problems == []
    assert sorted(left_out) == [f'{folder / "anim.gif"}: not an image file this reads (PNG/JPEG/BMP/TIFF/WebP)',
                                f'{folder / "loop"}: a symbolic link loop',
                                f'{folder / "pipe.png"}: a named pipe (FIFO)']
    _, problems, _ = collect_inputs([str(folder / 'loop'), str(folder / 'pipe.png'), str(folder / 'gone.png')])
    assert [str(p) for p in problems] == [f'{folder / "loop"}: is a symbolic link loop, not an image file',
                                          f'{folder / "pipe.png"}: is a named pipe (FIFO), not an image file',
                                          f'{folder / "gone.png"}: does not exist']


def test_ctrl_c_in_infer_prints_a_summary(tmp_path):
    inputs = tmp_path / 'in'
    inputs.mkdir()
    for index in range(200):
        shutil.copy(SET5 / 'LR_bicubic' / 'X4' / 'babyx4.png', inputs / f'img{index:03d}.png')
    torch.manual_seed(0)
    weights = tmp_path / 'net_g.pth'
    torch.save({'params': RRDBNet(3, 3, num_feat=16, num_block=2, num_grow_ch=8).state_dict()}, weights)
    out = tmp_path / 'out'
    process = subprocess.Popen([sys.executable, '-c', 'import sys; from bebygan_plugin.inference.cli import '
                                'infer_main; infer_main(sys.argv[1:])', '-i', str(inputs), '-o', str(out), '-m',
                                str(weights), '--device', 'cpu'], env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out.is_dir() and any(name.endswith('.png') for name in os.listdir(out))):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    assert 'Traceback' not in stderr and 'KeyboardInterrupt' not in stderr
    written = [name for name in os.listdir(out) if name.endswith('.png')]
    assert f'{len(written)} written, 0 skipped (already there), 0 failed' in stdout
    assert f'Interrupted: {200 - len(written)} image(s) not done' in stdout and '--skip-existing' in stdout


def test_eval_on_a_full_disk_names_each_image(tmp_path):
    """Writes past 3000 bytes fail (RLIMIT_FSIZE: EFBIG, as ENOSPC would) in the eval process only."""
    report = tmp_path / 'report'
    code = ('import resource, sys\nresource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))\n'
            'from bebygan_plugin.evaluation.cli import main\nmain(sys.argv[1:])')
    result = subprocess.run([sys.executable, '-c', code, '-o', str(report), '--dataset', f'Set5={SET5 / "HR"}',
                             '--bicubic', '--metrics', 'psnr'], env=_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stderr
    assert 'Traceback' not in result.stderr
    for image in ('baby', 'bird', 'butterfly', 'head', 'woman'):
        assert f'FAILED {report / "sr" / "bicubic" / "Set5" / (image + ".png")}: cannot write (File too large)' \
            in result.stderr
        assert f'FAILED {report / "figures" / ("Set5_" + image + ".png")}: cannot write' in result.stderr
    empty = [folder for folder, dirs, files in os.walk(report) if not dirs and not files]
    assert empty == [], empty
    assert not any('.tmp-' in name for _, _, files in os.walk(report) for name in files)
