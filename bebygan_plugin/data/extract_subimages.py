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
from typing import Optional, Sequence

from .cli_options import (add_common_arguments, parse_arguments, report_ignored, report_skipped, run_command,
                          worker_pool)
from .folder_output import FilesResult, check_folder_outputs, write_folders, write_png
from .image_files import bad_inputs_error, check_images, list_images
from .image_rules import BadImageError, encode_png, read_image
from .staging import staging_path
from .subimages import check_crop_settings, iter_subimages


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
        img = read_image(task.path, task.alpha)
    except BadImageError as err:
        return FilesResult(task.path, error=err)
    written = 0
    for key, crop in iter_subimages(img, task.key, task.crop_size, task.step, task.thresh_size):
        write_png(task.out_dir, f'{key}.png', encode_png(crop, task.compress_level))
        written += 1
    return FilesResult(task.path, written)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='extract_subimages',
                                     description='Crop every image of a folder into overlapping sub-images (PNG).')
    parser.add_argument('--input', required=True, metavar='DIR', help='folder of images')
    parser.add_argument('--output', required=True, metavar='DIR', help='folder to create for the sub-images')
    parser.add_argument('--crop-size', type=int, default=480, help='sub-image size (default: 480)')
    parser.add_argument('--step', type=int, default=240, help='stride (default: 240)')
    parser.add_argument('--thresh-size', type=int, default=0,
                        help='add a crop flush with the far edge when more than this many pixels are left')
    parser.add_argument('--strip-suffix', default='', help='cut this suffix off file stems, e.g. x4')
    add_common_arguments(parser, compress_level=3)
    return parser


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


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``scripts/extract_subimages.py``."""
    parser = build_parser()
    args = parse_arguments(parser, argv)
    if args.crop_size <= 0:
        parser.error('--crop-size must be positive')
    try:
        check_crop_settings(args.crop_size, args.step, args.thresh_size)
    except ValueError as err:
        parser.error(str(err))
    return run_command(extract, args)


if __name__ == '__main__':
    raise SystemExit(main())
