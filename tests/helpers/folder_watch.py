"""Watch a folder tree with Linux inotify (through ctypes) and record every file event by name.

A :class:`FolderWatch` started on ``root`` watches it and every folder created below it (added as they appear) and
records ``(relative folder, file name, event)`` for files created, written, closed after writing and renamed into
place. The kernel reports each write as it happens, so a writer that ``open``s a final name and writes into it
shows ``created`` / ``modified`` events on that name, while an atomic writer shows them only on its temporary name
and then ``moved_to`` the final one.
"""
import ctypes
import ctypes.util
import os
import select
import struct
import threading
from os import path as osp
from typing import List, Tuple

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_ISDIR = 0x2, 0x8, 0x80, 0x100, 0x40000000
EVENT_NAMES = {IN_MODIFY: 'modified', IN_CLOSE_WRITE: 'closed_after_write', IN_MOVED_TO: 'moved_to',
               IN_CREATE: 'created'}
_HEADER = struct.Struct('iIII')


class FolderWatch:
    """Records file events under ``root`` in a thread; use as a context manager; ``events`` after the block."""

    def __init__(self, root: str) -> None:
        self.root = osp.abspath(root)
        self.events: List[Tuple[str, str, str]] = []
        self._libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
        self._fd = self._libc.inotify_init()
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), 'inotify_init failed')
        self._folders = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _watch(self, folder: str) -> None:
        mask = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
        wd = self._libc.inotify_add_watch(self._fd, folder.encode(), mask)
        if wd < 0:
            return  # the folder went away (renamed or removed) before it could be watched
        self._folders[wd] = folder
        for name in sorted(os.listdir(folder)):  # folders made before the watch was added
            child = osp.join(folder, name)
            if osp.isdir(child) and child not in self._folders.values():
                self._watch(child)

    def _loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if ready:
                self._read()
        self._read_pending()

    def _read_pending(self) -> None:
        while select.select([self._fd], [], [], 0)[0]:
            self._read()

    def _read(self) -> None:
        data = os.read(self._fd, 1 << 16)
        offset = 0
        while offset < len(data):
            wd, mask, _, length = _HEADER.unpack_from(data, offset)
            name = data[offset + _HEADER.size:offset + _HEADER.size + length].rstrip(b'\0').decode()
            offset += _HEADER.size + length
            folder = self._folders.get(wd)
            if folder is None or not name:
                continue
            if mask & IN_ISDIR:
                if mask & (IN_CREATE | IN_MOVED_TO):
                    self._watch(osp.join(folder, name))
                continue
            for bit, event in EVENT_NAMES.items():
                if mask & bit:
                    self.events.append((osp.relpath(folder, self.root), name, event))

    def __enter__(self) -> 'FolderWatch':
        self._watch(self.root)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
