"""Command-line options and error handling shared by the data preparation commands."""
import argparse
import sys
from typing import Callable, List, Sequence

from .image_files import DatasetError
from .image_rules import ALPHA_POLICIES, BadImageError
from .parallel import START_METHODS, WorkerDiedError, WorkerPool, default_workers


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


def parse_arguments(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """``parser.parse_args(argv)`` plus the checks of the common options (argparse errors name the option)."""
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error('--workers must be at least 1')
    if not 0 <= args.compress_level <= 9:
        parser.error('--compress-level must be between 0 and 9')
    return args


def worker_pool(args: argparse.Namespace, images: int, work_module: str) -> WorkerPool:
    """The command's pool (``--workers``, ``--start-method``, at most one worker per image); ``work_module``: the
    module of its work function."""
    return WorkerPool(min(args.workers, images), args.start_method, work_module)


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


def report_skipped(skipped: Sequence[BadImageError], log=print) -> None:
    if skipped:
        log(f'Skipped {len(skipped)} bad image(s) (--skip-bad):')
        for err in skipped:
            log(f'  {err.path}: {err.problem}')


def report_ignored(ignored: List[str], log=print, limit: int = 5) -> None:
    if ignored:
        shown = ', '.join(ignored[:limit]) + (' ...' if len(ignored) > limit else '')
        log(f'Ignoring {len(ignored)} file(s) that are not PNG/JPEG/BMP images: {shown}')


def human_bytes(n: float) -> str:
    """``1234567`` -> ``'1.2 MB'`` (decimal units)."""
    if n < 1000:
        return f'{int(n)} B'
    for unit in ('KB', 'MB', 'GB'):
        n /= 1000
        if n < 1000:
            return f'{n:.1f} {unit}'
    return f'{n / 1000:.1f} TB'
