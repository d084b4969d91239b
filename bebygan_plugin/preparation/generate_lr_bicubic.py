"""LR images from a folder of HR images by MATLAB-style bicubic downsampling, folder to folder.

::

    python scripts/generate_lr_bicubic.py --hr HR_DIR --out LR_DIR --scale 4 [--hr-out HR_MOD_DIR] [--suffix x4]

The LR of ``key.png`` is ``{key}{suffix}.png`` (:mod:`.lr_bicubic`: HR cropped to a multiple of the scale, then
antialiased bicubic). An HR whose sides are not multiples of the scale no longer pairs exactly with its LR; pass
``--hr-out`` to also write the cropped HR (both normalised by :mod:`.image_rules`), so the two folders are exact
pairs for ``create_lmdb.py --scale``.
"""
import argparse
import os
import time
from dataclasses import dataclass
from typing import Optional

from ..files.images import BadImageError
from .folder_output import FilesResult, check_folder_outputs, write_folders, write_png
from .image_files import DatasetError, bad_inputs_error, check_images, list_images
from .image_rules import encode_png, read_dataset_image
from .lr_bicubic import bicubic_downsample, min_hr_size, mod_crop
from .parallel import worker_pool
from .reporting import report_ignored, report_skipped
from .staging import staging_path


@dataclass(frozen=True)
class LrTask:
    path: str
    key: str
    scale: int
    lr_dir: str
    hr_dir: Optional[str]
    suffix: str
    compress_level: int
    alpha: str


def generate_one(task: LrTask) -> FilesResult:
    """Write the LR (and the cropped HR, if asked) of one HR image."""
    try:
        hr = mod_crop(read_dataset_image(task.path, task.alpha, min_size=min_hr_size(task.scale)), task.scale)
    except BadImageError as err:
        return FilesResult(task.path, error=err)
    write_png(task.lr_dir, f'{task.key}{task.suffix}.png',
              encode_png(bicubic_downsample(hr, task.scale), task.compress_level))
    if task.hr_dir:
        write_png(task.hr_dir, f'{task.key}.png', encode_png(hr, task.compress_level))
    return FilesResult(task.path, 1)


def generate(args: argparse.Namespace, log=print) -> int:
    started = time.time()
    lr_final = os.path.normpath(args.out)
    hr_final = os.path.normpath(args.hr_out) if args.hr_out else None
    if hr_final == lr_final:
        raise DatasetError('--out and --hr-out must be different folders')
    finals = [lr_final] + ([hr_final] if hr_final else [])
    files, ignored = list_images(args.hr)
    report_ignored(ignored, log)
    check_folder_outputs(finals, args.overwrite, log)
    min_side = min_hr_size(args.scale)
    with worker_pool(args, len(files), __name__) as pool:
        sized, bad = check_images(files, args.alpha, pool, min_side,
                                  f'x{args.scale} needs at least {min_side}x{min_side}')
        if bad and not args.skip_bad:
            raise bad_inputs_error(bad)
        tasks = [LrTask(item.path, item.key, args.scale, staging_path(lr_final),
                        staging_path(hr_final) if hr_final else None, args.suffix, args.compress_level, args.alpha)
                 for item, _ in sized]
        written, failed = write_folders(finals, generate_one, tasks, args, pool, f'Bicubic x1/{args.scale}')
    log(f'Done in {time.time() - started:.1f} s: {written} LR images in {lr_final}'
        + (f', cropped HR in {hr_final}' if hr_final else ''))
    report_skipped(bad + failed, log)
    return 0
