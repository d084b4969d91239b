"""One evaluation run: check everything, super-resolve every image with every method, score, write the report.

Output folder layout::

    results.csv  report.md  index.html
    figures/<dataset>_<image>.png      the Figure-7 style comparison of each image
    sr/<method>/<dataset>/<image>.png  the super-resolved images (not for --results folders: they are on disk)

Every metric ignores a border of ``scale`` pixels (the x4 protocol's 4, 2 at x2).
"""
import sys
import time
from dataclasses import dataclass
from os import path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from tqdm import tqdm

from ..files.images import write_image
from ..files.paths import output_file_problems, output_folder_problems
from ..problems import Problem, raise_if_any
from .checkpoints import (CHECKPOINT_FILES, CheckpointScores, lower_priority, prepare_checkpoints, score_all,
                          watch)
from .datasets import DatasetSpec, ImagePair, check_images, dataset_problems, load_pair
from .figures import Crop, comparison_figure, pick_crop
from .methods import PROGRAM, Method, build_methods, results_method
from .scoring import choose_metrics, compute_metrics
from .report import REPORT_FILES, Evaluation, write_report
from .results import resolve_results


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
    results: Sequence[Tuple[str, str]] = ()  # --results NAME=DIR: folders of SR images
    paper: bool = False  # show Table 2's published values beside the measured ones
    checkpoints: Optional[str] = None  # a training's models folder: score every net_g_<iter>.pth instead
    watch: bool = False  # with checkpoints: keep scoring new ones until stopped
    interval: float = 60.0  # seconds between two looks at the folder when watching


@dataclass
class Plan:
    """What :func:`prepare` checked: the methods, the image pairs, the metrics (and those skipped, with why)."""

    methods: List[Method]
    pairs: List[ImagePair]
    metrics: List[str]
    skipped: Dict[str, str]
    scale: int


def report_folder_problems(out_dir: str, files: Sequence[str] = REPORT_FILES,
                           folders: Sequence[str] = ('figures', 'sr')) -> List[Problem]:
    """The report folder, and the ``files`` and ``folders`` the report writes in it, can be written (nothing
    created)."""
    problems = output_folder_problems(out_dir, '-o')
    if not problems and osp.isdir(out_dir):
        for name in files:
            problems += output_file_problems(osp.join(out_dir, name), '-o')
        for name in folders:
            problems += output_folder_problems(osp.join(out_dir, name), '-o')
    return problems


def prepare(config: EvalConfig) -> Plan:
    """Every check before any work; raises :class:`~bebygan_plugin.problems.ProblemsFound` listing all problems."""
    metrics, skipped, problems = choose_metrics(config.metrics)
    problems += report_folder_problems(config.out_dir)
    methods, scale, method_problems = build_methods(list(config.models), config.bicubic, config.scale, config.device,
                                                    config.tile, config.precision, [n for n, _ in config.results])
    problems += method_problems
    pairs, found = dataset_problems(config.datasets, scale)
    problems += found
    if not found:  # pair the SR folders and decode every image only when the datasets are right
        folders = []
        for name, folder in config.results:
            resolved, results_problems = resolve_results(name, folder, config.datasets, pairs)
            problems += results_problems
            folders += [resolved] if resolved is not None else []  # its paired images are checked too
        problems += check_images(pairs, scale, config.crop, folders)
        methods[int(config.bicubic):int(config.bicubic)] = [results_method(f, scale) for f in folders]
    raise_if_any(PROGRAM, problems)
    return Plan(methods, pairs, metrics, skipped, scale)


def _lr_source(spec: DatasetSpec, scale: int) -> str:
    if spec.lq_dir:
        return f'GT {spec.gt_dir}, LR {spec.lq_dir} (paired by name, x{scale} suffix optional)'
    return f'GT {spec.gt_dir}, LR made from the GT by MATLAB-style bicubic downsampling x{scale}'


def run_checkpoints(config: EvalConfig, stop: Callable[[], bool] = lambda: False,
                    sleep: Callable[[float], None] = time.sleep) -> Tuple[CheckpointScores, Dict[str, str]]:
    """``--checkpoints``: check, then score every checkpoint (and with ``--watch`` each new one until ``stop()``
    or Ctrl-C); returns the scores and the paths of ``checkpoints.csv``, ``checkpoints.png`` and ``report.md``."""
    metrics, skipped, problems = choose_metrics(config.metrics)
    problems += report_folder_problems(config.out_dir, CHECKPOINT_FILES, ())
    for flag, given in (('--model', config.models), ('--results', config.results), ('--bicubic', config.bicubic),
                        ('--paper', config.paper), ('--crop', config.crop)):
        if given:
            problems.append(Problem(flag, 'cannot be combined with --checkpoints, which scores the checkpoints of '
                                          'one training; evaluate other methods in a separate run'))
    device = 'cpu' if config.watch and config.device == 'auto' else config.device  # never the training's GPU
    run = prepare_checkpoints(config.checkpoints, config.out_dir, config.datasets, metrics, problems, device,
                              config.tile, config.precision, config.scale, config.watch)
    for name, why in skipped.items():
        tqdm.write(f'{PROGRAM}: {name} not computed: {why}', file=sys.stderr)
    if not config.watch:
        return run.scores, score_all(run, config.out_dir, config.checkpoints, device, config.tile, config.precision)
    lower_priority()
    paths = watch(run, config.out_dir, config.checkpoints, device, config.tile, config.precision, config.interval,
                  stop, sleep)
    return run.scores, paths


def run_evaluation(config: EvalConfig) -> Tuple[Evaluation, Dict[str, str]]:
    """Check, evaluate every method on every image, write the report files; returns the evaluation and the paths
    of ``results.csv``, ``report.md`` and ``index.html``."""
    plan = prepare(config)
    methods, scale = plan.methods, plan.scale
    evaluation = Evaluation(
        methods=[m.name for m in methods], method_sources={m.name: m.source for m in methods},
        datasets={s.name: _lr_source(s, scale) for s in config.datasets}, metrics=plan.metrics,
        skipped_metrics=plan.skipped, scale=scale, paper=config.paper)
    for name, why in plan.skipped.items():
        tqdm.write(f'{PROGRAM}: {name} not computed: {why}', file=sys.stderr)
    progress = tqdm(total=len(plan.pairs) * len(methods), desc='Evaluate', unit='sr', dynamic_ncols=True)
    for pair in plan.pairs:
        gt, lq = load_pair(pair, scale)
        srs, values = {}, {}
        for method in methods:
            progress.set_postfix_str(f'{pair.dataset}/{pair.name} {method.name}')
            sr = method.run(pair, lq)
            if sr.shape != gt.shape:
                raise RuntimeError(f'{method.name} made a {sr.shape} image from the {lq.shape} LR of '
                                   f'{pair.lq_path or pair.gt_path}; expected the GT\'s {gt.shape}')
            if method.results is None:
                write_image(osp.join(config.out_dir, 'sr', method.name, pair.dataset, f'{pair.name}.png'), sr,
                            order='bgr')
            values[method.name], failures = compute_metrics(sr, gt, plan.metrics, border=scale)
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
