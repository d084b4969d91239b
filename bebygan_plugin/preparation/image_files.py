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
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from ..files.images import FORMAT_NAMES, BadImageError, is_image_file
from .image_rules import read_dataset_image
from .parallel import WorkerPool

_NOT_KEY_CHAR = re.compile(r'[^A-Za-z0-9_-]')


class DatasetError(ValueError):
    """A problem with the inputs or outputs as a whole (not one image); the message says how to fix it."""


@dataclass(frozen=True)
class ImageFile:
    """One source image: its path and the key it is stored under."""

    path: str
    key: str


def image_key(file_name: str, strip_suffix: str = '') -> str:
    """The LMDB key for ``file_name``: stem, optional ``strip_suffix`` removed, unsafe characters -> ``_``."""
    stem = os.path.splitext(os.path.basename(file_name))[0]
    if strip_suffix and stem.endswith(strip_suffix) and len(stem) > len(strip_suffix):
        stem = stem[:-len(strip_suffix)]
    return _NOT_KEY_CHAR.sub('_', stem)


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
        count = 0
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                continue
            if not is_image_file(name):
                ignored.append(path)
                continue
            key = image_key(name, strip_suffix)
            if not key:
                raise DatasetError(f'{path}: its name gives an empty key; rename it')
            if key in found:
                raise DatasetError(f'{found[key].path} and {path} would both be stored under the key {key!r} '
                                   f'(keys are file names without extension, unsafe characters replaced by _); '
                                   f'rename or remove one of them')
            found[key] = ImageFile(path, key)
            count += 1
        if count == 0:
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


def bad_inputs_error(bad: Sequence[BadImageError], limit: int = 20) -> DatasetError:
    """One error listing the bad images (the first ``limit``) and how to proceed."""
    lines = [f'  {err}' for err in bad[:limit]]
    if len(bad) > limit:
        lines.append(f'  ... and {len(bad) - limit} more')
    return DatasetError(f'{len(bad)} input image(s) cannot be used:\n' + '\n'.join(lines) +
                        '\nFix or remove them, or pass --skip-bad to leave them out (they are then listed at the end).')
