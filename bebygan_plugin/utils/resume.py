"""Locating the training state to resume from (``--auto_resume`` or ``path.resume_state``)."""
import os
from os import path as osp
from typing import Optional


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


def find_resume_state_path(opt: dict) -> Optional[str]:
    """The state file a run resumes from, or None for a fresh start.

    With ``--auto_resume`` it is the newest ``<iter>.state`` in this experiment's ``training_states`` folder, and
    ``opt['path']['resume_state']`` is set to it (BasicSR's ``check_resume`` then points the networks at the
    matching ``net_*_<iter>.pth``). Otherwise it is ``path.resume_state`` from the options, if any.
    """
    if opt.get('auto_resume'):
        states = list_training_states(opt['path']['training_states'])
        if states:
            opt['path']['resume_state'] = states[0][1]
            return states[0][1]
        return None
    path = opt['path'].get('resume_state')
    if path and not osp.isfile(path):
        raise FileNotFoundError(f'path.resume_state {path!r} does not exist; fix the path or remove the key')
    return path or None
