"""Runs whose outputs are image folders: staged under ``*.incomplete`` and published together when complete."""
import argparse
import contextlib
import os
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from ..files.images import BadImageError
from .image_files import DatasetError, usable
from .parallel import WorkerPool
from .staging import is_up_to_date, remove_leftovers, staged, staging_path


@dataclass
class FilesResult:
    """What a folder worker did with one source image: files written, or the reason it could not."""

    path: str
    written: int = 0
    error: Optional[BadImageError] = None


def write_png(folder: str, name: str, data: bytes) -> None:
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


def check_folder_outputs(finals: Sequence[str], overwrite: bool, log=print) -> None:
    """Remove leftovers of interrupted runs; refuse existing outputs unless ``overwrite``."""
    remove_leftovers(finals, log)
    is_up_to_date(finals, None, overwrite)  # image folders carry no info file: existing ones need --overwrite


def write_folders(finals: Sequence[str], func: Callable[[object], FilesResult], tasks: Sequence[object],
                  args: argparse.Namespace, pool: WorkerPool, desc: str) -> Tuple[int, List[BadImageError]]:
    """Create the staging folders of ``finals``, run ``func`` over ``tasks`` in ``pool`` (workers write into the
    staging folders), then publish them all.

    Returns:
        Files written, and the images skipped for being bad (``args.skip_bad``; otherwise the first one raises).
    """
    written, failed = 0, []
    with staged(finals):
        for final in finals:
            os.makedirs(staging_path(final))
        with contextlib.closing(pool.run(func, tasks, desc)) as results:
            for result in results:
                if usable(result, args.skip_bad, failed):
                    written += result.written
        if written == 0:
            raise DatasetError('every input image was skipped; nothing was written')
    return written, failed
