"""Overlapping sub-images ("_sub" datasets): where the crops go and what they are called.

The positions follow BasicSR's DIV2K recipe: along each axis, crops start at ``0, step, 2*step, ...`` while they fit,
and one more crop flush with the far edge is added when more than ``thresh_size`` pixels would otherwise be left
out. A side shorter than ``crop_size`` is kept whole (one crop spanning it), so small images are never dropped. Crop
``i`` (1-based, rows first) of image ``key`` is stored as ``{key}_s{i:03d}``, BasicSR's naming.
"""
from typing import Iterator, List, Tuple

import numpy as np

Box = Tuple[int, int, int, int]  # top, left, height, width


def crop_starts(length: int, crop_size: int, step: int, thresh_size: int = 0) -> List[int]:
    """Start offsets of the crops along one axis of ``length`` pixels."""
    if crop_size <= 0 or step <= 0:
        raise ValueError(f'crop_size and step must be positive, got {crop_size} and {step}')
    if length <= crop_size:
        return [0]
    starts = list(range(0, length - crop_size + 1, step))
    if length - (starts[-1] + crop_size) > thresh_size:
        starts.append(length - crop_size)
    return starts


def subimage_boxes(height: int, width: int, crop_size: int, step: int, thresh_size: int = 0) -> List[Box]:
    """``(top, left, height, width)`` of every crop of a ``height x width`` image, rows first."""
    rows = crop_starts(height, crop_size, step, thresh_size)
    cols = crop_starts(width, crop_size, step, thresh_size)
    return [(top, left, min(crop_size, height), min(crop_size, width)) for top in rows for left in cols]


def subimage_key(key: str, index: int) -> str:
    """Key of crop ``index`` (1-based) of image ``key``."""
    return f'{key}_s{index:03d}'


def subimage_plan(height: int, width: int, key: str, crop_size: int, step: int,
                  thresh_size: int = 0) -> List[Tuple[str, Box]]:
    """``(sub-key, box)`` of every crop of image ``key``; ``crop_size == 0`` gives the whole image under ``key``."""
    if crop_size == 0:
        return [(key, (0, 0, height, width))]
    boxes = subimage_boxes(height, width, crop_size, step, thresh_size)
    return [(subimage_key(key, index), box) for index, box in enumerate(boxes, start=1)]


def iter_subimages(img: np.ndarray, key: str, crop_size: int, step: int,
                   thresh_size: int = 0) -> Iterator[Tuple[str, np.ndarray]]:
    """``(sub-key, crop)`` pairs of an ``HxWxC`` image, as planned by :func:`subimage_plan`."""
    for sub_key, (top, left, h, w) in subimage_plan(img.shape[0], img.shape[1], key, crop_size, step, thresh_size):
        yield sub_key, np.ascontiguousarray(img[top:top + h, left:left + w])


def check_crop_settings(crop_size: int, step: int, thresh_size: int, scale: int = 1) -> None:
    """Raise ``ValueError`` with the fix when the crop options cannot give aligned HR/LR crops."""
    if crop_size < 0 or step < 0 or thresh_size < 0:
        raise ValueError('--crop-size, --step and --thresh-size must not be negative')
    if crop_size == 0:
        return
    if step == 0:
        raise ValueError('--step must be positive when cropping (or pass --crop-size 0 to keep whole images)')
    if crop_size % scale or step % scale:
        raise ValueError(f'--crop-size ({crop_size}) and --step ({step}) must be multiples of the scale ({scale}) '
                         f'so that each LR crop lines up with its HR crop')
