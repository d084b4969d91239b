"""``bebygan-prepare --gt-only``: HR folder(s) -> GT-only training data for BasicSR's ``RealESRGANDataset``.

::

    bebygan-prepare --gt-only --hr HR_DIR [HR_DIR ...] --out OUT_DIR [--name NAME] [--format lmdb|folder]
                    [--multiscale] [--crop-size 400 --step 200 --thresh-size 0]

The real-world models synthesise the LQ side during training, so only the GT is stored: ``OUT_DIR/NAME.lmdb``
(``io_backend: {type: lmdb}``, ``dataroot_gt`` = the LMDB) or the folder ``OUT_DIR/NAME`` (``io_backend: {type:
disk}``, ``dataroot_gt`` = the folder, ``meta_info`` = ``OUT_DIR/NAME/meta_info.txt``). Both hold BasicSR's
``meta_info.txt``, one line ``{key}.png ({h},{w},3) {level}`` per image: ``RealESRGANDataset`` reads the LMDB keys
from it (the text before the first ``.``) and, on a folder, the image paths relative to ``dataroot_gt`` (the text
before the first space). Per source image:

1. read and normalise it to 8-bit BGR (:mod:`bebygan_plugin.preparation.image_rules`);
2. ``--multiscale``: also make Real-ESRGAN's downscaled copies (its ``scripts/generate_multiscale_DF2K.py``): the
   image scaled by 0.75, 0.5 and 1/3, and a copy whose shortest edge is 400 pixels, each size truncated to whole
   pixels and resampled with PIL's Lanczos filter, stored under ``{key}T0`` ... ``{key}T3`` beside the original;
3. cut each into overlapping sub-images (:mod:`bebygan_plugin.preparation.subimages`; default 400 / 200, Real-ESRGAN's:
   ``RealESRGANDataset`` crops or reflect-pads every GT to 400x400; ``--crop-size 0`` keeps whole images);
4. PNG-encode them; the main process writes the LMDB or the folder.

All images are decoded and checked before anything is written, and every key is known (and unique) up front; the
output appears only when complete (:mod:`bebygan_plugin.preparation.staging`). Bad images are named, or left out and
listed with ``--skip-bad``, as for the paired data.
"""
import argparse
import contextlib
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from ..files.images import BadImageError
from .folder_writer import FolderWriter
from .image_files import DatasetError, bad_inputs_error, check_images, list_images, results_to_write
from .image_rules import encode_png, read_dataset_image
from .lmdb_writer import LmdbWriter, folder_size, lmdb_map_size, png_size_bound
from .parallel import worker_pool
from .reporting import human_bytes, report_ignored, report_skipped
from .staging import is_up_to_date, remove_leftovers, sources_fingerprint, staged, staging_path, write_info
from .subimages import subimage_plan

FORMATS = ('lmdb', 'folder')
MULTISCALE_FACTORS = (0.75, 0.5, 1 / 3)  # Real-ESRGAN's scripts/generate_multiscale_DF2K.py
MULTISCALE_SHORTEST_EDGE = 400  # ... and its last copy, whose shortest edge is this long
MULTISCALE_MIN_SIDE = 3  # the 1/3 copy of a smaller image would have no pixel
DEFAULT_CROP_SIZE, DEFAULT_STEP = 400, 200  # Real-ESRGAN's extract_subimages for DF2K; RealESRGANDataset's 400
Entry = Tuple[str, bytes, Tuple[int, int, int]]
Size = Tuple[int, int]


@dataclass(frozen=True)
class GtSettings:
    """What turns one HR image into its GT entries."""

    crop_size: int = DEFAULT_CROP_SIZE
    step: int = DEFAULT_STEP
    thresh_size: int = 0
    compress_level: int = 1
    alpha: str = 'error'
    multiscale: bool = False


@dataclass(frozen=True)
class GtTask:
    path: str
    key: str
    settings: GtSettings


@dataclass
class GtResult:
    path: str
    entries: List[Entry] = field(default_factory=list)
    error: Optional[BadImageError] = None


def multiscale_sizes(height: int, width: int) -> List[Size]:
    """``(height, width)`` of Real-ESRGAN's downscaled copies of a ``height x width`` image: the three factors
    (sizes truncated), then the copy whose shortest edge is :data:`MULTISCALE_SHORTEST_EDGE` (the longer edge keeps
    the aspect ratio, truncated; an image shorter than that is enlarged, as Real-ESRGAN's script does)."""
    sizes = [(int(height * factor), int(width * factor)) for factor in MULTISCALE_FACTORS]
    if width < height:  # the ratio first, then the product, as the script computes it (same truncation)
        sizes.append((int(MULTISCALE_SHORTEST_EDGE * (height / width)), MULTISCALE_SHORTEST_EDGE))
    else:
        sizes.append((MULTISCALE_SHORTEST_EDGE, int(MULTISCALE_SHORTEST_EDGE * (width / height))))
    return sizes


def scaled_versions(height: int, width: int, key: str, multiscale: bool) -> List[Tuple[str, Size]]:
    """Key and size of the image itself and, with ``multiscale``, of its copies ``{key}T0`` ... ``{key}T3``."""
    versions = [(key, (height, width))]
    if multiscale:
        versions += [(f'{key}T{index}', size) for index, size in enumerate(multiscale_sizes(height, width))]
    return versions


def lanczos_resize(img: np.ndarray, size: Size) -> np.ndarray:
    """``img`` (``HxWx3`` uint8) resized to ``size`` = ``(height, width)`` with PIL's Lanczos filter, as Real-ESRGAN
    makes its multi-scale copies."""
    height, width = size
    return np.asarray(Image.fromarray(img).resize((width, height), resample=Image.LANCZOS))


def planned_entries(height: int, width: int, key: str, s: GtSettings) -> List[Tuple[str, Size]]:
    """Keys and sizes of the entries one ``height x width`` source image will give."""
    return [(sub_key, (h, w))
            for version_key, (vh, vw) in scaled_versions(height, width, key, s.multiscale)
            for sub_key, (_, _, h, w) in subimage_plan(vh, vw, version_key, s.crop_size, s.step, s.thresh_size)]


def make_entries(task: GtTask) -> GtResult:
    """The GT entries (key, PNG bytes, shape) of one source image; a bad image gives ``error`` instead."""
    s = task.settings
    try:
        img = read_dataset_image(task.path, s.alpha)
    except BadImageError as err:
        return GtResult(task.path, error=err)
    result = GtResult(task.path)
    for version_key, size in scaled_versions(img.shape[0], img.shape[1], task.key, s.multiscale):
        version = img if version_key == task.key else lanczos_resize(img, size)
        for sub_key, (top, left, h, w) in subimage_plan(size[0], size[1], version_key, s.crop_size, s.step,
                                                        s.thresh_size):
            crop = np.ascontiguousarray(version[top:top + h, left:left + w])
            result.entries.append((sub_key, encode_png(crop, s.compress_level), crop.shape))
    return result


def default_name(args: argparse.Namespace) -> str:
    """``<HR folder>[_multiscale][_sub]``, as Real-ESRGAN names its DF2K folders."""
    if len(args.hr) > 1:
        raise DatasetError('several --hr folders were given: choose the dataset name with --name')
    return (os.path.basename(os.path.normpath(args.hr[0])) + ('_multiscale' if args.multiscale else '')
            + ('_sub' if args.crop_size else ''))


def output_path(args: argparse.Namespace) -> str:
    """``OUT/NAME.lmdb`` or the folder ``OUT/NAME``."""
    name = args.name if args.name is not None else default_name(args)
    if name.endswith('.lmdb'):
        name = name[:-len('.lmdb')]
    if not name or os.sep in name or (os.altsep and os.altsep in name):
        raise DatasetError(f'--name {name!r} must be a plain name (the output goes to --out)')
    return os.path.join(args.out, f'{name}.lmdb' if args.format == 'lmdb' else name)


def _unique_keys(plans: List[List[Tuple[str, Size]]], sources: List[str]) -> None:
    """Raise when two entries would get the same key (e.g. ``a.png`` with ``--multiscale`` and ``aT0.png``)."""
    owner: Dict[str, str] = {}
    for plan, source in zip(plans, sources):
        for key, _ in plan:
            if key in owner:
                raise DatasetError(f'{owner[key]} and {source} would both store an entry under the key {key!r} '
                                   f'(--multiscale adds T0..T3 to the names, sub-images _s001...); rename one')
            owner[key] = source


def prepare_gt_only(args: argparse.Namespace, log=print) -> int:
    """The whole ``bebygan-prepare --gt-only`` run for parsed arguments; returns the exit status."""
    started = time.time()
    settings = GtSettings(args.crop_size, args.step, args.thresh_size, args.compress_level, args.alpha,
                          args.multiscale)
    final = output_path(args)
    files, ignored = list_images(args.hr)
    report_ignored(ignored, log)
    expected = {'settings': dict(asdict(settings), format=args.format),
                'sources': sources_fingerprint([f.path for f in files])}
    remove_leftovers([final], log)
    if is_up_to_date([final], expected, args.overwrite):
        log(f'{final} is already complete for these images and settings; nothing to do (pass --overwrite to '
            f'rebuild)')
        return 0

    with worker_pool(args, len(files), __name__) as pool:
        min_side = MULTISCALE_MIN_SIDE if args.multiscale else 1
        sized, bad = check_images(files, args.alpha, pool, min_side, f'--multiscale needs at least {min_side}x'
                                                                     f'{min_side} (for the 1/3 copy)')
        if bad and not args.skip_bad:
            raise bad_inputs_error(bad)
        plans = [planned_entries(h, w, item.key, settings) for item, (h, w) in sized]
        if not any(plans):
            raise DatasetError('no usable input image')
        _unique_keys(plans, [item.path for item, _ in sized])
        sizes = [(len(k), png_size_bound(h, w)) for plan in plans for k, (h, w) in plan]
        log(f'{len(sized)} HR images -> {len(sizes)} GT entries; writing {final}')

        os.makedirs(args.out, exist_ok=True)
        failed: List[BadImageError] = []  # decoded badly during the run (--skip-bad)
        with staged([final]) as writers:
            tasks = [GtTask(item.path, item.key, settings) for item, _ in sized]

            def open_writer() -> list:
                return [LmdbWriter(staging_path(final), lmdb_map_size(sizes), args.compress_level)
                        if args.format == 'lmdb' else FolderWriter(staging_path(final), args.compress_level)]

            with contextlib.closing(pool.run(make_entries, tasks, 'GT entries, encode, write')) as results:
                for result in results_to_write(results, writers, open_writer, args.skip_bad, failed):
                    writers[0].put_many(result.entries)
            writers[0].close()
            write_info(writers[0].path, dict(expected, role='gt', entries=len(writers[0].keys),
                                             images=len(sized) - len(failed),
                                             skipped=[err.path for err in bad + failed],
                                             map_growths=writers[0].map_growths))

    elapsed = time.time() - started
    images = len(sized) - len(failed)
    log(f'Done in {elapsed:.1f} s: {images} images -> {len(writers[0].keys)} GT entries, '
        f'{images / max(elapsed, 1e-9):.2f} images/s')
    log(f'  {final}  {human_bytes(folder_size(final))}')
    report_skipped(bad + failed, log)
    if args.format == 'lmdb':
        log(f'Training options: dataroot_gt: {final}, io_backend: {{type: lmdb}}')
    else:
        log(f'Training options: dataroot_gt: {final}, meta_info: {os.path.join(final, "meta_info.txt")}, '
            f'io_backend: {{type: disk}}')
    return 0
