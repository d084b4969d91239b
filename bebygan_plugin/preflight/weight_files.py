"""Weight files a run loads: ``path.pretrain_network_*``, and the ImageNet weights of losses and metrics.

- ``path.pretrain_network_*``: the file exists, loads, holds ``param_key_*`` (or ``params``, which BasicSR falls
  back to) and fits the network's shapes; a test run of a network with parameters needs
  ``path.pretrain_network_g`` (a randomly initialised generator measures nothing);
- ``PerceptualLoss`` (VGG) and ``calculate_lpips`` weights are present and of the right architecture (see
  :mod:`bebygan_plugin.metrics.weight_downloads`: downloaded now when missing and the machine is online); pyiqa is
  installed for ``calculate_pyiqa``, and the files of its ``metric_name`` (PI, DISTS, TOPIQ-FR, MUSIQ, CLIPIQA) are
  present.
"""
import importlib.util
from os import path as osp
from typing import List

import torch

from ..files.checkpoint import describe_load_error, load_checkpoint_file
from ..files.weights import basicsr_param_key, check_fits_network
from ..metrics.weight_downloads import (PYIQA_METRIC_FILES, lpips_problems, pyiqa_problems,
                                        torchvision_weights_problems)
from ..problems import Problem
from ..schema import constructible


def _network_has_parameters(net_opt: dict) -> bool:
    """Whether ``network_*`` has weights to load (True when that cannot be told without building it for real)."""
    from basicsr.utils.registry import ARCH_REGISTRY

    if not isinstance(net_opt, dict) or net_opt.get('type') not in ARCH_REGISTRY:
        return True
    cls = ARCH_REGISTRY.get(net_opt['type'])
    if not constructible(cls):
        return True
    try:
        with torch.device('meta'):
            net = cls(**{k: v for k, v in net_opt.items() if k != 'type'})
    except Exception:  # noqa: BLE001 - reported by the option checks
        return True
    return any(True for _ in net.parameters())


def check_pretrained_networks(opt: dict, root_path: str, require_generator: bool = False) -> List[Problem]:
    """Every ``path.pretrain_network_*`` loads, holds its ``param_key_*`` and fits ``network_*``; with
    ``require_generator`` (test runs) ``path.pretrain_network_g`` must be set when the generator has parameters."""
    problems = []
    path = opt.get('path') if isinstance(opt.get('path'), dict) else {}
    if require_generator and not path.get('pretrain_network_g') and _network_has_parameters(opt.get('network_g')):
        problems.append(Problem('path.pretrain_network_g', 'required: the trained generator to run (e.g. '
                                                           'experiments/<name>/models/net_g_latest.pth); without it '
                                                           'the network would be randomly initialised'))
    for key, value in path.items():
        if not str(key).startswith('pretrain_network_') or not isinstance(value, str) or not value:
            continue
        label = key[len('pretrain_network_'):]
        where, file = f'path.{key}', osp.expanduser(value)
        if not osp.isfile(file):
            problems.append(Problem(where, f'{file!r} does not exist; fix the path (relative paths start at '
                                           f'{root_path}) or set it to ~'))
            continue
        try:
            loaded = load_checkpoint_file(file, mmap=True)
        except Exception as err:  # noqa: BLE001
            problems.append(Problem(where, f'{file!r} cannot be loaded ({describe_load_error(err)})'))
            continue
        wanted = path.get(f'param_key_{label}', 'params')
        if wanted is not None and isinstance(loaded, dict):
            param_key = basicsr_param_key(loaded, wanted)
            if param_key is None:
                problems.append(Problem(f'path.param_key_{label}', f'{file!r} has no {wanted!r} entry (it has '
                                                                   f'{sorted(loaded)[:5]})'))
                continue
            loaded = loaded[param_key]
        problems += check_fits_network(opt, label, loaded, file, path.get(f'strict_load_{label}', True))
    return problems


def check_loss_weights(opt: dict) -> List[Problem]:
    """The ImageNet VGG weights of every ``PerceptualLoss`` in ``train``."""
    problems = []
    for key, section in (opt.get('train') if isinstance(opt.get('train'), dict) else {}).items():
        if key.endswith('_opt') and isinstance(section, dict) and section.get('type') == 'PerceptualLoss' and \
                isinstance(section.get('vgg_type', 'vgg19'), str):
            from basicsr.archs import vgg_arch

            vgg_type = section.get('vgg_type', 'vgg19')
            local = vgg_arch.VGG_PRETRAIN_PATH
            if vgg_type != 'vgg19' and osp.isfile(local):
                problems.append(Problem(f'train.{key}.vgg_type', f'is {vgg_type}, but BasicSR loads {local} (VGG19) '
                                                                 'whenever that file exists; move it away or use '
                                                                 'vgg19'))
                continue
            problems += torchvision_weights_problems(vgg_type, 'PerceptualLoss', f'train.{key}',
                                                     local if vgg_type == 'vgg19' else None)
    return problems


def check_metric_weights(opt: dict) -> List[Problem]:
    """LPIPS weights and the pyiqa package for the ``val.metrics`` a val or test set will compute."""
    val = opt.get('val') if isinstance(opt.get('val'), dict) else {}
    datasets = opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}
    if not any(str(phase).split('_')[0] in ('val', 'test') for phase in datasets):
        return []
    problems = []
    for name, metric in (val['metrics'] if isinstance(val.get('metrics'), dict) else {}).items():
        kind = str(metric.get('type', '')).lower() if isinstance(metric, dict) else ''
        if 'lpips' in kind:
            problems += lpips_problems(metric, f'val.metrics.{name}')
        if 'pyiqa' in kind and importlib.util.find_spec('pyiqa') is None:
            problems.append(Problem(f'val.metrics.{name}', f'{metric["type"]} needs pyiqa, a dependency of '
                                                           'bebygan-plugin: pip install pyiqa (or remove the metric)'))
        elif 'pyiqa' in kind and metric.get('metric_name', 'pi') in PYIQA_METRIC_FILES:
            problems += pyiqa_problems(metric.get('metric_name', 'pi'), f'val.metrics.{name}')
    return problems
