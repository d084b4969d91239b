"""Which checkpoint to keep: ``bebygan-eval --checkpoints experiments/<name>/models`` scores every saved
``net_g_<iter>.pth`` of a training (its ``params`` and, where saved, its EMA ``params_ema``) on the datasets.

Outputs in the report folder: ``checkpoints.csv`` (one row per iteration x weights x dataset: the metric means),
``checkpoints.png`` (each metric against the iteration, :mod:`.curves`) and ``report.md`` (the table and the best
iteration of each metric). GAN training does not improve monotonically, so the last checkpoint is not necessarily
the one to keep.

``--watch`` keeps scoring the checkpoints a running training adds, until stopped (Ctrl-C or SIGTERM), rewriting
the three files after each. It must never disturb the run: it only reads the experiment folder (the report folder
may not lie inside it), runs at low priority on one CPU thread (``--device cuda`` to share the GPU instead), and a
file that does not load yet (a save in progress by a non-atomic writer) is tried again at the next poll.
"""
import csv
import io
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from os import path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from tqdm import tqdm

from ..files.atomic import atomic_write
from ..files.weights import PARAM_KEYS, WeightFileError, read_weight_file, weight_groups
from ..problems import Problem, ProblemsFound, raise_if_any
from .datasets import DatasetSpec, ImagePair, check_images, dataset_problems, load_pair
from .methods import PROGRAM, model_method
from .scoring import CSV_ORDER, METRICS, compute_metrics

CHECKPOINT_NAME = re.compile(r'^net_g_(\d+)\.pth$')
WEIGHT_GROUPS = tuple(reversed(PARAM_KEYS))  # BasicSR's keys, in report order: the trained weights, their EMA
CHECKPOINT_FILES = ('checkpoints.csv', 'checkpoints.png', 'report.md')
WEIGHT_LABELS = {'params': 'net_g', 'params_ema': 'EMA'}
WATCH_NICENESS = 10
UNLOADABLE_POLLS = 3  # a file that fails to load this many polls in a row, unchanged, is reported and skipped


@dataclass(frozen=True)
class Checkpoint:
    """``net_g_<iteration>.pth`` and the weight groups it holds."""

    iteration: int
    path: str
    groups: Tuple[str, ...] = ()


@dataclass
class CheckpointScores:
    """The metric means of every scored checkpoint: rows of iteration, weights, dataset, images and metrics."""

    metrics: List[str]
    datasets: List[str]
    scale: int
    rows: List[Dict] = field(default_factory=list)
    skipped: Dict[str, str] = field(default_factory=dict)  # file -> why it was not scored

    def series(self) -> Dict[Tuple[str, str], List[Dict]]:
        """``(dataset, weights) -> rows`` in iteration order."""
        out: Dict[Tuple[str, str], List[Dict]] = {}
        for row in sorted(self.rows, key=lambda r: r['iteration']):
            out.setdefault((row['dataset'], row['weights']), []).append(row)
        return out

    def best(self) -> List[Tuple[str, str, str, int, float]]:
        """``(dataset, weights, metric, iteration, value)``: the best iteration of each metric for each series
        (the earliest one on a tie)."""
        found = []
        for (dataset, weights), rows in self.series().items():
            for metric in self.metrics:
                scored = [(r['iteration'], r[metric]) for r in rows if r.get(metric) is not None
                          and not math.isnan(r[metric])]
                if scored:
                    sign = -1 if METRICS[metric].higher_is_better else 1
                    iteration, value = min(scored, key=lambda item: (sign * item[1], item[0]))
                    found.append((dataset, weights, metric, iteration, value))
        return found


def find_checkpoints(models_dir: str) -> List[Checkpoint]:
    """The ``net_g_<iteration>.pth`` files of ``models_dir`` by iteration (``net_g_latest`` / ``net_g_best``,
    hidden temporary files and other networks are left out)."""
    found = [(int(m.group(1)), osp.join(models_dir, name)) for name in os.listdir(models_dir)
             if (m := CHECKPOINT_NAME.match(name)) and osp.isfile(osp.join(models_dir, name))]
    return [Checkpoint(iteration, path) for iteration, path in sorted(found)]


def checkpoint_groups(path: str) -> Tuple[str, ...]:
    """The BasicSR weight groups of a checkpoint (``params`` for a bare state dict); raises
    :class:`~bebygan_plugin.files.weights.WeightFileError` when it cannot be read."""
    groups = weight_groups(read_weight_file(path), path)
    return tuple(g for g in WEIGHT_GROUPS if g in groups)


def training_scale(models_dir: str) -> Optional[int]:
    """The ``scale`` of the option file BasicSR copied into the experiment folder (``models/..``), or None."""
    import glob

    import yaml

    for path in sorted(glob.glob(osp.join(osp.dirname(osp.abspath(models_dir)), '*.yml'))):
        try:
            with open(path, encoding='utf-8') as f:
                scale = (yaml.safe_load(f) or {}).get('scale')
        except (OSError, yaml.YAMLError, AttributeError):
            continue
        if isinstance(scale, int) and not isinstance(scale, bool):
            return scale
    return None


def checkpoints_folder_problems(models_dir: str, out_dir: str) -> List[Problem]:
    """The folder exists and the report is not written inside it (the run's folder is only read)."""
    if not osp.isdir(models_dir):
        what = 'is a file' if osp.exists(models_dir) else 'does not exist'
        return [Problem('--checkpoints', f'{models_dir} {what}; give the models folder of a training, e.g. '
                                         'experiments/<name>/models')]
    inside = osp.commonpath([osp.realpath(models_dir), osp.realpath(out_dir)]) == osp.realpath(models_dir)
    if inside:
        return [Problem('-o', f'{out_dir} is inside the checkpoints folder {models_dir}; write the report elsewhere '
                              '(the training\'s folder is only read)')]
    return []


def readable_checkpoints(checkpoints: Sequence[Checkpoint]) -> Tuple[List[Checkpoint], Dict[str, str]]:
    """Each checkpoint with its weight groups, and the files that cannot be read (path -> why)."""
    ready, failed = [], {}
    for checkpoint in checkpoints:
        try:
            ready.append(Checkpoint(checkpoint.iteration, checkpoint.path, checkpoint_groups(checkpoint.path)))
        except WeightFileError as err:
            failed[checkpoint.path] = str(err)
    return ready, failed


def score_checkpoint(checkpoint: Checkpoint, pairs: Sequence[ImagePair], scores: CheckpointScores,
                     device: str, tile: Optional[int], precision: str) -> None:
    """Super-resolve every pair with each weight group of ``checkpoint`` and add the metric means to ``scores``."""
    for group in checkpoint.groups:
        method = model_method(f'{checkpoint.iteration}', checkpoint.path, device, tile, precision, param_key=group)
        if method.scale != scores.scale:
            raise ProblemsFound(PROGRAM, [Problem(checkpoint.path, f'is a x{method.scale} network, but the other '
                                                                   f'checkpoints are x{scores.scale}')])
        values: Dict[str, Dict[str, List[float]]] = {}
        for pair in tqdm(pairs, desc=f'iter {checkpoint.iteration} {WEIGHT_LABELS[group]}', unit='img',
                         dynamic_ncols=True, leave=False):
            gt, lq = load_pair(pair, scores.scale)
            measured, _ = compute_metrics(method.run(pair, lq), gt, scores.metrics, border=scores.scale)
            for metric, value in measured.items():
                values.setdefault(pair.dataset, {}).setdefault(metric, [])
                if value is not None:
                    values[pair.dataset][metric].append(value)
        for dataset in scores.datasets:
            per_metric = values.get(dataset, {})
            scores.rows.append({'iteration': checkpoint.iteration, 'weights': group, 'dataset': dataset,
                                'images': sum(p.dataset == dataset for p in pairs),
                                **{m: (sum(v) / len(v) if (v := per_metric.get(m)) else None) for m in scores.metrics}})


# ------------------------------------------------------------------------------------------------------ outputs
def checkpoints_csv(scores: CheckpointScores) -> str:
    """``iteration,weights,dataset,images,<metric>...``: one row per checkpoint x weight group x dataset."""
    columns = [m for m in CSV_ORDER if m in scores.metrics]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['iteration', 'weights', 'dataset', 'images', *columns])
    for row in sorted(scores.rows, key=lambda r: (r['iteration'], r['weights'], scores.datasets.index(r['dataset']))):
        writer.writerow([row['iteration'], row['weights'], row['dataset'], row['images'],
                         *('' if row.get(m) is None else repr(float(row[m])) for m in columns)])
    return out.getvalue()


def checkpoints_markdown(scores: CheckpointScores, models_dir: str) -> str:
    """``report.md``: per dataset and weight group, iterations x metrics (the best of each column in bold), then
    the best iteration of each metric."""
    columns = [m for m in CSV_ORDER if m in scores.metrics]
    best = {(d, w, m): i for d, w, m, i, _ in scores.best()}
    lines = ['# Checkpoints', '', f'Every `net_g_<iter>.pth` of `{models_dir}`, x{scores.scale}, {scores.scale}-pixel '
             'border; means over the images of each dataset (their number in brackets). ↑ higher is better, ↓ '
             'lower is better; the best of each column in bold. net_g: the trained weights (`params`); EMA: their '
             'exponential moving average (`params_ema`), where saved.', '']
    for (dataset, weights), rows in scores.series().items():
        lines += [f'## {dataset} ({rows[0]["images"]}), {WEIGHT_LABELS[weights]}', '',
                  '| iteration | ' + ' | '.join(f'{METRICS[m].label} {METRICS[m].arrow}' for m in columns) + ' |',
                  '| ---: |' + ' ---: |' * len(columns)]
        for row in rows:
            cells = []
            for metric in columns:
                text = METRICS[metric].format(row.get(metric)) or '–'
                cells.append(f'**{text}**' if best.get((dataset, weights, metric)) == row['iteration'] else text)
            lines.append(f'| {row["iteration"]} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    lines += ['## Best iteration per metric', '']
    lines += [f'- {dataset}, {WEIGHT_LABELS[weights]}: {METRICS[metric].label} {METRICS[metric].format(value)} at '
              f'iteration {iteration} (`net_g_{iteration}.pth`{", params_ema" if weights == "params_ema" else ""})'
              for dataset, weights, metric, iteration, value in scores.best()]
    if scores.skipped:
        lines += ['', '## Not scored', ''] + [f'- {path}: {why}' for path, why in scores.skipped.items()]
    lines += ['', 'Values: `checkpoints.csv`. Curves: `checkpoints.png`.', '']
    return '\n'.join(lines)


def write_checkpoint_report(scores: CheckpointScores, out_dir: str, models_dir: str) -> Dict[str, str]:
    """Write ``checkpoints.csv``, ``checkpoints.png`` and ``report.md`` (each atomically); returns their paths."""
    from .curves import metric_curves

    paths = {name: osp.join(out_dir, name) for name in CHECKPOINT_FILES}
    figure = metric_curves(scores)
    for name, write in (('checkpoints.csv', lambda f: f.write(checkpoints_csv(scores).encode('utf-8'))),
                        ('checkpoints.png', lambda f: figure.save(f, format='PNG')),
                        ('report.md', lambda f: f.write(checkpoints_markdown(scores, models_dir).encode('utf-8')))):
        atomic_write(paths[name], write)
    return paths


# ------------------------------------------------------------------------------------------------------ the runs
@dataclass
class CheckpointRun:
    """What :func:`prepare_checkpoints` checked: the readable checkpoints and the benchmark images."""

    checkpoints: List[Checkpoint]
    pairs: List[ImagePair]
    scores: CheckpointScores


def prepare_checkpoints(models_dir: str, out_dir: str, datasets: Sequence[DatasetSpec], metrics: List[str],
                        problems: List[Problem], device: str, tile: Optional[int], precision: str,
                        scale: Optional[int], watch: bool) -> CheckpointRun:
    """Every check before any work (``problems``: those found by the caller so far); raises
    :class:`~bebygan_plugin.problems.ProblemsFound` listing them all. Without ``watch`` every checkpoint must load;
    with it, none may exist yet. The scale: the first checkpoint's, else ``scale``, else the training's option file
    (BasicSR copies it next to ``models/``), else 4."""
    folder_problems = checkpoints_folder_problems(models_dir, out_dir)
    problems = list(problems) + folder_problems
    checkpoints: List[Checkpoint] = []
    if not folder_problems:
        checkpoints, failed = readable_checkpoints(find_checkpoints(models_dir))
        if not watch:
            problems += [Problem('--checkpoints', message) for message in failed.values()]
            if not checkpoints and not failed:
                problems.append(Problem('--checkpoints', f'{models_dir} holds no net_g_<iter>.pth'))
    if checkpoints and not problems:
        try:
            found = model_method('probe', checkpoints[0].path, device, tile, precision).scale
        except ProblemsFound as err:
            problems += [Problem('--checkpoints', str(p)) for p in err.problems]
        else:
            if scale is not None and scale != found:
                problems.append(Problem('--scale', f'is {scale}, but {checkpoints[0].path} is x{found}'))
            scale = found
    scale = scale or training_scale(models_dir) or 4
    pairs, found_problems = dataset_problems(datasets, scale)
    problems += found_problems
    if not found_problems:
        problems += check_images(pairs, scale)
    raise_if_any(PROGRAM, problems)
    return CheckpointRun(checkpoints, pairs, CheckpointScores(metrics, [d.name for d in datasets], scale))


def score_all(run: CheckpointRun, out_dir: str, models_dir: str, device: str, tile: Optional[int],
              precision: str) -> Dict[str, str]:
    """Score every checkpoint of ``run`` and write the report files; returns their paths."""
    for checkpoint in tqdm(run.checkpoints, desc='Checkpoints', unit='ckpt', dynamic_ncols=True):
        score_checkpoint(checkpoint, run.pairs, run.scores, device, tile, precision)
    return write_checkpoint_report(run.scores, out_dir, models_dir)


def lower_priority() -> None:
    """The watcher's manners: the lowest useful CPU priority and one compute thread."""
    import torch

    if hasattr(os, 'nice'):
        try:
            os.nice(WATCH_NICENESS)
        except OSError:
            pass
    torch.set_num_threads(1)


def watch(run: CheckpointRun, out_dir: str, models_dir: str, device: str, tile: Optional[int], precision: str,
          interval: float, stop: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep,
          log: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True)) -> Dict[str, str]:
    """Score new checkpoints every ``interval`` seconds until ``stop()`` (or Ctrl-C in the caller); the report
    files are rewritten after each new checkpoint. Returns their paths."""
    paths = {}
    done = {c.path for c in run.checkpoints}
    for checkpoint in run.checkpoints:
        score_checkpoint(checkpoint, run.pairs, run.scores, device, tile, precision)
    if run.checkpoints:
        paths = write_checkpoint_report(run.scores, out_dir, models_dir)
    failures: Dict[str, Tuple[int, Tuple[int, float]]] = {}  # path -> (polls failed, (size, mtime))
    while not stop():
        for checkpoint in find_checkpoints(models_dir):
            if checkpoint.path in done:
                continue
            signature = None
            try:
                stat = os.stat(checkpoint.path)
                signature = (stat.st_size, stat.st_mtime)
                ready = Checkpoint(checkpoint.iteration, checkpoint.path, checkpoint_groups(checkpoint.path))
            except (WeightFileError, OSError) as err:
                count, seen = failures.get(checkpoint.path, (0, None))
                count = count + 1 if seen == signature else 1
                failures[checkpoint.path] = (count, signature)
                if count >= UNLOADABLE_POLLS:
                    run.scores.skipped[checkpoint.path] = str(err)
                    done.add(checkpoint.path)
                    log(f'{PROGRAM}: skipped {checkpoint.path}: {err}')
                continue
            log(f'{PROGRAM}: scoring {checkpoint.path}')
            score_checkpoint(ready, run.pairs, run.scores, device, tile, precision)
            done.add(checkpoint.path)
            paths = write_checkpoint_report(run.scores, out_dir, models_dir)
        if not stop():
            sleep(interval)
    return paths
