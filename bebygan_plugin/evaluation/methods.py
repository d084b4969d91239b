"""The methods of an evaluation: the bicubic baseline and trained generators, each LQ -> SR on uint8 BGR images.

Generators are loaded and run by :mod:`bebygan_plugin.inference` (every checkpoint layout and option YAML that
``bebygan-infer`` takes; large images go through its tiled forward).
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np

from ..data.lr_bicubic import matlab_resize_uint8
from ..problems import Problem, ProblemsFound
from .report import name_problems

BICUBIC = 'bicubic'


@dataclass
class Method:
    """A named LQ -> SR function on ``HxWx3`` uint8 BGR arrays, with its scale and where it comes from."""

    name: str
    scale: int
    source: str
    run: Callable[[np.ndarray], np.ndarray]


def bicubic_method(scale: int) -> Method:
    """MATLAB ``imresize(LQ, scale, 'bicubic')``, rounded to uint8 as MATLAB does: the baseline row of SR tables."""
    return Method(BICUBIC, scale, f'MATLAB-style bicubic x{scale}', lambda lq: matlab_resize_uint8(lq, scale))


def model_method(name: str, model: str, device: str, tile: int, precision: str) -> Method:
    """A generator loaded with :func:`bebygan_plugin.inference.load_generator`, run by ``upscale`` (RGB order)."""
    from ..inference import load_generator, upscale

    net = load_generator(model, device=device)

    def run(lq: np.ndarray) -> np.ndarray:
        sr = upscale(net, np.ascontiguousarray(lq[..., ::-1]), tile=tile, precision=precision, device=device)
        return np.ascontiguousarray(sr[..., ::-1])

    return Method(name, int(net.scale), model, run)


def parse_model_spec(text: str) -> Tuple[str, str]:
    """``NAME=MODEL`` -> ``(NAME, MODEL)``."""
    name, sep, model = text.partition('=')
    if not sep or not name or not model:
        raise ValueError(f'--model {text!r}: expected NAME=MODEL, e.g. BebyGAN=experiments/BebyGAN_x4/models/'
                         'net_g_latest.pth')
    return name, model


def build_methods(models: List[Tuple[str, str]], bicubic: bool, scale: Optional[int], device: str, tile: int,
                  precision: str) -> Tuple[List[Method], int, List[Problem]]:
    """Load every model (the problems of each are collected, not raised), add bicubic, agree on one scale.

    Returns:
        The methods, the scale (``scale`` if given, else the models', else 4) and the problems found.
    """
    problems = name_problems('--model', 'method', [name for name, _ in models] + ([BICUBIC] if bicubic else []))
    methods: List[Method] = []
    for name, model in models:
        try:
            methods.append(model_method(name, model, device, tile, precision))
        except ProblemsFound as err:
            problems += [Problem(f'--model {name}', str(p)) for p in err.problems]
        except (OSError, ValueError, RuntimeError, KeyError) as err:
            problems.append(Problem(f'--model {name}', f'{model} cannot be loaded: {err}'))
    scales = sorted({m.scale for m in methods})
    if scale is None:
        scale = scales[0] if len(scales) == 1 else 4
    for method in methods:
        if method.scale != scale:
            problems.append(Problem(f'--model {method.name}', f'{method.source} is a x{method.scale} model, but '
                                                              f'the evaluation is x{scale}; evaluate one scale at a '
                                                              'time (--scale)'))
    if bicubic:
        methods.insert(0, bicubic_method(scale))
    if not methods and not problems:
        problems.append(Problem('bebygan-eval', 'no method to evaluate: give --model NAME=MODEL and/or --bicubic'))
    return methods, scale, problems
