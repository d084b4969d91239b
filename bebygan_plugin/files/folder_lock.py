"""One process per output folder: an ``flock`` held for the life of the process.

``lock_folder('experiments/NAME')`` takes an exclusive ``flock`` on ``experiments/.NAME.lock`` (a hidden file *beside*
the folder, so BasicSR's ``*_archived_<time>`` rename never moves it) and keeps it until the process exits. The
kernel drops the lock when the process dies, however it dies (SIGKILL, a crash, a reboot), so a crashed run never
leaves the folder stuck. The holder writes its pid, host, command and start time into the lock file; a second
process is refused with :class:`FolderInUseError`, whose message names the holder and what to do. The lock file
stays (a few hundred bytes) and is reused by the next run.
"""
import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from os import path as osp
from typing import Dict, Optional

_HELD: Dict[str, int] = {}  # lock file (real path) -> the open descriptor that holds it, for the process's life


class FolderInUseError(RuntimeError):
    """Another process holds the lock of the folder."""


def lock_file_for(folder: str) -> str:
    """``<parent>/.<name>.lock`` for ``<parent>/<name>``."""
    parent, name = osp.split(osp.abspath(folder).rstrip(os.sep))
    return osp.join(parent, f'.{name}.lock')


def _describe_holder(lock_file: str) -> str:
    try:
        with open(lock_file, encoding='utf-8') as f:
            info = json.load(f)
    except (OSError, ValueError):
        return 'another process (it is starting up: its details are not written yet)'
    host = '' if info.get('host') == socket.gethostname() else f" on host {info.get('host')}"
    return (f"process {info.get('pid')}{host} (command: {info.get('command')}), running since "
            f"{info.get('since')}")


def _is_free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def in_use_message(folder: str, what: str = 'folder', fix: str = '') -> Optional[str]:
    """Why ``folder`` cannot be used now (another process holds its lock), or None; takes nothing and creates
    nothing."""
    lock_file = lock_file_for(folder)
    if osp.realpath(lock_file) in _HELD:
        return None
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return None  # never locked (or unreadable: lock_folder will say so)
    try:
        if _is_free(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
    finally:
        os.close(fd)
    return (f'the {what} {folder} is in use by {_describe_holder(lock_file)}. Nothing was created, moved or '
            f'archived. Wait for that run to finish or stop it, or give this run another name{fix}')


def lock_folder(folder: str, what: str = 'folder', fix: str = '') -> None:
    """Hold the lock of ``folder`` until this process exits (a no-op when this process holds it already).

    Raises:
        FolderInUseError: another process holds it (the message names it, the ``fix`` hint is appended).
        OSError: the lock file cannot be created (e.g. a read-only parent folder).
    """
    lock_file = lock_file_for(folder)
    os.makedirs(osp.dirname(lock_file), exist_ok=True)
    real = osp.realpath(lock_file)
    if real in _HELD:
        return
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    if not _is_free(fd):
        os.close(fd)
        raise FolderInUseError(in_use_message(folder, what, fix) or f'the {what} {folder} is in use by another '
                                                                     'process that just finished; run again')
    _HELD[real] = fd
    info = {'pid': os.getpid(), 'host': socket.gethostname(), 'command': ' '.join([sys.executable] + sys.argv),
            'since': time.strftime('%Y-%m-%d %H:%M:%S %Z')}
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode('utf-8'), 0)


def holds_lock(folder: str) -> bool:
    """Whether this process holds the lock of ``folder``."""
    return osp.realpath(lock_file_for(folder)) in _HELD
