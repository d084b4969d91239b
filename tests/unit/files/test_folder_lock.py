"""The folder lock with a real second process: refused while it runs (named by pid and command), free the moment it
is SIGKILLed; the preflight names a busy ``results/<name>`` of ``bebygan-test`` the same way."""
import os
import signal
import subprocess
import sys
import time

import pytest

from bebygan_plugin.files.folder_lock import FolderInUseError, holds_lock, in_use_message, lock_file_for, lock_folder
from bebygan_plugin.preflight.environment import check_run_folder_free
from devtools.paths import REPO_ROOT

HOLD = ('import sys, time; from bebygan_plugin.files.folder_lock import lock_folder; lock_folder(sys.argv[1]); '
        'print("held", flush=True); time.sleep(600)')


@pytest.fixture
def holder(tmp_path):
    folder = tmp_path / 'results' / 'run'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get('PYTHONPATH', '')]))
    process = subprocess.Popen([sys.executable, '-c', HOLD, str(folder)], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == 'held'
    yield folder, process
    process.kill()
    process.wait()


def test_a_held_folder_is_refused_and_freed_by_sigkill(holder, monkeypatch):
    folder, process = holder
    monkeypatch.delenv('RANK', raising=False)
    message = in_use_message(str(folder), 'results folder')
    assert f'the results folder {folder} is in use by process {process.pid} (command: {sys.executable} -c' in message
    with pytest.raises(FolderInUseError, match=f'in use by process {process.pid}'):
        lock_folder(str(folder))
    problems = check_run_folder_free({'name': 'run'}, str(folder.parent.parent), 'results')
    assert [p.where for p in problems] == ['name'] and 'results folder' in problems[0].message
    assert not folder.exists() and os.path.isfile(lock_file_for(str(folder)))  # nothing made but the lock file
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(0.1)
    assert in_use_message(str(folder)) is None
    lock_folder(str(folder))
    assert holds_lock(str(folder))
    lock_folder(str(folder))  # again in the same process: a no-op
