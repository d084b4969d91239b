"""Benchmark datasets: a GT folder, optionally an LQ folder paired by file name, checked before any work.

- The LQ partner of ``baboon.png`` is ``baboon.<ext>`` or ``baboonx4.<ext>`` (``x<scale>``: the layout of the public
  benchmark releases, e.g. Set14's ``LR_bicubic/X4/baboonx4.png``). Every GT image needs exactly one partner and
  every LQ image a GT.
- Without an LQ folder the LR is made from the GT with MATLAB's bicubic ``imresize(GT, 1/scale)``, the paper's
  degradation (:func:`bebygan_plugin.preparation.lr_bicubic.bicubic_downsample`).
- The GT is cropped to a multiple of the scale (its last rows and columns, as BasicSR's ``mod_crop``); with an LQ
  folder the cropped GT must then be exactly ``scale`` x the LQ.
- Images are read as BasicSR reads them (8-bit BGR, gray made 3-channel, 16-bit reduced to 8, alpha ignored), by
  the rules of :mod:`bebygan_plugin.preparation.image_rules`; a file that cannot be decoded is named.
"""
import os
from dataclasses import dataclass
from os import path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from tqdm import tqdm

from ..preparation.image_files import image_key
from ..preparation.image_rules import read_dataset_image
from ..preparation.lr_bicubic import bicubic_downsample, min_hr_size, mod_crop
from ..files.images import FORMAT_NAMES, BadImageError, is_image_file
from ..problems import Problem
from .report import name_problems


@dataclass(frozen=True)
class DatasetSpec:
    """``--dataset NAME=GT_DIR[:LQ_DIR]``."""

    name: str
    gt_dir: str
    lq_dir: Optional[str] = None


@dataclass(frozen=True)
class ImagePair:
    """One benchmark image: its name (the GT file stem), its GT file and its LQ file (None: made from the GT)."""

    dataset: str
    name: str
    gt_path: str
    lq_path: Optional[str]


def parse_dataset_spec(text: str) -> DatasetSpec:
    """``NAME=GT_DIR`` or ``NAME=GT_DIR:LQ_DIR`` (``;`` on Windows: ``os.pathsep``)."""
    name, sep, folders = text.partition('=')
    if not sep or not name or not folders:
        raise ValueError(f'--dataset {text!r}: expected NAME=GT_DIR[{os.pathsep}LQ_DIR], e.g. '
                         f'Set14=datasets/Set14/HR{os.pathsep}datasets/Set14/LR_bicubic/X4')
    gt_dir, _, lq_dir = folders.partition(os.pathsep)
    return DatasetSpec(name, gt_dir, lq_dir or None)


def _images_by_key(folder: str, where: str, problems: List[Problem]) -> Dict[str, str]:
    """Image files directly in ``folder`` by key (file stem); a missing folder, an empty one or two files with the
    same key are problems."""
    if not osp.isdir(folder):
        problems.append(Problem(where, f'folder {folder} does not exist'))
        return {}
    found: Dict[str, str] = {}
    for file_name in sorted(os.listdir(folder)):
        path = osp.join(folder, file_name)
        if not (osp.isfile(path) and is_image_file(file_name)):
            continue
        key = image_key(file_name)
        if key in found:
            problems.append(Problem(where, f'{found[key]} and {path} have the same name {key!r}; keep one'))
            continue
        found[key] = path
    if not found:
        problems.append(Problem(where, f'folder {folder} has no {FORMAT_NAMES} image'))
    return found


def pair_images(spec: DatasetSpec, scale: int) -> Tuple[List[ImagePair], List[Problem]]:
    """The images of ``spec`` with their LQ partners (by name, ``x<scale>`` suffix optional), and the problems."""
    where = f'--dataset {spec.name}'
    problems: List[Problem] = []
    gts = _images_by_key(spec.gt_dir, where, problems)
    if spec.lq_dir is None:
        return [ImagePair(spec.name, key, path, None) for key, path in gts.items()], problems
    lqs = _images_by_key(spec.lq_dir, where, problems)
    pairs, used = [], set()
    for key, gt_path in gts.items():
        candidates = [k for k in (key, f'{key}x{scale}') if k in lqs]
        if len(candidates) == 2:
            problems.append(Problem(where, f'{gt_path} has two LQ partners, {lqs[candidates[0]]} and '
                                           f'{lqs[candidates[1]]}; keep one'))
        elif not candidates:
            problems.append(Problem(where, f'{gt_path} has no LQ partner in {spec.lq_dir} (looked for {key} and '
                                           f'{key}x{scale} with an image extension)'))
        else:
            pairs.append(ImagePair(spec.name, key, gt_path, lqs[candidates[0]]))
        used.update(candidates)
    for key in sorted(set(lqs) - used):
        problems.append(Problem(where, f'{lqs[key]} has no GT partner in {spec.gt_dir}'))
    return pairs, problems


def load_pair(pair: ImagePair, scale: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(gt, lq)`` uint8 BGR: the GT cropped to a multiple of ``scale``, the LQ read or made from it.

    Raises:
        BadImageError: a file cannot be decoded, or the sizes do not fit ``scale``.
    """
    gt = np.ascontiguousarray(mod_crop(read_dataset_image(pair.gt_path, alpha='drop'), scale))
    if pair.lq_path is None:
        if min(gt.shape[:2]) < min_hr_size(scale):
            raise BadImageError(pair.gt_path,
                                f'is {gt.shape[0]}x{gt.shape[1]} pixels, too small to downsample x{scale}',
                                'remove it, or give an LQ folder')
        return gt, bicubic_downsample(gt, scale)
    lq = read_dataset_image(pair.lq_path, alpha='drop')
    expected = (lq.shape[0] * scale, lq.shape[1] * scale)
    if gt.shape[:2] != expected:
        raise BadImageError(pair.gt_path, f'is {gt.shape[0]}x{gt.shape[1]} after cropping to a multiple of {scale}, '
                                          f'but its LQ {pair.lq_path} is {lq.shape[0]}x{lq.shape[1]} '
                                          f'(x{scale}: {expected[0]}x{expected[1]})',
                            f'check the scale (--scale / the models) and that the LQ is the x{scale} LR of this GT')
    return gt, lq


def check_images(pairs: List[ImagePair], scale: int, crop=None, results: Sequence = ()) -> List[Problem]:
    """Decode every pair and check its sizes against ``scale`` (that ``crop``, a ``figures.Crop``, fits every GT,
    and that the SR image of each ``results.ResultsFolder`` decodes at the GT's size) before the long work starts."""
    problems = []
    for pair in tqdm(pairs, desc='Check images', unit='img', dynamic_ncols=True):
        try:
            gt, _ = load_pair(pair, scale)
        except BadImageError as err:
            problems.append(Problem(f'--dataset {pair.dataset}', str(err)))
            continue
        for folder in results:
            problems += folder.image_problems(pair, gt, scale)
        if crop is not None and not crop.fits(*gt.shape[:2]):
            problems.append(Problem('--crop', f'{crop.x},{crop.y},{crop.w},{crop.h} does not fit {pair.gt_path} '
                                              f'({gt.shape[1]}x{gt.shape[0]} after cropping to a multiple of '
                                              f'{scale})'))
    return problems


def dataset_problems(specs: Sequence[DatasetSpec], scale: int) -> Tuple[List[ImagePair], List[Problem]]:
    """The image pairs of every ``--dataset`` and the problems of their names and folders."""
    problems = name_problems('--dataset', 'dataset', [s.name for s in specs])
    if not specs:
        problems.append(Problem('--dataset', 'no dataset: give --dataset NAME=GT_DIR[:LQ_DIR]'))
    pairs: List[ImagePair] = []
    for spec in specs:
        found, found_problems = pair_images(spec, scale)
        pairs += found
        problems += found_problems
    return pairs, problems
