"""Crash-safe checkpoint files: atomic writes, loading with one-line errors, and the RNG states they hold.

A checkpoint at iteration N is ``models/net_<x>_N.pth`` for every network (``net_g`` also holds the EMA weights
under ``params_ema``) plus ``training_states/N.state`` (epoch, iteration, optimizers, schedulers, GradScalers and
the RNG states of every rank). Each file is written to a hidden temporary file in the same folder, flushed,
fsync'ed and renamed over its final name, so a process killed at any moment leaves either the complete new file
or none at all (plus, at worst, a ``.<name>.tmp-<pid>`` file that resume removes). The networks are written before
the state, so a ``N.state`` exists only once its networks are complete: the state file is the commit marker.
"""
import contextlib
import os
import pickle
import random
import re
import time
from os import path as osp
from typing import Any, BinaryIO, Callable, Dict, List, Optional

import numpy as np
import torch
from torch import distributed as dist

TMP_MARK = '.tmp-'
_TMP_PATTERN = re.compile(r'^\..+' + re.escape(TMP_MARK) + r'\d+$')
SAVE_RETRIES = 3


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable or inconsistent."""


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


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)`` that never leaves a partial ``path`` (:func:`atomic_write`)."""
    atomic_write(path, lambda f: torch.save(obj, f))


def save_with_retries(obj: Any, path: str, logger=None, retries: int = SAVE_RETRIES) -> None:
    """:func:`atomic_torch_save` retried on ``OSError`` (e.g. a network file system hiccup); raises if all fail.

    BasicSR logs a failed save and carries on; here a run that cannot checkpoint stops, so it never trains for
    days believing it is protected. The previous checkpoint is untouched either way.
    """
    for attempt in range(1, retries + 1):
        try:
            atomic_torch_save(obj, path)
            return
        except OSError as err:
            if attempt == retries:
                raise OSError(f'could not write checkpoint {path} after {retries} attempts: {err}. Free disk space '
                              'or fix permissions, then resume with --auto_resume (earlier checkpoints are '
                              'intact)') from err
            if logger is not None:
                logger.warning(f'Saving {path} failed ({err}); retrying ({retries - attempt} left)')
            time.sleep(1)


def remove_stale_temp_files(*directories: str) -> List[str]:
    """Delete ``.<name>.tmp-<pid>`` leftovers of saves that were killed; returns the removed paths."""
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


def load_checkpoint_file(path: str, map_location='cpu', mmap: bool = False):
    """``torch.load`` with ``weights_only=True``; ``mmap`` maps zip-format files instead of reading them."""
    if mmap:
        try:
            return torch.load(path, map_location=map_location, weights_only=True, mmap=True)
        except RuntimeError as err:  # legacy (non-zip) files cannot be mapped: read them
            if 'mmap' not in str(err) and 'zipfile' not in str(err):
                raise
    return torch.load(path, map_location=map_location, weights_only=True)


_PICKLED_GLOBAL = re.compile(r'Unsupported global: GLOBAL ([\w.]+)')
_FILE_MAGICS = ((b'\x89PNG', 'a PNG image'), (b'\xff\xd8\xff', 'a JPEG image'), (b'GIF8', 'a GIF image'),
                (b'\x1f\x8b', 'a gzip archive'), (b'%PDF', 'a PDF document'), (b'\x08\x01\x12', 'an ONNX model'))


def pickled_object_class(err: BaseException) -> Optional[str]:
    """The class a ``weights_only`` load refused (a whole object saved with ``torch.save(model)``), or None."""
    match = _PICKLED_GLOBAL.search(str(err))
    return match.group(1) if match else None


def non_torch_file_kind(path: str) -> Optional[str]:
    """What ``path`` is when its first bytes show it cannot be a PyTorch file (neither a zip archive nor a
    pickle), e.g. ``"a text file starting 'my notes'"``; None when it may be one."""
    with open(path, 'rb') as f:
        head = f.read(512)
    if not head:
        return 'an empty file'
    if head.startswith(b'PK\x03\x04') or head[:1] == b'\x80':  # torch's zip format, or a legacy pickle
        return None
    if head[8:10] == b'{"':
        return 'a safetensors file (rename it to .safetensors)'
    for magic, kind in _FILE_MAGICS:
        if head.startswith(magic):
            return kind
    if head.lstrip().lower().startswith((b'<!doctype html', b'<html')):
        return 'an HTML page (a download link that saved a web page instead of the file?)'
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return f'neither a zip archive nor a pickle (it starts with bytes {head[:8].hex(" ")})'
    first = next((line.strip() for line in text.splitlines() if line.strip()), '')
    return f'a text file starting {first[:60]!r}'


def describe_load_error(err: BaseException) -> str:
    """A one-line reason for a failed ``torch.load`` (torch's own messages run to paragraphs of advice)."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ''
    pickled = pickled_object_class(err)
    if pickled:
        return (f'it holds a pickled {pickled} object (a whole model saved with torch.save(model)), not a state '
                'dict of tensors, and loading it would run its code')
    if isinstance(err, pickle.UnpicklingError) or 'Weights only load failed' in first:
        first = 'not a complete PyTorch weight file'
    return f'{type(err).__name__}: {first[:200]}'


# ---------------------------------------------------------------------------------------------------- RNG states
def capture_rng_state() -> Dict[str, Any]:
    """Python, NumPy, torch CPU (and current CUDA device) generator states, in types ``weights_only`` loads."""
    _, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        'python': random.getstate(),
        'numpy': {'keys': torch.from_numpy(keys.astype(np.int64)), 'pos': int(pos), 'has_gauss': int(has_gauss),
                  'cached_gaussian': float(cached_gaussian)},
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        # this process's device only: reading every GPU's state would create a CUDA context on each of them
        state['cuda'] = torch.cuda.get_rng_state().cpu()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state` (the CUDA state goes to this process's current device)."""
    if 'python' in state:
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))
    if 'numpy' in state:
        np_state = state['numpy']
        np.random.set_state(('MT19937', np_state['keys'].cpu().numpy().astype(np.uint32), np_state['pos'],
                             np_state['has_gauss'], np_state['cached_gaussian']))
    if 'torch' in state:
        torch.set_rng_state(state['torch'].cpu())
    if torch.is_tensor(state.get('cuda')) and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'].cpu())


def gather_rng_states() -> List[Dict[str, Any]]:
    """Every rank's RNG state, in rank order (a collective: all ranks must call it)."""
    own = capture_rng_state()
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [own]
    states = [None] * dist.get_world_size()
    dist.all_gather_object(states, own)
    return states


def rank_and_world():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1
