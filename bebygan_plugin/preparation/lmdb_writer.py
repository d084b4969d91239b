"""Writing LMDBs in BasicSR's format, with a map size computed from the data.

A BasicSR LMDB is a folder ``name.lmdb`` with ``data.mdb`` / ``lock.mdb`` (the LMDB environment: key = image key in
ASCII, value = PNG bytes) and ``meta_info.txt``, one line per image: ``{key}.png ({h},{w},{c}) {compress_level}``.
``PairedImageDataset`` (``io_backend: {type: lmdb}``) takes its keys from ``meta_info.txt`` and decodes the PNGs
with OpenCV.

The map size (the most the environment may hold) is an upper bound computed from the image sizes before writing:
the largest PNG an image can encode to, rounded up to whole LMDB pages, plus the B-tree pages for the keys. If a
file still outgrows it, :class:`LmdbWriter` doubles the map and retries, so a run never fails on it.
"""
import math
import os
from typing import Iterable, List, Sequence, Tuple

import lmdb

META_INFO = 'meta_info.txt'
PAGE_SIZE = 4096
Shape = Tuple[int, int, int]


def png_size_bound(height: int, width: int, channels: int = 3) -> int:
    """Bytes an 8-bit PNG of this size can take at most, at any compression level.

    Raw scanlines (one filter byte per row) in the worst case end up in stored deflate blocks (5 bytes per 16 KiB
    block, 6 bytes of zlib framing), split into IDAT chunks (12 bytes per 8 KiB); plus signature, header and a few
    ancillary chunks. Rounded up generously.
    """
    raw = height * (width * channels + 1)
    deflated = raw + 5 * (raw // 16383 + 1) + 6
    return deflated + 12 * (deflated // 8192 + 1) + 1024


def lmdb_map_size(values: Iterable[Tuple[int, int]]) -> int:
    """Map size for an environment holding ``(key_length, value_bytes)`` entries.

    Large values live on their own overflow pages (16-byte header each); every key also takes a leaf node, and
    leaves are at least half full, plus branch and meta pages and room for the copy-on-write pages of the last
    transactions.
    """
    pages, key_bytes = 0, 0
    for key_length, value_bytes in values:
        pages += math.ceil((value_bytes + 16) / PAGE_SIZE)
        key_bytes += 2 * (key_length + 24)
    pages += 2 * math.ceil(key_bytes / PAGE_SIZE)
    pages = math.ceil(pages * 1.05) + 256
    return pages * PAGE_SIZE


class LmdbWriter:
    """Writes one BasicSR LMDB folder; ``meta_info.txt`` and the final flush come with :meth:`close`.

    Args:
        path: the folder to create (it must not exist yet); see :mod:`.staging` for the temporary-name protocol.
        map_size: initial map size in bytes, e.g. from :func:`lmdb_map_size`.
        compress_level: PNG compression level of the values, written into ``meta_info.txt``.
    """

    def __init__(self, path: str, map_size: int, compress_level: int) -> None:
        os.makedirs(path)
        self.path, self.map_size, self.compress_level = path, max(int(map_size), 16 * PAGE_SIZE), compress_level
        # No fsync per commit: an interrupted run's folder is discarded anyway; close() syncs once.
        self.env = lmdb.open(path, map_size=self.map_size, subdir=True, sync=False, metasync=False, meminit=False)
        self.meta_lines: List[str] = []
        self.keys = set()
        self.map_growths = 0

    def put_many(self, entries: Sequence[Tuple[str, bytes, Shape]]) -> None:
        """Store ``(key, png_bytes, (h, w, c))`` entries in one transaction (retried with a larger map if full)."""
        for key, _, _ in entries:
            if key in self.keys:
                raise ValueError(f'{self.path}: key {key!r} was written twice')
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    for key, data, _ in entries:
                        txn.put(key.encode('ascii'), data)
                break
            except lmdb.MapFullError:  # the transaction was aborted; grow and write it again
                self.map_size *= 2
                self.map_growths += 1
                self.env.set_mapsize(self.map_size)
        for key, _, (height, width, channels) in entries:
            self.keys.add(key)
            self.meta_lines.append(f'{key}.png ({height},{width},{channels}) {self.compress_level}\n')

    def close(self) -> None:
        """Flush to disk and write ``meta_info.txt``."""
        self.env.sync(True)
        self.env.close()
        with open(os.path.join(self.path, META_INFO), 'w', encoding='ascii') as f:
            f.writelines(self.meta_lines)

    def abort(self) -> None:
        """Close without finishing (the caller deletes the folder)."""
        try:
            self.env.close()
        except lmdb.Error:
            pass


def read_meta_info(lmdb_path: str) -> List[Tuple[str, Shape, int]]:
    """``(key, (h, w, c), compress_level)`` per line of ``lmdb_path/meta_info.txt``."""
    rows = []
    with open(os.path.join(lmdb_path, META_INFO), encoding='ascii') as f:
        for line in f:
            name, shape, level = line.split()
            h, w, c = (int(v) for v in shape.strip('()').split(','))
            rows.append((name[:-len('.png')], (h, w, c), int(level)))
    return rows


def folder_size(path: str) -> int:
    """Bytes on disk of the files in ``path`` (an LMDB folder is flat)."""
    total = 0
    for name in os.listdir(path):
        stat = os.stat(os.path.join(path, name))
        total += min(stat.st_size, getattr(stat, 'st_blocks', stat.st_size // 512 + 1) * 512)
    return total
