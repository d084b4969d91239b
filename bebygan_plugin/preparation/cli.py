"""Console scripts of dataset preparation: ``bebygan-prepare`` and the single steps run by ``scripts/*.py``.

Argument parsing, the checks of the arguments (argparse errors name the option) and one call into the package each:
:func:`~.prepare_df2k.prepare`, :func:`~.extract_subimages.extract`, :func:`~.generate_lr_bicubic.generate`,
:func:`~.create_lmdb.create`. Bad inputs and Ctrl-C become a message on stderr and an exit status.
"""
import argparse
import contextlib
import os
import sys
from typing import Callable, Optional, Sequence

from ..files.images import BadImageError
from ..files.paths import output_folder_problems
from ..problems import ProblemsFound
from .create_lmdb import create
from .extract_subimages import extract
from .generate_lr_bicubic import generate
from .image_files import DatasetError
from .image_rules import ALPHA_POLICIES
from .parallel import START_METHODS, WorkerDiedError, default_workers
from .prepare_df2k import output_paths, prepare
from .subimages import check_crop_settings

Argv = Optional[Sequence[str]]


def add_common_arguments(parser: argparse.ArgumentParser, compress_level: int) -> None:
    """--workers, --start-method, --compress-level, --alpha, --skip-bad, --overwrite."""
    parser.add_argument('--workers', type=int, default=default_workers(),
                        help='worker processes (default: all CPUs); 1 runs without a pool')
    parser.add_argument('--start-method', choices=START_METHODS, default=None,
                        help='multiprocessing start method (default: forkserver on Linux, else the platform default)')
    parser.add_argument('--compress-level', type=int, default=compress_level,
                        help=f'PNG compression level 0-9 of the written images (default: {compress_level})')
    parser.add_argument('--alpha', choices=ALPHA_POLICIES, default='error',
                        help='images with transparent pixels: error (default), drop the alpha channel, or '
                             'composite onto a white or black background; fully opaque alpha is always dropped')
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out unreadable, corrupt or refused images (listed at the end) instead of stopping')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace outputs that already exist (otherwise a finished identical run is a no-op and '
                             'a different existing output is an error)')


def parse_arguments(parser: argparse.ArgumentParser, argv: Argv) -> argparse.Namespace:
    """``parser.parse_args(argv)`` plus the checks of the common options (argparse errors name the option)."""
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error('--workers must be at least 1')
    if not 0 <= args.compress_level <= 9:
        parser.error('--compress-level must be between 0 and 9')
    return args


def run_command(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call ``run(args)``; input problems and Ctrl-C become a message on stderr and an exit status."""
    try:
        return run(args)
    except (DatasetError, BadImageError, WorkerDiedError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('interrupted: no output was published (partial outputs were removed)', file=sys.stderr)
        return 130


def _check_crops(parser: argparse.ArgumentParser, args: argparse.Namespace, scale: int = 1) -> None:
    try:
        check_crop_settings(args.crop_size, args.step, args.thresh_size, scale)
    except ValueError as err:
        parser.error(str(err))


def prepare_main(argv: Argv = None) -> int:
    """``bebygan-prepare`` (also ``scripts/prepare_df2k.py``)."""
    parser = argparse.ArgumentParser(
        prog='bebygan-prepare',
        description='Make paired HR / LR LMDBs for BasicSR from HR images: optional overlapping sub-images, LR by '
                    'MATLAB-style bicubic downsampling (HR cropped to a multiple of the scale first).',
        epilog='Example (DF2K): bebygan-prepare --hr datasets/DIV2K/DIV2K_train_HR datasets/Flickr2K/Flickr2K_HR '
               '--out datasets/DF2K --name DF2K_HR_sub --scale 4')
    parser.add_argument('--hr', nargs='+', required=True, metavar='HR_DIR',
                        help='folder(s) of HR images; several folders go into one dataset (keys must be unique)')
    parser.add_argument('--out', required=True, metavar='OUT_DIR', help='folder for the two LMDBs')
    parser.add_argument('--scale', type=int, default=4, help='SR factor (default: 4)')
    parser.add_argument('--name', default=None,
                        help='dataset name: writes NAME.lmdb and NAME_x{scale}.lmdb (default: the HR folder name, '
                             'plus _sub when cropping)')
    parser.add_argument('--crop-size', type=int, default=480,
                        help='HR sub-image size (default: 480); 0 stores whole images')
    parser.add_argument('--step', type=int, default=240, help='HR sub-image stride (default: 240)')
    parser.add_argument('--thresh-size', type=int, default=0,
                        help='add a crop flush with the far edge when more than this many pixels are left '
                             '(default: 0)')
    add_common_arguments(parser, compress_level=1)
    args = parse_arguments(parser, argv)
    if args.scale < 2:
        parser.error('--scale must be at least 2')
    _check_crops(parser, args, args.scale)
    problems = output_folder_problems(args.out, '--out')
    with contextlib.suppress(DatasetError):  # a bad --name is reported by the run itself
        for final in output_paths(args) if not problems else ():
            problems += output_folder_problems(final, '--out')
    if problems:
        print(ProblemsFound('bebygan-prepare', problems), file=sys.stderr)
        return 2
    return run_command(prepare, args)


def extract_subimages_main(argv: Argv = None) -> int:
    """``scripts/extract_subimages.py``."""
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
    args = parse_arguments(parser, argv)
    if args.crop_size <= 0:
        parser.error('--crop-size must be positive')
    _check_crops(parser, args)
    return run_command(extract, args)


def generate_lr_bicubic_main(argv: Argv = None) -> int:
    """``scripts/generate_lr_bicubic.py``."""
    parser = argparse.ArgumentParser(prog='generate_lr_bicubic',
                                     description='MATLAB-style bicubic LR images (antialiased) from HR images; the HR '
                                                 'is cropped to a multiple of the scale first.')
    parser.add_argument('--hr', nargs='+', required=True, metavar='HR_DIR', help='folder(s) of HR images')
    parser.add_argument('--out', required=True, metavar='LR_DIR', help='folder to create for the LR images')
    parser.add_argument('--scale', type=int, default=4, help='downsampling factor (default: 4)')
    parser.add_argument('--hr-out', default=None, metavar='DIR',
                        help='also write the HR cropped to a multiple of the scale here (exact pairs)')
    parser.add_argument('--suffix', default='', help='appended to LR file stems, e.g. x4 (DIV2K style)')
    add_common_arguments(parser, compress_level=3)
    args = parse_arguments(parser, argv)
    if args.scale < 2:
        parser.error('--scale must be at least 2')
    return run_command(generate, args)


def create_lmdb_main(argv: Argv = None) -> int:
    """``scripts/create_lmdb.py``."""
    parser = argparse.ArgumentParser(
        prog='create_lmdb',
        description='Make BasicSR LMDBs (with meta_info.txt) from image folders; several folders are checked as '
                    'pairs (same keys).',
        epilog='Example (DIV2K from BasicSR-style sub-image folders): create_lmdb.py --input '
               'datasets/DIV2K/DIV2K_train_HR_sub datasets/DIV2K/DIV2K_train_LR_bicubic/X4_sub --output '
               'datasets/DIV2K/DIV2K_train_HR_sub.lmdb datasets/DIV2K/DIV2K_train_LR_bicubic_X4_sub.lmdb --scale 4')
    parser.add_argument('--input', nargs='+', required=True, metavar='DIR', help='image folder(s)')
    parser.add_argument('--output', nargs='+', required=True, metavar='LMDB',
                        help='one output path ending in .lmdb per input folder')
    parser.add_argument('--strip-suffix', default='',
                        help='cut this suffix off file stems when making keys, e.g. x4 for 0001x4.png')
    parser.add_argument('--scale', type=int, default=None,
                        help='check that each image of the first folder is this many times the size of its pair')
    parser.add_argument('--unpaired', action='store_true', help='do not check that the folders hold the same keys')
    add_common_arguments(parser, compress_level=1)
    args = parse_arguments(parser, argv)
    if len(args.input) != len(args.output):
        parser.error(f'give one --output per --input ({len(args.input)} inputs, {len(args.output)} outputs)')
    if any(not path.rstrip('/\\').endswith('.lmdb') for path in args.output):
        parser.error('every --output must end with .lmdb (BasicSR recognises LMDBs by that suffix)')
    if len({os.path.normpath(p) for p in args.output}) != len(args.output):
        parser.error('--output paths must differ')
    if args.scale is not None and args.scale < 1:
        parser.error('--scale must be positive')
    return run_command(create, args)
