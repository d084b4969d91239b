"""Patch 3: resuming on a CPU-only machine, from the newest *complete* checkpoint.

``basicsr.train.load_resume_state`` maps every tensor to ``torch.cuda.current_device()``, which raises without a
GPU, and loads whatever newest ``.state`` file it finds. :func:`load_resume_state` replaces it: it maps to the
run's device (``num_gpu: 0`` or no CUDA -> CPU) and, with ``--auto_resume``, takes the newest complete checkpoint,
skipping broken ones with a warning (which checkpoint is complete is decided in
:mod:`bebygan_plugin.files.training_states`). ``basicsr.train.train_pipeline`` looks the function up at call time, so
``bebygan-train`` / ``python bebygan_plugin/train.py`` resume on CPU and GPU alike. (BasicSR's own
``basicsr/train.py`` defines its own resume function, which this does not reach: resume on CPU through
``bebygan-train``.)
"""
from typing import Optional

import basicsr.train
import torch
from basicsr.utils import check_resume

from ..files import training_states


def resume_map_location(opt: dict) -> torch.device:
    """Device to load a resume state onto: the current CUDA device for GPU runs, else the CPU."""
    if opt.get('num_gpu', 0) != 0 and torch.cuda.is_available():
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def load_resume_state(opt: dict) -> Optional[dict]:
    """Drop-in for ``basicsr.train.load_resume_state``: CPU-safe, newest complete checkpoint."""
    state = training_states.load_resume_state(opt, resume_map_location(opt))
    if state is None:
        return None
    check_resume(opt, state['iter'])
    return state


def apply() -> None:
    basicsr.train.load_resume_state = load_resume_state
