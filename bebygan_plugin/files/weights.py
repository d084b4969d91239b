"""Weight files: reading a checkpoint of any kind and finding its weights, and the downloaded weights runs need.

- :func:`read_weight_file`: a ``.pth`` (``torch.load(weights_only=True)``) or ``.safetensors`` file, with a one-line
  :class:`WeightFileError` naming it; :func:`weight_groups`: its BasicSR weight groups (``params_ema`` /
  ``params``, a bare or ``state_dict`` state dict counting as ``params``), ``module.`` prefixes dropped;
  :func:`basicsr_param_key`: the group BasicSR's ``load_network`` takes for a ``param_key``.
- Weights that need a download, the ImageNet backbones of the perceptual loss and of LPIPS and pyiqa's PI files:
  each check returns :class:`~bebygan_plugin.problems.Problem` s naming the file to place and where, instead of
  failing later inside torchvision with a network error. A missing file is downloaded when the machine is online,
  unless ``BEBYGAN_OFFLINE=1``. Shared by ``bebygan-train``'s and ``bebygan-test``'s start-up checks and evaluation.
"""
import os
import socket
from os import path as osp
from typing import Dict, List, Optional

import torch

from ..problems import Problem
from .checkpoint import describe_load_error, load_checkpoint_file

DOWNLOAD_TIMEOUT_S = 30
LPIPS_BACKBONES = {'alex': 'alexnet', 'vgg': 'vgg16', 'squeeze': 'squeezenet1_1'}
PYIQA_PI_FILES = ('NRQM_model.mat', 'niqe_modelparameters.mat')  # what pyiqa's PI (NRQM + NIQE) loads
PYIQA_URL = 'https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/{}'
PARAM_KEYS = ('params_ema', 'params')  # BasicSR's weight groups, in the order a generator is taken from
INTERCHANGE_EXTRA = 'pip install "bebygan-plugin[interchange]"'

StateDict = Dict[str, torch.Tensor]


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
    try:
        return load_checkpoint_file(path)
    except Exception as err:  # noqa: BLE001
        raise WeightFileError(f'{path} cannot be loaded ({describe_load_error(err)}); is the download '
                             'complete, and is it a PyTorch .pth or a .safetensors file?') from None


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
        groups[key] = {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in group.items()}
    return groups


def basicsr_param_key(available, param_key: Optional[str] = 'params') -> Optional[str]:
    """The group of ``available`` that BasicSR's ``load_network`` reads for ``param_key``: itself, or ``params``
    when the file lacks it (BasicSR's fallback); None when neither is there."""
    if param_key not in available and 'params' in available:
        return 'params'
    return param_key if param_key in available else None


# ------------------------------------------------------------------------------------------ downloaded weights
def _offline() -> bool:
    return os.environ.get('BEBYGAN_OFFLINE', '').lower() not in ('', '0', 'false')


def _try_download(url: str, dst: str) -> Optional[str]:
    """Download ``url`` to ``dst`` (what torchvision would do later); returns why it failed, or None."""
    if _offline():
        return 'BEBYGAN_OFFLINE is set'
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        os.makedirs(osp.dirname(dst), exist_ok=True)
        torch.hub.download_url_to_file(url, dst, progress=True)
        return None
    except Exception as err:  # noqa: BLE001 - offline, proxy, disk: all mean "place the file by hand"
        return f'download failed: {type(err).__name__}: {err}'
    finally:
        socket.setdefaulttimeout(old_timeout)


def _torchvision_weights(arch: str):
    """``(url, file name)`` of torchvision's ImageNet weights for ``arch`` (what ``pretrained=True`` loads)."""
    import torchvision

    weights = torchvision.models.get_model_weights(arch).IMAGENET1K_V1
    return weights.url, osp.basename(weights.url)


def _check_state_dict_file(path: str, arch: str, what: str, where: str) -> List[Problem]:
    """``path`` loads and holds the full state dict of torchvision's ``arch`` (keys and shapes)."""
    import torchvision

    try:
        state = load_checkpoint_file(path, mmap=True)
    except Exception as err:  # noqa: BLE001
        return [Problem(where, f'{what} file {path} cannot be loaded ({describe_load_error(err)}); replace it '
                               f'with the original {osp.basename(path)} (an interrupted download leaves a broken '
                               'file)')]
    with torch.device('meta'):
        expected = getattr(torchvision.models, arch)(weights=None).state_dict()
    if not isinstance(state, dict):
        return [Problem(where, f'{what} file {path} is not a state dict; replace it with the original file')]
    missing = [k for k in expected if k not in state]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or wrong:
        detail = f'missing {missing[:3]}' if missing else f'wrong shapes for {wrong[:3]}'
        return [Problem(where, f'{what} file {path} is not torchvision {arch} weights ({detail}); replace it with '
                               f'the original {osp.basename(path)}')]
    return []


def torchvision_weights_problems(arch: str, what: str, where: str, local: Optional[str] = None) -> List[Problem]:
    """Torchvision ImageNet weights for ``arch``: ``local`` if given and present, else the torch hub cache."""
    url, name = _torchvision_weights(arch)
    hub = osp.join(torch.hub.get_dir(), 'checkpoints', name)
    if local and osp.isfile(local):
        return _check_state_dict_file(local, arch, what, where)
    if not osp.isfile(hub):
        reason = _try_download(url, hub)
        if reason:
            places = f'{osp.abspath(local)} or {hub}' if local else hub
            return [Problem(where, f'{what} needs the ImageNet weights {name}, which are not on this machine '
                                   f'({reason}). Download {url} and place it at {places} (set TORCH_HOME to move '
                                   'the torch hub cache)')]
    return _check_state_dict_file(hub, arch, what, where)


def lpips_problems(metric: dict, where: str) -> List[Problem]:
    """The ``lpips`` package, its linear layers, and the torchvision backbone it loads."""
    import importlib.util
    import inspect

    from basicsr.utils.registry import METRIC_REGISTRY

    net = metric.get('net')
    if net is None and metric.get('type') in METRIC_REGISTRY:
        default = inspect.signature(METRIC_REGISTRY.get(metric['type'])).parameters.get('net')
        net = default.default if default is not None and default.default is not inspect.Parameter.empty else 'alex'
    net = net or 'alex'
    spec = importlib.util.find_spec('lpips')
    if spec is None:
        return [Problem(where, 'needs the lpips package: pip install lpips')]
    if net not in LPIPS_BACKBONES:
        return [Problem(f'{where}.net', f'must be one of {sorted(LPIPS_BACKBONES)}, got {net!r}')]
    linear = osp.join(osp.dirname(spec.origin), 'weights', 'v0.1', f'{net}.pth')
    if not osp.isfile(linear):
        return [Problem(where, f'the LPIPS linear layers {linear} are missing; reinstall lpips (pip install '
                               '--force-reinstall lpips)')]
    return torchvision_weights_problems(LPIPS_BACKBONES[net], f'LPIPS-{net}', where)


def pyiqa_pi_problems(where: str) -> List[Problem]:
    """pyiqa and the two parameter files its PI metric (NRQM + NIQE) loads from pyiqa's cache."""
    import importlib.util

    if importlib.util.find_spec('pyiqa') is None:
        return [Problem(where, 'PI needs pyiqa: pip install pyiqa')]
    cache = osp.join(torch.hub.get_dir(), 'pyiqa')  # pyiqa's DEFAULT_CACHE_DIR
    missing, reason = [], None
    for name in PYIQA_PI_FILES:
        path = osp.join(cache, name)
        failed = None if osp.isfile(path) else _try_download(PYIQA_URL.format(name), path)
        if failed:
            missing.append(name)
            reason = failed
    if not missing:
        return []
    urls = ' and '.join(PYIQA_URL.format(name) for name in missing)
    return [Problem(where, f"PI needs pyiqa's {' and '.join(missing)}, which are not on this machine ({reason}). "
                           f'Download {urls} and place them in {cache}/ (set TORCH_HOME to move the torch hub '
                           'cache)')]
