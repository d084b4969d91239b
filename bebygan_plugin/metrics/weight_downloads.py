"""Weights that losses and metrics download: the ImageNet backbones of the perceptual loss and of LPIPS, and the
files of the pyiqa metrics (PI, DISTS, TOPIQ-FR, MUSIQ, CLIPIQA, :data:`PYIQA_METRIC_FILES`).

Each check returns :class:`~bebygan_plugin.problems.Problem` s naming the file to place and where, instead of
failing later inside torchvision with a network error. A missing file is downloaded when the machine is online,
unless ``BEBYGAN_OFFLINE=1``. Shared by ``bebygan-train``'s and ``bebygan-test``'s start-up checks, the pyiqa metric
and evaluation.
"""
import os
import socket
from os import path as osp
from typing import List, Optional, Tuple

import torch

from ..files.checkpoint import describe_load_error, load_checkpoint_file
from ..problems import Problem

DOWNLOAD_TIMEOUT_S = 30
LPIPS_BACKBONES = {'alex': 'alexnet', 'vgg': 'vgg16', 'squeeze': 'squeezenet1_1'}
PYIQA_URL = 'https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/{}'

# The files each pyiqa metric loads from pyiqa's cache ($TORCH_HOME/hub/pyiqa, pyiqa.utils.download_util's
# DEFAULT_CACHE_DIR), as named in pyiqa's arch files (tests/unit/metrics checks them against the installed pyiqa):
# pi: NRQM + NIQE parameters (nrqm_arch, niqe_arch); dists: dists_arch default_model_urls['url']; topiq_fr:
# topiq_arch 'cfanet_fr_kadid_res50' (the whole network, so the ResNet-50 backbone needs no download of its own);
# musiq: musiq_arch 'koniq10k'; clipiqa: nothing here, the CLIP backbone below.
PYIQA_METRIC_FILES = {
    'pi': ('NRQM_model.mat', 'niqe_modelparameters.mat'),
    'dists': ('DISTS_weights-f5e65c96.pth',),
    'topiq_fr': ('cfanet_fr_kadid_res50-2c4cc61d.pth',),
    'musiq': ('musiq_koniq_ckpt-e95806b9.pth',),
    'clipiqa': (),
}
PYIQA_TORCHVISION_BACKBONES = {'dists': 'vgg16'}  # torchvision ImageNet weights pyiqa's DISTS loads first
# OpenAI CLIP files (pyiqa clip_model._MODELS, in $TORCH_HOME/hub/clip, checked by the SHA-256 in their URL)
PYIQA_CLIP_BACKBONES = {'clipiqa': 'https://openaipublic.azureedge.net/clip/models/'
                                   'afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt'}
PYIQA_LABELS = {'pi': 'PI', 'dists': 'DISTS', 'topiq_fr': 'TOPIQ-FR', 'musiq': 'MUSIQ', 'clipiqa': 'CLIPIQA'}



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


def _sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def pyiqa_weight_files(metric: str) -> List[Tuple[str, str, Optional[str]]]:
    """``(path, url, sha256 or None)`` of every file pyiqa's ``metric`` loads from its caches (see
    :data:`PYIQA_METRIC_FILES`); the CLIP backbone goes where pyiqa's ``clip_model.load`` looks."""
    hub = torch.hub.get_dir()
    files = [(osp.join(hub, 'pyiqa', name), PYIQA_URL.format(name), None) for name in PYIQA_METRIC_FILES[metric]]
    if metric in PYIQA_CLIP_BACKBONES:
        url = PYIQA_CLIP_BACKBONES[metric]
        files.append((osp.join(hub, 'clip', osp.basename(url)), url, url.split('/')[-2]))
    return files


def pyiqa_problems(metric: str, where: str) -> List[Problem]:
    """pyiqa, and every weight file its ``metric`` loads (a key of :data:`PYIQA_METRIC_FILES`): each missing
    file is downloaded when the machine is online, else named with its URL and the folder it goes in."""
    import importlib.util

    label = PYIQA_LABELS.get(metric, metric)
    if importlib.util.find_spec('pyiqa') is None:
        return [Problem(where, f'{label} needs pyiqa: pip install pyiqa')]
    problems = []
    if metric in PYIQA_TORCHVISION_BACKBONES:
        problems += torchvision_weights_problems(PYIQA_TORCHVISION_BACKBONES[metric], label, where)
    missing, reason = [], None
    for path, url, sha256 in pyiqa_weight_files(metric):
        if osp.isfile(path) and sha256 and _sha256(path) != sha256:
            missing.append((path, url))
            reason = f'{path} is not the original file (its SHA-256 differs)'
            continue
        failed = None if osp.isfile(path) else _try_download(url, path)
        if failed:
            missing.append((path, url))
            reason = failed
    if missing:
        places = '; '.join(f'{url} -> {path}' for path, url in missing)
        problems.append(Problem(where, f'{label} needs {" and ".join(osp.basename(p) for p, _ in missing)}, which '
                                       f'{"is" if len(missing) == 1 else "are"} not on this machine ({reason}). '
                                       f'Download and place: {places} (set TORCH_HOME to move the torch hub '
                                       'cache)'))
    return problems
