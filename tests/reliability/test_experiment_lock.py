"""One run per experiment folder, with two real trainings: the second run under the same name is refused (exit 2,
naming the running process) and the running one's folder is never archived; a SIGKILLed run leaves nothing stuck.
Also through BasicSR's own ``basicsr/train.py`` (the ``.pth`` hook)."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import basicsr
import pytest
import yaml

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe


def _env() -> dict:
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join([support.REPO, env.get('PYTHONPATH', '')])
    for var in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        env.pop(var, None)
    return env


def _write(opt: dict, folder: Path, file_name: str) -> Path:
    path = folder / file_name
    path.write_text(yaml.safe_dump(opt, sort_keys=False))
    return path


def _wait_for(predicate, process, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, f'the first run ended early:\n{log.read_text()[-6000:]}'
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.2)


@pytest.fixture(scope='module')
def pairs(tmp_path_factory):
    folder = tmp_path_factory.mktemp('pairs')
    support.make_pairs(str(folder / 'train'), support.CROP_NAMES[:4])
    return folder


def _models(exp: Path) -> set:
    return {p.name for p in (exp / 'models').glob('net_g_*.pth')} if (exp / 'models').is_dir() else set()


@pytest.mark.parametrize('second_entry', ['bebygan', 'basicsr', 'basicsr-ddp'])
def test_second_run_is_refused_and_the_first_keeps_its_folder(pairs, tmp_path, second_entry):
    work = tmp_path / 'work'
    work.mkdir()
    long_run = set5_recipe('shared', str(pairs / 'train'), total_iter=100000, save_freq=2, batch=2)
    log = tmp_path / 'first.log'  # a file, not a pipe: a pipe nobody reads fills (64 KiB) and blocks the run
    with open(log, 'w') as output:
        first = subprocess.Popen([sys.executable, '-m', 'bebygan_plugin.train', '-opt',
                                  str(_write(long_run, work, 'first.yml'))], cwd=work, env=_env(),
                                 stdout=output, stderr=subprocess.STDOUT)
    exp = work / 'experiments' / 'shared'
    try:
        _wait_for(lambda: len(_models(exp)) >= 1, first, log)
        if second_entry == 'bebygan':
            command = [sys.executable, '-m', 'bebygan_plugin.train']
        else:  # BasicSR's own script from a checkout (its root is the working folder), the plugin by the .pth hook
            checkout = work / 'basicsr'
            checkout.mkdir()
            shutil.copy(Path(basicsr.__file__).parent / 'train.py', checkout / 'train.py')
            command = [sys.executable, str(checkout / 'train.py')]
        flags = []
        if second_entry == 'basicsr-ddp':  # two gloo ranks: rank 0 holds the lock, every rank stops
            command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_addr=127.0.0.1',
                       f'--master_port={support.free_port()}', str(work / 'basicsr' / 'train.py')]
            flags = ['--launcher', 'pytorch']
        short_run = set5_recipe('shared', str(pairs / 'train'), total_iter=2, save_freq=2, batch=2)
        second = subprocess.run(command + ['-opt', str(_write(short_run, work, 'second.yml')), *flags], cwd=work,
                                env=_env(), capture_output=True, text=True, timeout=300)
        if second_entry == 'basicsr-ddp':  # torchrun itself exits 1 and prints its summary of the ranks
            # every rank exits 2; a rank still exiting when torchrun sees the other's 2 gets torchrun's SIGTERM
            exits = second.stderr.count('exitcode  : 2 ')
            assert second.returncode == 1 and (exits == 2 or exits == 1 and 'closing signal SIGTERM' in second.stderr)
        else:
            assert second.returncode == 2, second.stdout + second.stderr
            assert 'Traceback' not in second.stderr
        assert f'is in use by process {first.pid}' in second.stderr
        assert 'first.yml' in second.stderr and 'running since' in second.stderr
        assert not list((work / 'experiments').glob('shared_archived_*'))
        assert first.poll() is None
        before = _models(exp)
        _wait_for(lambda: len(_models(exp) - before) >= 1, first, log)  # the first run still saves into its own folder
        assert not (exp / 'second.yml').exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the killed run left nothing stuck: the same name starts (and archives the dead run's folder, as BasicSR does)
    third = subprocess.run([sys.executable, '-m', 'bebygan_plugin.train', '-opt',
                            str(_write(set5_recipe('shared', str(pairs / 'train'), total_iter=2, save_freq=2,
                                                   batch=2), work, 'third.yml'))],
                           cwd=work, env=_env(), capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stdout + third.stderr
    assert _models(exp) == {'net_g_2.pth', 'net_g_latest.pth'}
    assert len(list((work / 'experiments').glob('shared_archived_*'))) == 1
