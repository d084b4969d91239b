"""Overlapping sub-images from a folder of images, folder to folder (BasicSR's ``extract_subimages`` step).

::

    python scripts/extract_subimages.py --input DIR --output DIR [--crop-size 480 --step 240 --thresh-size 0]

Crop positions and names follow :mod:`.subimages` (``{key}_s001.png`` ...). Images are normalised by
:mod:`.image_rules` and written as PNG (``--compress-level``, default 3 like BasicSR). For an LR folder that pairs
with an HR folder, divide the crop size and step by the scale (DIV2K X4: 120 / 60) and pass ``--strip-suffix x4``;
the crops line up when the HR sides are multiples of the scale. ``bebygan-prepare`` does HR, LR and both LMDBs in
one pass and needs none of this.
"""
import argparse
import os
import time
from dataclasses import dataclass

from ..files.images import BadImageError
from .folder_output import FilesResult, check_folder_outputs, write_folders, write_png
from .image_files import bad_inputs_error, check_images, list_images
from .image_rules import encode_png, read_dataset_image
from .parallel import worker_pool
from .reporting import report_ignored, report_skipped
from .staging import staging_path
from .subimages import iter_subimages


@dataclass(frozen=True)
class ExtractTask:
    path: str
    key: str
    out_dir: str
    crop_size: int
    step: int
    thresh_size: int
    compress_level: int
    alpha: str


def extract_one(task: ExtractTask) -> FilesResult:
    """Write the sub-images of one image into ``task.out_dir``."""
    try:
        img = read_dataset_image(task.path, task.alpha)
    except BadImageError as err:
        return FilesResult(task.path, error=err)
    written = 0
    for key, crop in iter_subimages(img, task.key, task.crop_size, task.step, task.thresh_size):
        write_png(task.out_dir, f'{key}.png', encode_png(crop, task.compress_level))
        written += 1
    return FilesResult(task.path, written)


def extract(args: argparse.Namespace, log=print) -> int:
    started = time.time()
    final = os.path.normpath(args.output)
    files, ignored = list_images([args.input], args.strip_suffix)
    report_ignored(ignored, log)
    check_folder_outputs([final], args.overwrite, log)
    with worker_pool(args, len(files), __name__) as pool:
        sized, bad = check_images(files, args.alpha, pool)
        if bad and not args.skip_bad:
            raise bad_inputs_error(bad)
        tasks = [ExtractTask(item.path, item.key, staging_path(final), args.crop_size, args.step, args.thresh_size,
                             args.compress_level, args.alpha) for item, _ in sized]
        written, failed = write_folders([final], extract_one, tasks, args, pool, 'Extract sub-images')
    log(f'Done in {time.time() - started:.1f} s: {written} sub-images in {final}')
    report_skipped(bad + failed, log)
    return 0
