"""Locating and loading the training state to resume from (``--auto_resume`` or ``path.resume_state``).

``--auto_resume`` takes the newest *complete* checkpoint: its ``<iter>.state`` loads and carries that iteration,
and every network file BasicSR will load for it (``models/net_<x>_<iter>.pth``) exists and loads. A checkpoint
that fails any of this (a file torn by a crash of an older, non-atomic writer, a disk error, a missing network) is
skipped with a warning and the next older one is tried; when none is usable the run starts afresh. In distributed
runs rank 0 decides and every rank loads the same state. An explicit ``path.resume_state`` must be complete, or
the run stops with an error naming the bad file.
"""
import os
import sys
from os import path as osp
from typing import List, Optional, Tuple

from ..files.atomic import remove_stale_temp_files
from ..files.checkpoint import CheckpointError, describe_load_error, load_checkpoint_file

_PENDING_WARNINGS: List[str] = []


def list_training_states(states_dir: str) -> list:
    """``<iter>.state`` files of ``states_dir`` as ``(iter, path)``, newest first; other files are ignored."""
    if not osp.isdir(states_dir):
        return []
    found = []
    for name in os.listdir(states_dir):
        stem, ext = osp.splitext(name)
        if ext == '.state' and stem.isdigit():
            found.append((int(stem), osp.join(states_dir, name)))
    return sorted(found, reverse=True)


def resumed_network_paths(opt: dict, resume_iter: int) -> List[Tuple[str, str]]:
    """``(option key, file)`` of every network BasicSR's ``check_resume`` loads when resuming at ``resume_iter``."""
    ignored = opt['path'].get('ignore_resume_networks') or []
    paths = []
    for key in opt:
        if key.startswith('network_') and key not in ignored:
            label = key[len('network_'):]
            paths.append((key, osp.join(opt['path']['models'], f'net_{label}_{resume_iter}.pth')))
    return paths


def _warn(message: str) -> None:
    """Print now (the BasicSR logger does not exist yet) and keep it for the log file (see ``pop_resume_warnings``)."""
    _PENDING_WARNINGS.append(message)
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def pop_resume_warnings() -> List[str]:
    """Warnings from choosing the resume state, for the model to write to the training log once it exists."""
    messages = list(_PENDING_WARNINGS)
    _PENDING_WARNINGS.clear()
    return messages


def load_checked_state(opt: dict, state_path: str, map_location='cpu') -> dict:
    """Load ``state_path`` and check the checkpoint is complete; raises :class:`CheckpointError` naming the culprit."""
    try:
        state = load_checkpoint_file(state_path, map_location=map_location)
    except Exception as err:  # noqa: BLE001 - any failure to read means the file is unusable
        raise CheckpointError(f'{state_path} cannot be loaded ({describe_load_error(err)})') from err
    if not isinstance(state, dict) or not {'iter', 'optimizers', 'schedulers'} <= set(state):
        raise CheckpointError(f'{state_path} is not a BasicSR training state (no iter/optimizers/schedulers)')
    stem = osp.splitext(osp.basename(state_path))[0]
    if stem.isdigit() and int(stem) != state['iter']:
        raise CheckpointError(f'{state_path} holds iteration {state["iter"]}, not {stem}')
    for key, net_path in resumed_network_paths(opt, state['iter']):
        if not osp.isfile(net_path):
            raise CheckpointError(f'{net_path} ({key} of iteration {state["iter"]}) is missing')
        try:
            load_checkpoint_file(net_path, mmap=True)
        except Exception as err:  # noqa: BLE001
            raise CheckpointError(f'{net_path} ({key} of iteration {state["iter"]}) cannot be loaded '
                                  f'({describe_load_error(err)})') from err
    return state


def newest_complete_state(opt: dict, map_location='cpu') -> Tuple[Optional[str], Optional[dict]]:
    """``(path, state)`` of the newest complete checkpoint of this experiment, or ``(None, None)``."""
    states = list_training_states(opt['path']['training_states'])
    for resume_iter, state_path in states:
        try:
            return state_path, load_checked_state(opt, state_path, map_location)
        except CheckpointError as err:
            _warn(f'auto_resume: skipping the checkpoint of iteration {resume_iter}: {err}')
    if states:
        _warn('auto_resume: no usable checkpoint in '
              f'{opt["path"]["training_states"]}; starting from iteration 0')
    return None, None


def _broadcast_from_rank0(value):
    from torch import distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def load_resume_state(opt: dict, map_location='cpu') -> Optional[dict]:
    """The training state this run resumes from (loaded onto ``map_location``), or None for a fresh start.

    With ``--auto_resume`` it is the newest complete checkpoint and ``opt['path']['resume_state']`` is set to it
    (BasicSR's ``check_resume`` then points the networks at the matching ``net_*_<iter>.pth``). Leftover
    temporary files of killed saves are removed first.
    """
    from basicsr.utils.dist_util import get_dist_info

    rank, _ = get_dist_info()
    if opt.get('auto_resume'):
        chosen, state = None, None
        if rank == 0:
            remove_stale_temp_files(opt['path']['models'], opt['path']['training_states'])
            chosen, state = newest_complete_state(opt, map_location)
        chosen = _broadcast_from_rank0(chosen)
        if chosen is None:
            return None
        opt['path']['resume_state'] = chosen
        return state if state is not None else load_checkpoint_file(chosen, map_location=map_location)
    path = opt['path'].get('resume_state')
    if not path:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(f'path.resume_state {path!r} does not exist; fix the path or remove the key')
    try:
        return load_checked_state(opt, path, map_location)
    except CheckpointError as err:
        raise CheckpointError(f'path.resume_state: {err}; point it at a complete checkpoint or use '
                              '--auto_resume to pick the newest complete one') from err

