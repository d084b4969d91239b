"""Folders of super-resolved images as methods: ``bebygan-eval --results NAME=DIR``.

Papers release their SR images (the authors of every Table-2 column did); scoring such a folder with the same
pipeline as a model gives comparable numbers: the same pixels give the same values as any other method.

- Where: ``DIR/<dataset>/`` for each ``--dataset`` (the name compared without case), or ``DIR`` itself when there
  is one dataset and no such subfolder. ``bebygan-eval``'s own ``sr/<method>/`` is such a folder.
- Pairing, by file name: the SR image of GT ``baboon.png`` is the image whose stem is ``baboon`` or starts with
  ``baboon`` followed by a separator (``_ - . space``) or ``x<digits>``: ``baboon_x4_SR.png``,
  ``baboonx4.png``, ``baboon_ESRGAN.png``, ``baboon-RankSRGAN.png`` ... (the longest matching GT name wins, so
  ``t10_SR`` pairs with ``t10``, not ``t1``). A GT stem ending in ``_HR`` also matches without it
  (``img_001_SRF_4_HR`` <- ``img_001_SRF_4_SR``).
- Checked before any work, every problem at once: a GT without an SR image, two SR images for one GT, an SR
  image without a GT, an image that cannot be decoded, a size other than the GT's (the GT is cropped to a multiple
  of the scale; an SR image the size of the uncropped GT is cropped the same way).
"""
import os
import re
from dataclasses import dataclass
from os import path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..preparation.image_rules import read_dataset_image
from ..preparation.lr_bicubic import mod_crop
from ..files.images import BadImageError, is_image_file
from ..problems import Problem
from .datasets import DatasetSpec, ImagePair

_HR_SUFFIX = re.compile(r'[_\-. ]HR$', re.IGNORECASE)
_AFTER_NAME = re.compile(r'^([_\-. ]|[xX]\d)')


@dataclass
class ResultsFolder:
    """``--results NAME=DIR`` resolved: the SR file of each ``(dataset, image)``."""

    name: str
    folder: str
    files: Dict[Tuple[str, str], str]

    def read(self, pair: ImagePair, gt_shape: Tuple[int, ...], scale: int) -> np.ndarray:
        """The SR image of ``pair`` (uint8 BGR, the GT's size); raises :class:`BadImageError` on a wrong size."""
        path = self.files[(pair.dataset, pair.name)]
        sr = read_dataset_image(path, alpha='drop')
        if sr.shape[:2] != gt_shape[:2] and mod_crop(sr, scale).shape[:2] == gt_shape[:2]:
            sr = np.ascontiguousarray(mod_crop(sr, scale))  # the SR of the uncropped GT: cropped like the GT
        if sr.shape[:2] != gt_shape[:2]:
            raise BadImageError(path, f'is {sr.shape[1]}x{sr.shape[0]} pixels, but its GT {pair.gt_path} is '
                                      f'{gt_shape[1]}x{gt_shape[0]} (cropped to a multiple of {scale})',
                                f'give the x{scale} result of this image (or check --scale)')
        return sr

    def image_problems(self, pair: ImagePair, gt: np.ndarray, scale: int) -> List[Problem]:
        """The SR image of ``pair`` decodes and has the size of ``gt`` (cropped to a multiple of ``scale``)."""
        if (pair.dataset, pair.name) not in self.files:
            return []  # reported by the pairing
        try:
            self.read(pair, gt.shape, scale)
        except BadImageError as err:
            return [Problem(f'--results {self.name}', str(err))]
        return []


def parse_results_spec(text: str) -> Tuple[str, str]:
    """``NAME=DIR`` -> ``(NAME, DIR)``."""
    name, sep, folder = text.partition('=')
    if not sep or not name or not folder:
        raise ValueError(f'--results {text!r}: expected NAME=DIR, e.g. ESRGAN=results/ESRGAN (with DIR/Set14/, '
                         'DIR/BSDS100/ ... for several datasets)')
    return name, folder


def _dataset_folder(folder: str, dataset: str, several: bool) -> Optional[str]:
    """``folder/<dataset>`` (case ignored), or ``folder`` itself for a lone dataset; None when neither applies."""
    for entry in sorted(os.listdir(folder)):
        if entry.lower() == dataset.lower() and osp.isdir(osp.join(folder, entry)):
            return osp.join(folder, entry)
    return None if several else folder


def gt_key_for(stem: str, gt_keys: Sequence[str]) -> Optional[str]:
    """The GT name an SR file stem belongs to (see the module docstring), or None."""
    best = None
    for key in gt_keys:
        for base in {key, _HR_SUFFIX.sub('', key)}:
            lowered, rest = stem.lower(), stem[len(base):]
            if lowered == base.lower() or (lowered.startswith(base.lower()) and _AFTER_NAME.match(rest)):
                if best is None or len(base) > best[1]:
                    best = (key, len(base))
    return best[0] if best else None


def _pair_folder(name: str, folder: str, dataset: str, pairs: Sequence[ImagePair]
                 ) -> Tuple[Dict[Tuple[str, str], str], List[Problem]]:
    where = f'--results {name}'
    gt_paths = {p.name: p.gt_path for p in pairs}
    found: Dict[str, List[str]] = {}
    problems = []
    for file_name in sorted(os.listdir(folder)):
        path = osp.join(folder, file_name)
        if not (osp.isfile(path) and is_image_file(file_name)):
            continue
        key = gt_key_for(osp.splitext(file_name)[0], list(gt_paths))
        if key is None:
            problems.append(Problem(where, f'{path} has no GT in --dataset {dataset} (its name starts with no GT '
                                           'name); remove it or check the folder'))
        else:
            found.setdefault(key, []).append(path)
    files = {}
    for key, gt_path in gt_paths.items():
        paths = found.get(key, [])
        if not paths:
            problems.append(Problem(where, f'{folder} has no SR image for {gt_path} (looked for {key} alone or '
                                           f'followed by a suffix such as _x4, x4, _SR, _{name})'))
        elif len(paths) > 1:
            problems.append(Problem(where, f'{", ".join(paths)} all pair with {gt_path}; keep one'))
        else:
            files[(dataset, key)] = paths[0]
    return files, problems


def resolve_results(name: str, folder: str, specs: Sequence[DatasetSpec], pairs: Sequence[ImagePair]
                    ) -> Tuple[Optional[ResultsFolder], List[Problem]]:
    """Pair the images of ``folder`` with the GT of every dataset; the problems name each missing, extra or
    ambiguous file."""
    where = f'--results {name}'
    if not osp.isdir(folder):
        what = 'is a file' if osp.exists(folder) else 'does not exist'
        return None, [Problem(where, f'{folder} {what}; give the folder of {name}\'s SR images')]
    files, problems = {}, []
    for spec in specs:
        sub = _dataset_folder(folder, spec.name, len(specs) > 1)
        if sub is None:
            problems.append(Problem(where, f'{folder} has no subfolder {spec.name}/ (with several datasets, each '
                                           'has its own subfolder named like it)'))
            continue
        found, found_problems = _pair_folder(name, sub, spec.name, [p for p in pairs if p.dataset == spec.name])
        files.update(found)
        problems += found_problems
    return ResultsFolder(name, folder, files), problems
