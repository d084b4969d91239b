"""Loading a generator for inference: a checkpoint in any supported layout, or a BasicSR option YAML.

A checkpoint is read with :func:`bebygan_plugin.files.weights.read_weight_file` (``weights_only``, or safetensors
for ``.safetensors``). Its tensors may sit under BasicSR's ``params_ema`` / ``params`` (the EMA weights are
preferred), under ``state_dict``, or at the top; ``module.`` prefixes (DataParallel) are dropped
(:func:`~bebygan_plugin.files.weights.weight_groups`).
RRDB generators in any of the layouts of :mod:`.layouts` become a BasicSR ``RRDBNet`` whose shapes are read from
the tensors. Other architectures (SwinIR, Real-ESRGAN's compact net, ...) load through spandrel when it is
installed (``pip install "bebygan-plugin[interchange]"``).

Every refusal is a :class:`~bebygan_plugin.problems.ProblemsFound` naming the file and the fix, raised before any
image is touched.
"""
import os
from dataclasses import dataclass
from os import path as osp
from typing import Dict, List, Optional, Union

import torch

from ..files.weights import (INTERCHANGE_EXTRA, PARAM_KEYS, StateDict, WeightFileError, basicsr_param_key,
                             read_weight_file, weight_groups)
from ..problems import Problem, ProblemsFound, raise_if_any
from .layouts import ESRGAN, SIMPLE_SR, LayoutError, build_rrdbnet, detect_layout, rrdb_config, to_basicsr

YAML_SUFFIXES = ('.yml', '.yaml')
PROGRAM = 'load_generator'


@dataclass
class GeneratorWeights:
    """An RRDB generator checkpoint in BasicSR form: ``groups`` maps ``params`` / ``params_ema`` to state dicts in
    BasicSR ``RRDBNet`` keys; ``layout`` is the layout the file was in, ``config`` the ``RRDBNet`` arguments."""

    path: str
    groups: Dict[str, StateDict]
    layout: str
    config: Dict[str, int]

    def preferred(self, param_key: Optional[str] = None) -> StateDict:
        """The state dict under ``param_key``, or the EMA weights when present, else ``params``."""
        if param_key is not None:
            if param_key not in self.groups:
                raise WeightFileError(f'{self.path} has no {param_key!r} weights (it has {sorted(self.groups)})')
            return self.groups[param_key]
        return next(self.groups[key] for key in PARAM_KEYS if key in self.groups)

    def describe(self) -> str:
        c = self.config
        return (f"RRDBNet x{c['scale']}: num_feat {c['num_feat']}, num_block {c['num_block']}, num_grow_ch "
                f"{c['num_grow_ch']}, {c['num_in_ch']}->{c['num_out_ch']} channels ({self.layout} layout)")


def rrdb_weights(path: str) -> GeneratorWeights:
    """Read ``path`` as an RRDB generator in any supported layout (:class:`WeightFileError` / :class:`LayoutError`)."""
    groups = weight_groups(read_weight_file(path), path)
    converted, layouts = {}, set()
    for key, group in groups.items():
        converted[key], layout = to_basicsr(group)
        layouts.add(layout)
    configs = {key: tuple(sorted(rrdb_config(group).items())) for key, group in converted.items()}
    if len(set(configs.values())) > 1:
        raise WeightFileError(f'{path}: its weight groups describe different networks ({configs})')
    return GeneratorWeights(path, converted, ' + '.join(sorted(layouts)), rrdb_config(next(iter(converted.values()))))


def read_generator_weights(path: str, program: str = PROGRAM) -> GeneratorWeights:
    """:func:`rrdb_weights`, with every refusal as :class:`ProblemsFound` naming the file."""
    try:
        return rrdb_weights(str(path))
    except (WeightFileError, LayoutError) as err:
        raise ProblemsFound(program, [Problem(str(path), _without_path(err, path))]) from None


def _without_path(err: Exception, path) -> str:
    message = str(err)
    prefix = f'{path}: '
    return message[len(prefix):] if message.startswith(prefix) else message.replace(f'{path} ', '', 1)


# --------------------------------------------------------------------------------------------------- networks
def resolve_device(device: Union[str, torch.device, None]) -> torch.device:
    """``'auto'`` / None: the first CUDA GPU when one is visible, else the CPU."""
    if device is None or str(device) == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'device {device} was asked for but no CUDA GPU is visible; use --device cpu (or auto)')
    return device


def _finish(net: torch.nn.Module, device, scale: int, in_channels: int, out_channels: int, size_multiple: int,
            description: str) -> torch.nn.Module:
    net.eval().requires_grad_(False).to(device, memory_format=torch.channels_last)  # as upscale() feeds tiles
    net.scale, net.in_channels, net.out_channels = int(scale), int(in_channels), int(out_channels)
    net.size_multiple, net.description = int(size_multiple), description
    return net


def _rrdb_network(weights: GeneratorWeights, device, param_key: Optional[str]) -> torch.nn.Module:
    net, config = build_rrdbnet(weights.preferred(param_key))
    multiple = {1: 4, 2: 2}.get(config['scale'], 1)  # pixel-unshuffle needs sides divisible by this
    return _finish(net, device, config['scale'], config['num_in_ch'], config['num_out_ch'], multiple,
                   weights.describe())


def _spandrel_network(path: str, device, param_key: Optional[str], reason: str) -> torch.nn.Module:
    """An architecture that is not an RRDB, through spandrel; ``reason`` is why the RRDB reading failed."""
    try:
        import spandrel
    except ImportError:
        raise WeightFileError(f'{path}: {reason}. Other architectures (SwinIR, Real-ESRGAN compact, ...) load through '
                             f'spandrel: {INTERCHANGE_EXTRA}') from None
    groups = weight_groups(read_weight_file(path), path)
    state = groups[param_key] if param_key in groups else next(groups[k] for k in PARAM_KEYS if k in groups)
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except Exception as err:  # noqa: BLE001  (spandrel's UnsupportedModelError and load errors)
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ''
        why = (f'{type(err).__name__}: {detail}' if detail else
               f'its tensor names match none of the {len(spandrel.MAIN_REGISTRY)} architectures spandrel knows')
        raise WeightFileError(f'{path}: {reason}; spandrel does not recognise it either ({why})') from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise WeightFileError(f'{path}: spandrel reads it as {descriptor.architecture.name}, which is not a '
                             'single-image model')
    return _finish(descriptor.model, device, descriptor.scale, descriptor.input_channels,
                   descriptor.output_channels, descriptor.size_requirements.multiple_of,
                   f'{descriptor.architecture.name} x{descriptor.scale} (via spandrel)')


def load_generator(model: Union[str, os.PathLike], device: Union[str, torch.device] = 'cpu',
                   param_key: Optional[str] = None, program: str = PROGRAM) -> torch.nn.Module:
    """The generator in ``model``, in eval mode on ``device``, ready for :func:`~.tiling.upscale`.

    Args:
        model: a checkpoint (BasicSR ``.pth``, the authors' Simple-SR state dict, the original ESRGAN layout, or
            ``.safetensors`` of any of them; other architectures through spandrel) or an option YAML
            (``network_g`` + ``path.pretrain_network_g``, ``param_key_g``, ``strict_load_g``).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or ``'auto'``.
        param_key: the BasicSR weight group to use (default: ``params_ema`` when present, else ``params``).
        program: the name bad-input reports start with.

    Returns:
        The network, with int attributes ``scale``, ``in_channels``, ``out_channels``, ``size_multiple`` (the input
        sides must be multiples of it; :func:`~.tiling.upscale` pads) and a ``description``.

    Raises:
        ProblemsFound: the file is missing, unreadable, in an unknown layout, or the YAML has a problem.
    """
    path = os.fspath(model)
    try:
        device = resolve_device(device)
    except ValueError as err:
        raise ProblemsFound(program, [Problem('device', str(err))]) from None
    if path.lower().endswith(YAML_SUFFIXES):
        return _network_from_options(path, device, program)
    try:
        try:
            return _rrdb_network(rrdb_weights(path), device, param_key)
        except LayoutError as err:
            return _spandrel_network(path, device, param_key, str(err))
    except WeightFileError as err:
        raise ProblemsFound(program, [Problem(path, _without_path(err, path))]) from None


# ------------------------------------------------------------------------------------------------ option files
def option_file_problems(opt: dict) -> List[Problem]:
    """Unknown keys and bad values (the declaration's top level: ``path``, ``val``, ...), and ``network_g``'s type,
    arguments and scale."""
    from ..schema import OPTIONS, generator_scale_problems

    problems = OPTIONS.problems(opt, '')
    if opt.get('network_g') is None:
        problems.append(Problem('network_g', 'required: the generator, e.g. {type: RRDBNet, num_in_ch: 3, '
                                             'num_out_ch: 3, num_feat: 64, num_block: 23, num_grow_ch: 32}'))
    elif isinstance(opt['network_g'], dict):
        scale = opt.get('scale') if isinstance(opt.get('scale'), int) else None
        problems += generator_scale_problems(opt['network_g'], scale)
    return problems


def _network_from_options(path: str, device: torch.device, program: str) -> torch.nn.Module:
    from basicsr.utils.registry import ARCH_REGISTRY

    from ..files.option_files import load_option_file
    from ..files.weights import check_fits_network

    if not osp.isfile(path):
        raise ProblemsFound(program, [Problem(path, f'option file does not exist (relative paths start at '
                                                    f'{os.getcwd()})')])
    opt, problems = load_option_file(path)
    if opt is None:
        raise ProblemsFound(program, problems, path)
    raise_if_any(program, option_file_problems(opt), path)
    net_opt = dict(opt['network_g'])
    net_type = net_opt.pop('type')
    net = ARCH_REGISTRY.get(net_type)(**net_opt)
    paths = opt.get('path') or {}
    weights_file = paths.get('pretrain_network_g')
    if weights_file:
        weights_file = osp.expanduser(str(weights_file))
        strict = paths.get('strict_load_g', True)
        try:
            groups = weight_groups(read_weight_file(weights_file), weights_file)
        except WeightFileError as err:
            raise ProblemsFound(program, [Problem('path.pretrain_network_g', str(err))], path) from None
        wanted = paths.get('param_key_g', 'params')
        param_key = basicsr_param_key(groups, wanted)
        if param_key is None:
            raise ProblemsFound(program, [Problem('path.param_key_g', f'{weights_file!r} has no {wanted!r} entry '
                                                                      f'(it has {sorted(groups)})')], path)
        state = groups[param_key]
        if net_type == 'RRDBNet' and detect_layout(state) in (SIMPLE_SR, ESRGAN):
            state, _ = to_basicsr(state)
        raise_if_any(program, check_fits_network(opt, 'g', state, weights_file, strict), path)
        net.load_state_dict(state, strict=strict)
    elif any(True for _ in net.parameters()):
        raise ProblemsFound(program, [Problem('path.pretrain_network_g', f'required: {net_type} has parameters to '
                                                                         'load; set it to the weights file')], path)
    scale = net_opt.get('scale', net_opt.get('upscale', opt.get('scale', 4)))
    in_ch = net_opt.get('num_in_ch', net_opt.get('in_chans', 3))
    out_ch = net_opt.get('num_out_ch', in_ch)
    multiple = {1: 4, 2: 2}.get(scale, 1) if net_type == 'RRDBNet' else 1
    return _finish(net, device, scale, in_ch, out_ch, multiple, f'{net_type} x{scale} from {path}')

