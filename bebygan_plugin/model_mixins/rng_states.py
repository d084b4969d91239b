"""The random generators' states a checkpoint holds (one per rank), so a resumed run draws what it would have drawn.

Stored in ``training_states/<iter>.state`` under ``rng`` by :class:`~.checkpoint_mixin.CrashSafeCheckpointMixin`,
in types ``torch.load(weights_only=True)`` reads.
"""
import random
from typing import Any, Dict, List

import numpy as np
import torch
from torch import distributed as dist


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

