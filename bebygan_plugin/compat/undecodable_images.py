"""Patch 6: a corrupt image met while BasicSR's datasets load is named with its file or LMDB key, or skipped on
request.

BasicSR's ``imfrombytes`` returns None for bytes OpenCV cannot decode, and every dataset then fails with
``'NoneType' object has no attribute 'astype'`` (an LMDB key missing from ``data.mdb`` fails one step earlier, in
``np.frombuffer``), naming no file. :func:`apply` installs, for every dataset type:

- :func:`remember_read` around ``FileClient.get``: each thread remembers which file (disk) or key of which LMDB it
  read last;
- :func:`imfrombytes` in place of BasicSR's (in every loaded basicsr module that imported it): bytes it cannot
  decode raise :class:`~bebygan_plugin.dataset_guards.corrupt_images.CorruptImageError` naming that file or key
  and the fix;
- :func:`skipping_getitem` around the ``__getitem__`` of every dataset class registered at that point: the error
  also names the dataset, and a training set with ``skip_corrupt_images: true`` takes the next image instead,
  logging each corrupt image once with the running count (per process: each DataLoader worker counts its own).
"""
import logging
import sys
import threading
from typing import Callable

import basicsr.data  # noqa: F401  (registers BasicSR's datasets)
import basicsr.utils.img_util
import numpy as np
from basicsr.utils.file_client import FileClient
from basicsr.utils.registry import DATASET_REGISTRY

from ..dataset_guards.corrupt_images import SKIP_OPTION, CorruptImageError
from ..files.images import IMREAD_FLAGS, UndecodableImageError, decode_bytes
from .private_names import lmdb_paths

MAX_CONSECUTIVE_SKIPS = 100  # corrupt images in a row after which skipping gives up

_last_read = threading.local()


def remember_read(get: Callable) -> Callable:
    """Wrap ``FileClient.get`` so that a failing decode can name what was read."""

    def get_and_remember(self, filepath, client_key='default'):
        _last_read.source = (self, str(filepath), client_key)
        return get(self, filepath, client_key)

    get_and_remember.basicsr_original = get
    return get_and_remember


def last_read_description() -> str:
    """``GT image file 'x.png'``, ``LQ image 'k' of LMDB 'y.lmdb'``: what this thread read last."""
    source = getattr(_last_read, 'source', None)
    if source is None:
        return 'an image'
    client, name, client_key = source
    role = {'gt': 'GT ', 'lq': 'LQ '}.get(client_key, '')
    if client.backend == 'lmdb':
        return f'{role}image {name!r} of LMDB {lmdb_paths(client).get(client_key, "?")!r}'
    if client.backend == 'disk':
        return f'{role}image file {name!r}'
    return f'{role}image {name!r} ({client.backend})'


def _fix() -> str:
    source = getattr(_last_read, 'source', None)
    if source is not None and source[0].backend == 'lmdb':
        return 're-create the LMDB with bebygan-prepare (it decodes every input before writing)'
    return 'replace or delete the file (and its GT/LQ partner)'


def imfrombytes(content, flag: str = 'color', float32: bool = False):
    """``basicsr.utils.imfrombytes`` that raises :class:`CorruptImageError` instead of returning None."""
    try:
        img = decode_bytes(content, IMREAD_FLAGS[flag])
    except UndecodableImageError as err:
        raise CorruptImageError(f'{last_read_description()} {err}; {_fix()}') from None
    return img.astype(np.float32) / 255. if float32 else img


def _dataset_label(dataset) -> str:
    opt = getattr(dataset, 'opt', None) or {}
    return f"datasets.{opt.get('phase', '?')} ({opt.get('name', type(dataset).__name__)!r})"


def skipping_getitem(getitem: Callable) -> Callable:
    """Wrap a dataset class's ``__getitem__``: name the dataset in the error, or skip on ``skip_corrupt_images``."""

    def __getitem__(self, index):
        opt = getattr(self, 'opt', None) or {}
        skip = bool(opt.get(SKIP_OPTION)) and opt.get('phase') == 'train'
        tries = min(len(self), MAX_CONSECUTIVE_SKIPS) if skip else 1
        for _ in range(tries):
            try:
                return getitem(self, index)
            except CorruptImageError as err:
                if getattr(err, 'named_by_dataset', False):
                    raise
                if not skip:
                    named = CorruptImageError(f'{_dataset_label(self)}: {err}, or set '
                                              f'datasets.train.{SKIP_OPTION}: true to skip such images while '
                                              'training' if opt.get('phase') == 'train' else
                                              f'{_dataset_label(self)}: {err}')
                    named.named_by_dataset = True
                    raise named from None
                skipped = self.__dict__.setdefault('_corrupt_images_skipped', {})
                if index not in skipped:
                    skipped[index] = str(err)
                    logging.getLogger('basicsr').warning(
                        f'{_dataset_label(self)}: skipping a corrupt image ({SKIP_OPTION}: true): {err}. '
                        f'{len(skipped)} corrupt image(s) skipped so far by this process.')
                index = (index + 1) % len(self)
        error = CorruptImageError(f'{_dataset_label(self)}: {tries} images in a row are corrupt (the last: '
                                  f'{last_read_description()}); check the dataset, e.g. re-create it')
        error.named_by_dataset = True
        raise error

    __getitem__.basicsr_original = getitem
    return __getitem__


def apply() -> None:
    original = basicsr.utils.img_util.imfrombytes
    if original is not imfrombytes:
        for name, module in list(sys.modules.items()):
            if name.split('.')[0] == 'basicsr' and getattr(module, 'imfrombytes', None) is original:
                module.imfrombytes = imfrombytes
    if not hasattr(FileClient.get, 'basicsr_original'):
        FileClient.get = remember_read(FileClient.get)
    for _, cls in DATASET_REGISTRY:
        getitem = vars(cls).get('__getitem__')
        if getitem is not None and not hasattr(getitem, 'basicsr_original'):
            cls.__getitem__ = skipping_getitem(getitem)
