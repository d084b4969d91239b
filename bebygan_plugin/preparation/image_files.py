"""Finding the images of a dataset folder and naming their LMDB keys.

Rules (also in docs/data.md, "Input rules"):

- Only the files directly inside each folder are used (no recursion), sorted by name. Hidden files (``.x``, e.g.
  macOS ``._0001.png``) and files without an image extension (PNG, JPEG, BMP, TIFF, WebP:
  :func:`bebygan_plugin.files.images.is_image_file`) are ignored and counted.
- The key of an image is its file name without extension, with every character outside ``A-Z a-z 0-9 _ -``
  replaced by ``_``: BasicSR stores keys as ASCII, cuts the key at the first ``.`` of a ``meta_info.txt`` line and
  splits those lines at spaces. An optional suffix (e.g. ``x4`` for DIV2K's ``0001x4.png``) is cut off first.
- Two files that end up with the same key (``a.png`` and ``a.jpg``; the same name in two folders) are an error
  that names both, raised before any work starts.
"""
import contextlib
import os
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ..files.image_folders import image_key, images_by_key
from ..files.images import FORMAT_NAMES, BadImageError
from .image_rules import read_dataset_image
from .parallel import WorkerPool


class DatasetError(ValueError):
    """A problem with the inputs or outputs as a whole (not one image); the message says how to fix it."""


@dataclass(frozen=True)
class ImageFile:
    """One source image: its path and the key it is stored under."""

    path: str
    key: str


def list_images(folders: Sequence[str], strip_suffix: str = '') -> Tuple[List[ImageFile], List[str]]:
    """The images of ``folders`` with their keys, in key order, and the paths of ignored files.

    Raises:
        DatasetError: a folder is missing or has no image, or two images share a key.
    """
    found: Dict[str, ImageFile] = {}
    ignored: List[str] = []
    for folder in folders:
        if not os.path.isdir(folder):
            raise DatasetError(f'input folder {folder} does not exist or is not a folder')
        groups, others = images_by_key(folder, lambda name: image_key(name, strip_suffix))
        ignored += others
        for key, paths in groups.items():
            if not key:
                raise DatasetError(f'{paths[0]}: its name gives an empty key; rename it')
            doubles = ([found[key].path] if key in found else []) + paths
            if len(doubles) > 1:
                raise DatasetError(f'{doubles[0]} and {doubles[1]} would both be stored under the key {key!r} '
                                   f'(keys are file names without extension, unsafe characters replaced by _); '
                                   f'rename or remove one of them')
            found[key] = ImageFile(paths[0], key)
        if not groups:
            raise DatasetError(f'input folder {folder} has no {FORMAT_NAMES} image')
    return [found[key] for key in sorted(found)], ignored


@dataclass(frozen=True)
class CheckTask:
    """One image to decode up front, with the rules it must pass."""

    path: str
    alpha: str
    min_side: int
    why: str


def check_image(task: CheckTask) -> Tuple[Optional[Tuple[int, int]], Optional[BadImageError]]:
    """``((height, width), None)`` if the whole image decodes and passes the rules, else ``(None, error)``."""
    try:
        height, width = read_dataset_image(task.path, task.alpha).shape[:2]
        if min(height, width) < task.min_side:
            reason = task.why or f'the minimum is {task.min_side}'
            raise BadImageError(task.path, f'is only {height}x{width} pixels; {reason}', 'remove it or pass --skip-bad')
    except BadImageError as err:
        return None, err
    return (height, width), None


def check_images(files: Sequence[ImageFile], alpha: str, pool: WorkerPool, min_side: int = 1,
                 why: str = '') -> Tuple[List[Tuple[ImageFile, Tuple[int, int]]], List[BadImageError]]:
    """Decode every image completely (in the ``pool``'s workers) before anything is written.

    A header can be intact while the pixel data is truncated or corrupt, so only a full decode finds every file the
    long work would fail on; it also applies the ``alpha`` policy and the size minimum.

    Returns:
        ``(image, (height, width))`` for the usable images, and one :class:`BadImageError` per unreadable or refused
        image (``min_side``: the smallest side allowed; ``why`` explains it).
    """
    tasks = [CheckTask(item.path, alpha, min_side, why) for item in files]
    sized, bad = [], []
    with contextlib.closing(pool.run(check_image, tasks, 'Check inputs (decode)')) as results:
        for item, (size, error) in zip(files, results):
            if error is None:
                sized.append((item, size))
            else:
                bad.append(error)
    return sized, bad


def usable(result, skip_bad: bool, failed: List[BadImageError]) -> bool:
    """Whether a worker's ``result`` holds an image; a failed one is raised, or with ``--skip-bad`` kept in
    ``failed`` (reported at the end)."""
    if result.error is None:
        return True
    if not skip_bad:
        raise result.error
    failed.append(result.error)
    return False


def results_to_write(results: Iterable, writers: list, open_writers: Callable[[], Iterable], skip_bad: bool,
                     failed: List[BadImageError]) -> Iterator:
    """The :func:`usable` worker ``results``; ``writers`` (the list ``staged`` keeps) are opened by ``open_writers``
    at the first of them, once the workers run, so that no worker inherits an open LMDB. Raises
    :class:`DatasetError` when every input image was skipped."""
    for result in results:
        if usable(result, skip_bad, failed):
            if not writers:
                writers.extend(open_writers())
            yield result
    if not writers:
        raise DatasetError('every input image was skipped; nothing to write')


def bad_inputs_error(bad: Sequence[BadImageError], limit: int = 20) -> DatasetError:
    """One error listing the bad images (the first ``limit``) and how to proceed."""
    lines = [f'  {err}' for err in bad[:limit]]
    if len(bad) > limit:
        lines.append(f'  ... and {len(bad) - limit} more')
    return DatasetError(f'{len(bad)} input image(s) cannot be used:\n' + '\n'.join(lines) +
                        '\nFix or remove them, or pass --skip-bad to leave them out (they are then listed at the end).')
