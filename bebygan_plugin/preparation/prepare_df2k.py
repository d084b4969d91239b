"""``bebygan-prepare``: HR folder(s) -> paired HR / LR LMDBs for BasicSR, in one pass.

::

    bebygan-prepare --hr HR_DIR [HR_DIR ...] --out OUT_DIR --scale 4 [--name NAME]
                    [--crop-size 480 --step 240 --thresh-size 0] [--workers N]

writes ``OUT_DIR/NAME.lmdb`` (HR, ``dataroot_gt``) and ``OUT_DIR/NAME_x4.lmdb`` (LR, ``dataroot_lq``), each with
BasicSR's ``meta_info.txt``, the same keys in both. Per source image (in worker processes):

1. read and normalise it to 8-bit BGR (:mod:`.image_rules`);
2. crop it to a multiple of the scale, and make its LR with MATLAB-style antialiased bicubic (:mod:`.lr_bicubic`);
3. cut both into aligned overlapping sub-images (:mod:`.subimages`; ``--crop-size 0`` keeps whole images): HR crop
   at ``(y, x)`` pairs with the LR crop at ``(y/scale, x/scale)``. Cutting the LR of the whole image (rather than
   downsampling each HR crop) gives the LR pixels the whole image's LR has, as in BasicSR's DIV2K recipe;
4. PNG-encode them; the main process writes the two LMDBs (:mod:`.lmdb_writer`).

All images are decoded and checked (pixels, sizes, names) before anything is written; the outputs appear only when
complete (:mod:`.staging`).
"""
import argparse
import contextlib
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from ..files.images import BadImageError
from .image_files import DatasetError, bad_inputs_error, check_images, list_images, results_to_write
from .image_rules import encode_png, read_dataset_image
from .lmdb_writer import LmdbWriter, folder_size, lmdb_map_size, png_size_bound
from .lr_bicubic import bicubic_downsample, min_hr_size, mod_crop
from .parallel import worker_pool
from .reporting import human_bytes, report_ignored, report_skipped
from .staging import is_up_to_date, remove_leftovers, sources_fingerprint, staged, staging_path, write_info
from .subimages import subimage_plan

Entry = Tuple[str, bytes, Tuple[int, int, int]]


@dataclass(frozen=True)
class PairSettings:
    """What turns one HR image into its HR/LR LMDB entries."""

    scale: int = 4
    crop_size: int = 480
    step: int = 240
    thresh_size: int = 0
    compress_level: int = 1
    alpha: str = 'error'


@dataclass(frozen=True)
class PairTask:
    path: str
    key: str
    settings: PairSettings


@dataclass
class PairResult:
    path: str
    hr: List[Entry] = field(default_factory=list)
    lr: List[Entry] = field(default_factory=list)
    error: Optional[BadImageError] = None


def make_pairs(task: PairTask) -> PairResult:
    """HR and LR entries (key, PNG bytes, shape) of one source image; a bad image gives ``error`` instead."""
    s = task.settings
    try:
        hr = mod_crop(read_dataset_image(task.path, s.alpha, min_size=min_hr_size(s.scale)), s.scale)
    except BadImageError as err:
        return PairResult(task.path, error=err)
    lr = bicubic_downsample(hr, s.scale)
    result = PairResult(task.path)
    plan = subimage_plan(hr.shape[0], hr.shape[1], task.key, s.crop_size, s.step, s.thresh_size)
    for key, (top, left, height, width) in plan:
        hr_crop = np.ascontiguousarray(hr[top:top + height, left:left + width])
        lr_crop = np.ascontiguousarray(lr[top // s.scale:(top + height) // s.scale,
                                          left // s.scale:(left + width) // s.scale])
        result.hr.append((key, encode_png(hr_crop, s.compress_level), hr_crop.shape))
        result.lr.append((key, encode_png(lr_crop, s.compress_level), lr_crop.shape))
    return result


def planned_entries(height: int, width: int, key: str, s: PairSettings) -> List[Tuple[str, Tuple[int, int]]]:
    """Keys and HR sizes of the entries one ``height x width`` source image will give."""
    height, width = height - height % s.scale, width - width % s.scale
    return [(k, (h, w)) for k, (_, _, h, w) in subimage_plan(height, width, key, s.crop_size, s.step, s.thresh_size)]


def output_paths(args: argparse.Namespace) -> Tuple[str, str]:
    name = args.name
    if name is None:
        if len(args.hr) > 1:
            raise DatasetError('several --hr folders were given: choose the dataset name with --name')
        name = os.path.basename(os.path.normpath(args.hr[0])) + ('_sub' if args.crop_size else '')
    if name.endswith('.lmdb'):
        name = name[:-len('.lmdb')]
    if not name or os.sep in name or (os.altsep and os.altsep in name):
        raise DatasetError(f'--name {name!r} must be a plain name (the LMDBs go to --out)')
    return os.path.join(args.out, f'{name}.lmdb'), os.path.join(args.out, f'{name}_x{args.scale}.lmdb')


def prepare(args: argparse.Namespace, log=print) -> int:
    """The whole ``bebygan-prepare`` run for parsed arguments; returns the exit status."""
    started = time.time()
    settings = PairSettings(args.scale, args.crop_size, args.step, args.thresh_size, args.compress_level, args.alpha)
    hr_final, lr_final = output_paths(args)
    finals = [hr_final, lr_final]
    files, ignored = list_images(args.hr)
    report_ignored(ignored, log)
    expected = {'settings': asdict(settings), 'sources': sources_fingerprint([f.path for f in files])}
    remove_leftovers(finals, log)
    if is_up_to_date(finals, expected, args.overwrite):
        log(f'{hr_final} and {lr_final} are already complete for these images and settings; nothing to do '
            f'(pass --overwrite to rebuild)')
        return 0

    with worker_pool(args, len(files), __name__) as pool:
        min_side = min_hr_size(args.scale)
        why = f'x{args.scale} needs at least {min_side}x{min_side}'
        sized, bad = check_images(files, args.alpha, pool, min_side, why)
        if bad and not args.skip_bad:
            raise bad_inputs_error(bad)
        plans = [planned_entries(h, w, item.key, settings) for item, (h, w) in sized]
        if not any(plans):
            raise DatasetError('no usable input image')
        hr_sizes = [(len(k), png_size_bound(h, w)) for plan in plans for k, (h, w) in plan]
        lr_sizes = [(len(k), png_size_bound(h // args.scale, w // args.scale))
                    for plan in plans for k, (h, w) in plan]
        log(f'{len(sized)} HR images -> {len(hr_sizes)} HR/LR pairs; writing {hr_final} and {lr_final}')

        os.makedirs(args.out, exist_ok=True)
        failed: List[BadImageError] = []  # decoded badly during the run (--skip-bad)
        smallest: Optional[Tuple[int, int, int]] = None
        this_run = uuid.uuid4().hex  # both LMDBs carry it: the preflight refuses a pair of two runs
        with staged(finals) as writers:
            tasks = [PairTask(item.path, item.key, settings) for item, _ in sized]

            def open_writers():
                return (LmdbWriter(staging_path(final), lmdb_map_size(sizes), args.compress_level)
                        for final, sizes in ((hr_final, hr_sizes), (lr_final, lr_sizes)))

            with contextlib.closing(pool.run(make_pairs, tasks, 'HR -> LR, encode, write')) as results:
                for result in results_to_write(results, writers, open_writers, args.skip_bad, failed):
                    writers[0].put_many(result.hr)
                    writers[1].put_many(result.lr)
                    for _, _, shape in result.hr:
                        smallest = shape if smallest is None or min(shape[:2]) < min(smallest[:2]) else smallest
            for writer, role, other in ((writers[0], 'gt', lr_final), (writers[1], 'lq', hr_final)):
                writer.close()
                write_info(writer.path, dict(expected, role=role, pair=os.path.basename(other), run_id=this_run,
                                             entries=len(writer.keys), images=len(sized) - len(failed),
                                             skipped=[err.path for err in bad + failed],
                                             map_growths=writer.map_growths))

    elapsed = time.time() - started
    images = len(sized) - len(failed)
    log(f'Done in {elapsed:.1f} s: {images} images -> {len(writers[0].keys)} HR/LR pairs, '
        f'{images / max(elapsed, 1e-9):.2f} images/s')
    for path in finals:
        log(f'  {path}  {human_bytes(folder_size(path))}')
    report_skipped(bad + failed, log)
    if smallest is not None and args.crop_size and min(smallest[:2]) < args.crop_size:
        log(f'Note: images smaller than --crop-size were stored whole; the smallest HR entry is '
            f'{smallest[0]}x{smallest[1]}: keep gt_size at or below {min(smallest[:2])}.')
    return 0
