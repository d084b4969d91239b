"""Crash-safe checkpoint files: atomic ``torch.save``, retried saves, and loading with one-line errors.

A checkpoint at iteration N is ``models/net_<x>_N.pth`` for every network (``net_g`` also holds the EMA weights
under ``params_ema``) plus ``training_states/N.state`` (epoch, iteration, optimizers, schedulers, GradScalers and
the RNG states of every rank). Each file is written atomically (:mod:`.atomic`), so a process killed at any moment
leaves either the complete new file or none at all. The networks are written before the state, so a ``N.state``
exists only once its networks are complete: the state file is the commit marker.
"""
import pickle
import re
import time
from typing import Any, Optional

import torch

from .atomic import atomic_write

SAVE_RETRIES = 3


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable or inconsistent."""


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
_BLOCKED_GLOBAL = re.compile(r'unsupported GLOBAL ([\w.]+) whose module [\w.]+ is blocked')  # os.system & co.
_FILE_MAGICS = ((b'\x89PNG', 'a PNG image'), (b'\xff\xd8\xff', 'a JPEG image'), (b'GIF8', 'a GIF image'),
                (b'\x1f\x8b', 'a gzip archive'), (b'%PDF', 'a PDF document'), (b'\x08\x01\x12', 'an ONNX model'))


def pickled_object_class(err: BaseException) -> Optional[str]:
    """The class a ``weights_only`` load refused (a whole object saved with ``torch.save(model)``), or None."""
    match = _PICKLED_GLOBAL.search(str(err))
    return match.group(1) if match else None


def blocked_code_call(err: BaseException) -> Optional[str]:
    """The function a pickle payload would call on loading (``posix.system``...), which ``weights_only`` refused
    because its module is blocked; None for other errors."""
    match = _BLOCKED_GLOBAL.search(str(err))
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
    code = blocked_code_call(err)
    if code:
        return (f'it holds code: loading it would call {code}; refused, nothing of it was run. Do not load it with '
                'weights_only=False; get the weights from a source you trust')
    pickled = pickled_object_class(err)
    if pickled:
        return (f'it holds a pickled {pickled} object (a whole model saved with torch.save(model)), not a state '
                'dict of tensors, and loading it would run its code')
    if isinstance(err, pickle.UnpicklingError) or 'Weights only load failed' in first:
        first = 'not a complete PyTorch weight file'
    return f'{type(err).__name__}: {first[:200]}'
