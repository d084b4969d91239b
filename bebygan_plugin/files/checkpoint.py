"""Crash-safe checkpoint files: atomic ``torch.save``, retried saves, and loading with one-line errors.

A checkpoint at iteration N is ``models/net_<x>_N.pth`` for every network (``net_g`` also holds the EMA weights
under ``params_ema``) plus ``training_states/N.state`` (epoch, iteration, optimizers, schedulers, GradScalers and
the RNG states of every rank). Each file is written atomically (:mod:`.atomic`), so a process killed at any moment
leaves either the complete new file or none at all. The networks are written before the state, so a ``N.state``
exists only once its networks are complete: the state file is the commit marker.
"""
import pickle
import time
from typing import Any

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


def describe_load_error(err: BaseException) -> str:
    """A one-line reason for a failed ``torch.load`` (torch's own messages run to paragraphs of advice)."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ''
    if isinstance(err, pickle.UnpicklingError) or 'Weights only load failed' in first:
        first = 'not a complete PyTorch weight file'
    return f'{type(err).__name__}: {first[:200]}'
