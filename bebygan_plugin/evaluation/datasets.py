"""Benchmark datasets: a GT folder, optionally an LQ folder paired by file name, or an LQ folder alone (real photos
without GT: ``--lq-only``, scored by no-reference metrics only), checked before any work.

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

from ..preparation.image_rules import REPLACE_HINT, read_dataset_image
from ..preparation.lr_bicubic import bicubic_downsample, min_hr_size, mod_crop
from ..files.image_folders import images_by_key, pair_by_owner
from ..files.images import FORMAT_NAMES, BadImageError
from ..problems import Problem
from .report import name_problems


@dataclass(frozen=True)
class DatasetSpec:
    """``--dataset NAME=GT_DIR[:LQ_DIR]``, or ``--lq-only NAME=LQ_DIR`` (``gt_dir`` None)."""

    name: str
    gt_dir: Optional[str]
    lq_dir: Optional[str] = None


@dataclass(frozen=True)
class ImagePair:
    """One benchmark image: its name (the GT file stem; the LQ's without GT), its GT file (None: an LQ-only dataset)
    and its LQ file (None: made from the GT)."""

    dataset: str
    name: str
    gt_path: Optional[str]
    lq_path: Optional[str]

    @property
    def path(self) -> str:
        """The file that names the image: its GT, else its LQ."""
        return self.gt_path or self.lq_path


def parse_dataset_spec(text: str) -> DatasetSpec:
    """``NAME=GT_DIR`` or ``NAME=GT_DIR:LQ_DIR`` (``;`` on Windows: ``os.pathsep``)."""
    name, sep, folders = text.partition('=')
    if not sep or not name or not folders:
        raise ValueError(f'--dataset {text!r}: expected NAME=GT_DIR[{os.pathsep}LQ_DIR], e.g. '
                         f'Set14=datasets/Set14/HR{os.pathsep}datasets/Set14/LR_bicubic/X4')
    gt_dir, _, lq_dir = folders.partition(os.pathsep)
    return DatasetSpec(name, gt_dir, lq_dir or None)


def parse_lq_only_spec(text: str) -> DatasetSpec:
    """``NAME=LQ_DIR``: low-quality images without GT (e.g. real photos)."""
    name, sep, folder = text.partition('=')
    if not sep or not name or not folder:
        raise ValueError(f'--lq-only {text!r}: expected NAME=LQ_DIR, e.g. Photos=datasets/my_photos')
    return DatasetSpec(name, None, folder)


def _images_by_key(folder: str, where: str, problems: List[Problem]) -> Dict[str, str]:
    """Image files directly in ``folder`` by key (file stem); a missing folder, an empty one or two files with the
    same key are problems."""
    if not osp.isdir(folder):
        problems.append(Problem(where, f'folder {folder} does not exist'))
        return {}
    groups, _ = images_by_key(folder)
    for key, paths in groups.items():
        problems += [Problem(where, f'{paths[0]} and {path} have the same name {key!r}; keep one')
                     for path in paths[1:]]
    if not groups:
        problems.append(Problem(where, f'folder {folder} has no {FORMAT_NAMES} image'))
    return {key: paths[0] for key, paths in groups.items()}


def pair_images(spec: DatasetSpec, scale: int) -> Tuple[List[ImagePair], List[Problem]]:
    """The images of ``spec`` with their LQ partners (by name, ``x<scale>`` suffix optional), and the problems."""
    problems: List[Problem] = []
    if spec.gt_dir is None:
        lqs = _images_by_key(spec.lq_dir, f'--lq-only {spec.name}', problems)
        return [ImagePair(spec.name, key, None, path) for key, path in lqs.items()], problems
    where = f'--dataset {spec.name}'
    gts = _images_by_key(spec.gt_dir, where, problems)
    if spec.lq_dir is None:
        return [ImagePair(spec.name, key, path, None) for key, path in gts.items()], problems
    lqs = _images_by_key(spec.lq_dir, where, problems)
    suffix = f'x{scale}'

    def gt_of(lq: str) -> Optional[str]:
        base = lq[:-len(suffix)] if lq.endswith(suffix) else None
        return lq if lq in gts else base if base in gts else None

    owned, extra = pair_by_owner(lqs, gt_of)
    pairs = []
    for key, gt_path in gts.items():
        partners = sorted(owned.get(key, []), key=len)  # the key itself first
        if len(partners) == 2:
            problems.append(Problem(where, f'{gt_path} has two LQ partners, {lqs[partners[0]]} and '
                                           f'{lqs[partners[1]]}; keep one'))
        elif not partners:
            problems.append(Problem(where, f'{gt_path} has no LQ partner in {spec.lq_dir} (looked for {key} and '
                                           f'{key}x{scale} with an image extension)'))
        else:
            pairs.append(ImagePair(spec.name, key, gt_path, lqs[partners[0]]))
    problems += [Problem(where, f'{lqs[key]} has no GT partner in {spec.gt_dir}') for key in sorted(extra)]
    return pairs, problems


def load_pair(pair: ImagePair, scale: int) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """``(gt, lq)`` uint8 BGR: the GT cropped to a multiple of ``scale``, the LQ read or made from it; ``gt`` None
    for an LQ-only dataset.

    Raises:
        BadImageError: a file cannot be decoded, or the sizes do not fit ``scale``.
    """
    if pair.gt_path is None:
        return None, read_dataset_image(pair.lq_path, alpha='drop', fix=REPLACE_HINT)
    gt = np.ascontiguousarray(mod_crop(read_dataset_image(pair.gt_path, alpha='drop', fix=REPLACE_HINT), scale))
    if pair.lq_path is None:
        if min(gt.shape[:2]) < min_hr_size(scale):
            raise BadImageError(pair.gt_path,
                                f'is {gt.shape[0]}x{gt.shape[1]} pixels, too small to downsample x{scale}',
                                'remove it, or give an LQ folder')
        return gt, bicubic_downsample(gt, scale)
    lq = read_dataset_image(pair.lq_path, alpha='drop', fix=REPLACE_HINT)
    expected = (lq.shape[0] * scale, lq.shape[1] * scale)
    if gt.shape[:2] != expected:
        raise BadImageError(pair.gt_path, f'is {gt.shape[0]}x{gt.shape[1]} after cropping to a multiple of {scale}, '
                                          f'but its LQ {pair.lq_path} is {lq.shape[0]}x{lq.shape[1]} '
                                          f'(x{scale}: {expected[0]}x{expected[1]})',
                            f'check the scale (--scale / the models) and that the LQ is the x{scale} LR of this GT')
    return gt, lq


def sr_shape(gt: Optional[np.ndarray], lq: np.ndarray, scale: int) -> Tuple[int, int, int]:
    """The shape a x``scale`` SR image of this pair has: the GT's, else ``scale`` times the LQ's."""
    return gt.shape if gt is not None else (lq.shape[0] * scale, lq.shape[1] * scale, lq.shape[2])


def check_images(pairs: List[ImagePair], scale: int, crop=None, results: Sequence = ()) -> List[Problem]:
    """Decode every pair and check its sizes against ``scale`` (that ``crop``, a ``figures.Crop``, fits every SR
    image, and that the SR image of each ``results.ResultsFolder`` decodes at that size) before the long work
    starts."""
    problems = []
    for pair in tqdm(pairs, desc='Check images', unit='img', dynamic_ncols=True):
        try:
            gt, lq = load_pair(pair, scale)
        except BadImageError as err:
            flag = '--dataset' if pair.gt_path else '--lq-only'
            problems.append(Problem(f'{flag} {pair.dataset}', str(err)))
            continue
        shape = sr_shape(gt, lq, scale)
        for folder in results:
            problems += folder.image_problems(pair, shape, scale)
        if crop is not None and not crop.fits(*shape[:2]):
            what = 'after cropping to a multiple of' if gt is not None else 'its LQ times'
            problems.append(Problem('--crop', f'{crop.x},{crop.y},{crop.w},{crop.h} does not fit {pair.path} '
                                              f'({shape[1]}x{shape[0]} {what} {scale})'))
    return problems


def dataset_problems(specs: Sequence[DatasetSpec], scale: int) -> Tuple[List[ImagePair], List[Problem]]:
    """The image pairs of every ``--dataset`` / ``--lq-only`` and the problems of their names and folders."""
    problems = name_problems('--dataset / --lq-only', 'dataset', [s.name for s in specs])
    if not specs:
        problems.append(Problem('--dataset', 'no dataset: give --dataset NAME=GT_DIR[:LQ_DIR] (or --lq-only '
                                             'NAME=LQ_DIR for images without GT)'))
    pairs: List[ImagePair] = []
    for spec in specs:
        found, found_problems = pair_images(spec, scale)
        pairs += found
        problems += found_problems
    return pairs, problems
