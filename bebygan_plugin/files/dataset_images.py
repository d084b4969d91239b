"""A dataset's images read as BasicSR's data sets read them: files of a folder or values of an LMDB (its keys and
sizes from ``meta_info.txt``), decoded with BasicSR's decoder."""
import contextlib
import re
from os import path as osp
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2

from .images import UndecodableImageError, decode_bytes

Shape = Optional[Tuple[int, int]]


def lmdb_shapes(lmdb_path: str) -> Dict[str, Shape]:
    """``{key: (h, w)}`` from an LMDB's ``meta_info.txt`` (``name.png (h,w,c) compression`` per line), in its order."""
    shapes = {}
    with open(osp.join(lmdb_path, 'meta_info.txt'), encoding='utf-8') as f:
        for line in f:
            if line.strip():
                match = re.search(r'\((\d+),\s*(\d+)', line)
                shapes[line.split('.')[0]] = (int(match.group(1)), int(match.group(2))) if match else None
    return shapes


def _read_file(path: str) -> bytes:
    with open(path, 'rb') as f:
        return f.read()


class _LmdbReader:
    """Values of one LMDB by key, opened read-only as BasicSR opens it."""

    def __init__(self, lmdb_path: str) -> None:
        import lmdb

        self.env = lmdb.open(lmdb_path, readonly=True, lock=False, readahead=False)

    def __call__(self, key: str) -> Optional[bytes]:
        with self.env.begin(write=False) as txn:
            return txn.get(key.encode('ascii'))

    def close(self) -> None:
        self.env.close()


def decoded_size(read: Callable[[str], Optional[bytes]], name: str) -> Tuple[Shape, Optional[str]]:
    """``((h, w), None)`` when ``read(name)`` decodes as BasicSR decodes it (``cv2.IMREAD_COLOR``), else
    ``(None, why not)``."""
    try:
        return decode_bytes(read(name), cv2.IMREAD_COLOR).shape[:2], None
    except OSError as err:
        return None, f'cannot be read ({err.strerror or err})'
    except UndecodableImageError as err:
        return None, str(err)


@contextlib.contextmanager
def image_readers(roots: Sequence[str], lmdb: bool) -> Iterator[List[Callable[[str], Optional[bytes]]]]:
    """One ``read(name) -> bytes`` per folder (or LMDB, with ``lmdb``) of ``roots``; LMDBs are closed on exit."""
    readers = [_LmdbReader(root) if lmdb else (lambda name, root=root: _read_file(osp.join(root, name)))
               for root in roots]
    try:
        yield readers
    finally:
        for read in readers:
            if isinstance(read, _LmdbReader):
                read.close()
