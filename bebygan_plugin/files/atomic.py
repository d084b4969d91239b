"""Atomic file writes: a file appears complete under its final name, or not at all.

Each file is written to a hidden temporary file in the same folder (``.<name>.tmp-<pid>``), flushed, fsync'ed and
renamed over its final name, so a process killed at any moment leaves the old file or none, at worst a temporary
file that :func:`remove_stale_temp_files` deletes (BasicSR's folder scans skip hidden names).
"""
import contextlib
import os
import re
from os import path as osp
from typing import BinaryIO, Callable, List

TMP_MARK = '.tmp-'
_TMP_PATTERN = re.compile(r'^\..+' + re.escape(TMP_MARK) + r'\d+$')


def _fsync(fd: int) -> None:
    """``os.fsync``; a separate function so fault-injection tests can pause a save exactly here."""
    os.fsync(fd)


def fsync_dir(directory: str) -> None:
    """Persist a rename in ``directory`` (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_for(path: str) -> str:
    """The hidden temporary name ``path`` is written under before the rename (ignored by BasicSR's scans)."""
    directory, name = osp.split(path)
    return osp.join(directory, f'.{name}{TMP_MARK}{os.getpid()}')


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` with ``write(file)`` so that it never exists partially: temporary file in the same folder,
    flush, fsync, rename (a process killed at any moment leaves the old file or none, at worst a hidden
    ``.<name>.tmp-<pid>`` that :func:`remove_stale_temp_files` deletes)."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = temp_path_for(osp.abspath(path))
    try:
        with open(tmp, 'wb') as f:
            write(f)
            f.flush()
            _fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    fsync_dir(directory)


def remove_stale_temp_files(*directories: str) -> List[str]:
    """Delete ``.<name>.tmp-<pid>`` leftovers of writes that were killed; returns the removed paths."""
    removed = []
    for directory in directories:
        if not osp.isdir(directory):
            continue
        for name in os.listdir(directory):
            if _TMP_PATTERN.match(name):
                with contextlib.suppress(OSError):
                    os.remove(osp.join(directory, name))
                    removed.append(osp.join(directory, name))
    return removed
