"""One evaluation run: check everything, super-resolve every image with every method, score, write the report.

Output folder layout::

    results.csv  report.md  index.html
    figures/<dataset>_<image>.png      the Figure-7 style comparison of each image
    sr/<method>/<dataset>/<image>.png  the super-resolved images
"""
import os
import sys
from dataclasses import dataclass
from os import path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from tqdm import tqdm

from ..files.images import write_image
from ..problems import Problem, raise_if_any
from .datasets import DatasetSpec, ImagePair, check_images, load_pair, pair_images
from .figures import Crop, comparison_figure, pick_crop
from .methods import PROGRAM, Method, build_methods
from .metrics import choose_metrics, compute_metrics
from .report import Evaluation, name_problems, write_report


@dataclass
class EvalConfig:
    """What ``bebygan-eval`` was asked to do (see its ``--help``)."""

    out_dir: str
    datasets: Sequence[DatasetSpec]
    models: Sequence[Tuple[str, str]] = ()
    bicubic: bool = False
    metrics: Optional[Sequence[str]] = None  # None: every metric that can run here
    scale: Optional[int] = None  # None: the models' scale (4 for bicubic alone)
    tile: Optional[int] = None  # None: whole images up to AUTO_TILE**2 LR pixels, tiles of AUTO_TILE above
    device: str = 'auto'
    precision: str = 'fp32'
    crop: Optional[Crop] = None


def _writable_problems(out_dir: str) -> List[Problem]:
    """``out_dir`` is a folder or can be created as one (checked without creating anything)."""
    if osp.exists(out_dir):
        ok = osp.isdir(out_dir) and os.access(out_dir, os.W_OK)
        return [] if ok else [Problem('-o', f'{out_dir} is not a writable folder')]
    parent = osp.dirname(osp.abspath(out_dir))
    while not osp.exists(parent):
        parent = osp.dirname(parent)
    return [] if os.access(parent, os.W_OK) else [Problem('-o', f'cannot create {out_dir}: {parent} is not writable')]


def _dataset_problems(specs: Sequence[DatasetSpec], scale: int) -> Tuple[List[ImagePair], List[Problem]]:
    problems = name_problems('--dataset', 'dataset', [s.name for s in specs])
    if not specs:
        problems.append(Problem('--dataset', 'no dataset: give --dataset NAME=GT_DIR[:LQ_DIR]'))
    pairs: List[ImagePair] = []
    for spec in specs:
        found, found_problems = pair_images(spec, scale)
        pairs += found
        problems += found_problems
    return pairs, problems


def prepare(config: EvalConfig) -> Tuple[List[Method], List[ImagePair], List[str], Dict[str, str], int]:
    """Every check before any work; raises :class:`~bebygan_plugin.problems.ProblemsFound` listing all problems.

    Returns:
        The methods, the image pairs, the metrics to compute, the metrics skipped (with why) and the scale.
    """
    metrics, skipped, problems = choose_metrics(config.metrics)
    problems += _writable_problems(config.out_dir)
    methods, scale, method_problems = build_methods(list(config.models), config.bicubic, config.scale, config.device,
                                                    config.tile, config.precision)
    problems += method_problems
    pairs, dataset_problems = _dataset_problems(config.datasets, scale)
    problems += dataset_problems
    if not dataset_problems:  # decode every image only when the folders themselves are right
        problems += check_images(pairs, scale, config.crop)
    raise_if_any(PROGRAM, problems)
    return methods, pairs, metrics, skipped, scale


def _lr_source(spec: DatasetSpec, scale: int) -> str:
    if spec.lq_dir:
        return f'GT {spec.gt_dir}, LR {spec.lq_dir} (paired by name, x{scale} suffix optional)'
    return f'GT {spec.gt_dir}, LR made from the GT by MATLAB-style bicubic downsampling x{scale}'


def run_evaluation(config: EvalConfig) -> Tuple[Evaluation, Dict[str, str]]:
    """Check, evaluate every method on every image, write the report files; returns the evaluation and the paths
    of ``results.csv``, ``report.md`` and ``index.html``."""
    methods, pairs, metrics, skipped, scale = prepare(config)
    evaluation = Evaluation(
        methods=[m.name for m in methods], method_sources={m.name: m.source for m in methods},
        datasets={s.name: _lr_source(s, scale) for s in config.datasets}, metrics=metrics,
        skipped_metrics=skipped, scale=scale)
    for name, why in skipped.items():
        tqdm.write(f'{PROGRAM}: {name} not computed: {why}', file=sys.stderr)
    progress = tqdm(total=len(pairs) * len(methods), desc='Evaluate', unit='sr', dynamic_ncols=True)
    for pair in pairs:
        gt, lq = load_pair(pair, scale)
        srs, values = {}, {}
        for method in methods:
            progress.set_postfix_str(f'{pair.dataset}/{pair.name} {method.name}')
            sr = method.run(lq)
            if sr.shape != gt.shape:
                raise RuntimeError(f'{method.name} made a {sr.shape} image from the {lq.shape} LR of '
                                   f'{pair.lq_path or pair.gt_path}; expected the GT\'s {gt.shape}')
            write_image(osp.join(config.out_dir, 'sr', method.name, pair.dataset, f'{pair.name}.png'), sr, order='bgr')
            values[method.name], failures = compute_metrics(sr, gt, metrics)
            for metric, why in failures.items():
                note = f'{pair.dataset}/{pair.name}, {method.name}, {metric}: {why}'
                evaluation.notes.append(note)
                tqdm.write(f'{PROGRAM}: warning: left empty: {note}', file=sys.stderr)
            evaluation.rows.append({'dataset': pair.dataset, 'image': pair.name, 'method': method.name,
                                    **values[method.name]})
            srs[method.name] = sr
            progress.update()
        crop = config.crop or pick_crop(gt, list(srs.values()))
        figure = comparison_figure(f'{pair.dataset} / {pair.name}', gt, srs, values, crop)
        relative = f'figures/{pair.dataset}_{pair.name}.png'
        write_image(osp.join(config.out_dir, relative), np.asarray(figure.image), order='rgb')
        evaluation.figures.append({'dataset': pair.dataset, 'image': pair.name, 'path': relative})
    progress.close()
    return evaluation, write_report(evaluation, config.out_dir)
