"""Weight files a run loads: ``path.pretrain_network_*`` (loads, holds its param key, fits the network; required for
a test run's generator), and the ImageNet / LPIPS / pyiqa weights of losses and metrics (metrics.weight_downloads)."""
import importlib.util
from os import path as osp
from typing import List

import torch

from ..files.weights import WeightFileError, basicsr_weight_groups, check_fits_network, pretrained_network_state
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
        if str(key).startswith('pretrain_network_') and isinstance(value, str) and value:
            problems += pretrained_network_state(opt, key[len('pretrain_network_'):], root_path)[1]
    return problems


def check_resume_networks(opt: dict, networks: List[tuple], where: str) -> List[Problem]:
    """Each ``(label, file, param_key)`` network file a resumed run loads fits ``network_<label>`` (files that do not
    load are left to the choice of the checkpoint, which skips or names them)."""
    problems = []
    for label, file, param_key in networks:
        try:
            loaded = basicsr_weight_groups(file, '')
        except WeightFileError:  # a torn or missing file: files.training_states skips or names it
            continue
        if isinstance(loaded, dict) and isinstance(loaded.get(param_key), dict):
            problems += check_fits_network(opt, label, loaded[param_key], file, strict=True, where=where)
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
