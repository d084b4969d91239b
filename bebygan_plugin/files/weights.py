"""Weight files: reading a checkpoint of any kind and finding its weights.

- :func:`read_weight_file`: a ``.pth`` (``torch.load(weights_only=True)``) or ``.safetensors`` file, with a one-line
  :class:`WeightFileError` naming it; :func:`weight_groups`: its BasicSR weight groups (``params_ema`` /
  ``params``, a bare or ``state_dict`` state dict counting as ``params``), ``module.`` prefixes dropped;
  :func:`basicsr_param_key`: the group BasicSR's ``load_network`` takes for a ``param_key``;
  :func:`check_fits_network`: a state dict fits the network an option file declares.

(The ImageNet / pyiqa weights that losses and metrics download are in
:mod:`bebygan_plugin.metrics.weight_downloads`.)
"""
import os
from os import path as osp
from typing import Any, Dict, List, Optional

import torch

from ..problems import Problem
from .checkpoint import describe_load_error, load_checkpoint_file, non_torch_file_kind, pickled_object_class

PARAM_KEYS = ('params_ema', 'params')  # BasicSR's weight groups, in the order a generator is taken from
INTERCHANGE_EXTRA = 'pip install "bebygan-plugin[interchange]"'

StateDict = Dict[str, torch.Tensor]


def strip_module_prefix(state: Dict[str, Any]) -> Dict[str, Any]:
    """``state`` with the ``module.`` prefix DataParallel / DistributedDataParallel put on every key removed."""
    return {(key[len('module.'):] if key.startswith('module.') else key): value for key, value in state.items()}


class WeightFileError(ValueError):
    """A weight file that cannot be used; the message names it and the fix."""


# ---------------------------------------------------------------------------------------------- checkpoint files
def read_weight_file(path: str) -> dict:
    """The object stored in ``path`` (``.safetensors`` or a PyTorch file); :class:`WeightFileError` otherwise."""
    if osp.isdir(path):
        raise WeightFileError(f'{path} is a folder; pass the checkpoint file inside it (e.g. models/net_g_latest.pth)')
    if not osp.isfile(path):
        raise WeightFileError(f'{path} does not exist; check the path (relative paths start at {os.getcwd()})')
    if path.lower().endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise WeightFileError(f'{path} is a .safetensors file, which needs safetensors: '
                                 f'{INTERCHANGE_EXTRA}') from None
        try:
            return load_file(path)
        except Exception as err:  # noqa: BLE001  (safetensors raises its own error types)
            raise WeightFileError(f'{path} cannot be read as safetensors ({type(err).__name__}: '
                                 f'{str(err)[:200]}); is the download complete?') from None
    kind = non_torch_file_kind(path)
    if kind:
        raise WeightFileError(f'{path} is not a PyTorch weight file: it is {kind}; pass a generator checkpoint '
                              '(.pth / .safetensors) or an option file (.yml)')
    try:
        return load_checkpoint_file(path)
    except Exception as err:  # noqa: BLE001
        if pickled_object_class(err):
            raise WeightFileError(
                f'{path} cannot be loaded safely: {describe_load_error(err)}. If you trust its source, save its '
                f'weights once: python -c "import torch; torch.save({{\'params\': torch.load(\'{path}\', '
                f'weights_only=False).state_dict()}}, \'net_g.pth\')" and pass net_g.pth') from None
        raise WeightFileError(f'{path} cannot be loaded ({describe_load_error(err)}); the file is incomplete or '
                              'damaged: download or copy it again') from None


def weight_groups(obj, path: str) -> Dict[str, StateDict]:
    """The weight groups of a checkpoint object: ``{'params': ..., 'params_ema': ...}`` as present (also flattened
    to ``params.<key>`` by safetensors; a bare or ``state_dict`` state dict counts as ``params``), ``module.``
    prefixes removed."""
    if not isinstance(obj, dict) or not obj:
        raise WeightFileError(f'{path} holds {type(obj).__name__}, not a state dict of tensors')
    flat_groups = {key: {k[len(key) + 1:]: v for k, v in obj.items() if k.startswith(key + '.')} for key in PARAM_KEYS}
    if any(flat_groups.values()) and all(any(k.startswith(p + '.') for p in PARAM_KEYS) for k in obj):
        groups = {key: group for key, group in flat_groups.items() if group}  # flattened, e.g. by safetensors
    elif any(isinstance(obj.get(key), dict) for key in PARAM_KEYS):
        groups = {key: obj[key] for key in PARAM_KEYS if isinstance(obj.get(key), dict)}
    elif isinstance(obj.get('state_dict'), dict):
        groups = {'params': obj['state_dict']}
    else:
        groups = {'params': obj}
    for key, group in groups.items():
        bad = [k for k, v in group.items() if not torch.is_tensor(v)]
        if bad or not group:
            raise WeightFileError(f'{path}: {key!r} is not a state dict of tensors (entries {bad[:3]} are not '
                                 'tensors); pass a generator checkpoint')
        groups[key] = strip_module_prefix(group)
    return groups


def basicsr_param_key(available, param_key: Optional[str] = 'params') -> Optional[str]:
    """The group of ``available`` that BasicSR's ``load_network`` reads for ``param_key``: itself, or ``params``
    when the file lacks it (BasicSR's fallback); None when neither is there."""
    if param_key not in available and 'params' in available:
        return 'params'
    return param_key if param_key in available else None


def check_fits_network(opt: dict, label: str, state: dict, file: str, strict: bool) -> List[Problem]:
    """``state`` (a weight group of ``file``) fits ``network_<label>`` of ``opt``: keys (with ``strict``) and shapes."""
    from basicsr.utils.registry import ARCH_REGISTRY

    net_opt = opt.get(f'network_{label}')
    if not isinstance(net_opt, dict) or net_opt.get('type') not in ARCH_REGISTRY or not isinstance(state, dict):
        return []
    args = {k: v for k, v in net_opt.items() if k != 'type'}
    try:
        with torch.device('meta'):
            expected = ARCH_REGISTRY.get(net_opt['type'])(**args).state_dict()
    except Exception:  # noqa: BLE001 - reported by the option checks
        return []
    state = strip_module_prefix(state)
    missing = [k for k in expected if k not in state]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if wrong or (strict and (missing or set(state) - set(expected))):
        detail = (f'shapes differ for {wrong[:3]}' if wrong else
                  f'missing {missing[:3]}' if missing else f'unexpected {sorted(set(state) - set(expected))[:3]}')
        return [Problem(f'path.pretrain_network_{label}', f'{file!r} does not fit network_{label} '
                                                          f'({net_opt["type"]}: {detail}); check network_{label} '
                                                          'matches the run that saved it')]
    return []
