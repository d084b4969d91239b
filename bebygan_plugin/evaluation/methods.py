"""The methods of an evaluation: the bicubic baseline, trained generators and folders of SR images, each giving
the SR image (uint8 BGR) of a benchmark image.

Generators are loaded and run by :mod:`bebygan_plugin.inference` (every checkpoint layout and option YAML that
``bebygan-infer`` takes; large images go through its tiled forward); folders are read by :mod:`.results`.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from ..preparation.lr_bicubic import matlab_resize_uint8
from ..problems import Problem, ProblemsFound
from .datasets import ImagePair
from .report import name_problems
from .results import ResultsFolder

PROGRAM = 'bebygan-eval'
BICUBIC = 'bicubic'
AUTO_TILE = 512  # --tile auto: LR images larger than AUTO_TILE x AUTO_TILE pixels go through tiles of this side


@dataclass
class Method:
    """A named ``(image, LQ) -> SR`` function on ``HxWx3`` uint8 BGR arrays, with its scale and where it comes
    from; ``results``: the folder it reads its SR images from (None: it computes them)."""

    name: str
    scale: int
    source: str
    run: Callable[[ImagePair, np.ndarray], np.ndarray]
    results: Optional[ResultsFolder] = None


def bicubic_method(scale: int) -> Method:
    """MATLAB ``imresize(LQ, scale, 'bicubic')``, rounded to uint8 as MATLAB does: the baseline row of SR tables."""
    return Method(BICUBIC, scale, f'MATLAB-style bicubic x{scale}', lambda pair, lq: matlab_resize_uint8(lq, scale))


def results_method(results: ResultsFolder, scale: int) -> Method:
    """The SR images of a ``--results`` folder, read like the GT (:meth:`ResultsFolder.read`)."""
    def run(pair: ImagePair, lq: np.ndarray) -> np.ndarray:
        return results.read(pair, (lq.shape[0] * scale, lq.shape[1] * scale), scale)

    return Method(results.name, scale, f'SR images of {results.folder} (paired with the GT by name)', run, results)


def tile_for(height: int, width: int, tile: Optional[int]) -> int:
    """The tile side for an LR image: ``tile`` if given (0: whole image), else :data:`AUTO_TILE` for images with
    more than ``AUTO_TILE**2`` pixels and the whole image below that."""
    if tile is not None:
        return tile
    return AUTO_TILE if height * width > AUTO_TILE * AUTO_TILE else 0


def model_method(name: str, model: str, device: str, tile: Optional[int], precision: str,
                 param_key: Optional[str] = None) -> Method:
    """A generator loaded with :func:`bebygan_plugin.inference.load_generator` (``param_key``: its weight group,
    default the EMA weights where present), run by ``upscale`` (RGB order).

    Raises:
        ProblemsFound: the model cannot be loaded.
    """
    from ..inference import DEFAULT_TILE_PAD, load_generator, upscale

    net = load_generator(model, device=device, param_key=param_key, program=PROGRAM)

    def run(pair: ImagePair, lq: np.ndarray) -> np.ndarray:
        side = tile_for(lq.shape[0], lq.shape[1], tile)
        sr = upscale(net, np.ascontiguousarray(lq[..., ::-1]), tile=side, precision=precision)
        return np.ascontiguousarray(sr[..., ::-1])

    tiles = {None: f'whole LR images up to {AUTO_TILE}x{AUTO_TILE} pixels, {AUTO_TILE}-pixel tiles above',
             0: 'whole LR images'}.get(tile, f'{tile}-pixel LR tiles')
    return Method(name, int(net.scale), f'{model} ({net.description}; {tiles}, tile pad {DEFAULT_TILE_PAD}; '
                                        f'{precision})', run)


def parse_model_spec(text: str) -> Tuple[str, str]:
    """``NAME=MODEL`` -> ``(NAME, MODEL)``."""
    name, sep, model = text.partition('=')
    if not sep or not name or not model:
        raise ValueError(f'--model {text!r}: expected NAME=MODEL, e.g. BebyGAN=experiments/BebyGAN_x4/models/'
                         'net_g_latest.pth')
    return name, model


def build_methods(models: List[Tuple[str, str]], bicubic: bool, scale: Optional[int], device: str,
                  tile: Optional[int], precision: str, results: Sequence[str] = ()
                  ) -> Tuple[List[Method], int, List[Problem]]:
    """Load every model (the problems of each are collected, not raised), add bicubic, agree on one scale.
    ``results``: the names of the ``--results`` folders (resolved later, once the datasets are paired).

    Returns:
        The methods, the scale (``scale`` if given, else the models', else 4) and the problems found.
    """
    from ..inference.generators import resolve_device
    from ..inference.tiling import check_precision

    names = [name for name, _ in models] + list(results) + ([BICUBIC] if bicubic else [])
    problems = name_problems('--model / --results', 'method', names)
    methods: List[Method] = []
    try:
        resolved = resolve_device(device)
    except ValueError as err:
        problems.append(Problem('--device', str(err)))
        models = []  # each would report the same device problem
    else:
        try:
            check_precision(precision, resolved)
        except ValueError as err:
            problems.append(Problem('--precision', str(err)))
    for name, model in models:
        try:
            methods.append(model_method(name, model, device, tile, precision))
        except ProblemsFound as err:
            problems += [Problem(f'--model {name}', str(p)) for p in err.problems]
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
    if not methods and not results and not problems:
        problems.append(Problem(PROGRAM, 'no method to evaluate: give --model NAME=MODEL, --results NAME=DIR '
                                         'and/or --bicubic'))
    return methods, scale, problems
