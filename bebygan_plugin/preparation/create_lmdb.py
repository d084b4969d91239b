"""LMDBs from existing image folders, e.g. DIV2K's HR and MATLAB-made LR sub-images (BasicSR's ``create_lmdb``).

::

    python scripts/create_lmdb.py --input GT_DIR LQ_DIR --output GT.lmdb LQ.lmdb [--strip-suffix x4] [--scale 4]

Each ``--input`` folder becomes the matching ``--output`` LMDB (a name ending in ``.lmdb``). Images are normalised
by :mod:`.image_rules` and stored as PNG. With several inputs the folders are pairs: they must hold the same keys
(``--strip-suffix x4`` turns DIV2K's ``0001x4.png`` into key ``0001``), and ``--scale`` also checks that each first
image is exactly ``scale`` times the size of the others. ``--unpaired`` turns those checks off. Everything is
checked before writing; a bad image with ``--skip-bad`` leaves its key out of every LMDB, so the pairs stay whole.
"""
import argparse
import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..files.images import BadImageError
from .image_files import DatasetError, ImageFile, bad_inputs_error, check_images, list_images, usable
from .image_rules import encode_png, read_dataset_image
from .lmdb_writer import LmdbWriter, folder_size, lmdb_map_size, png_size_bound
from .parallel import worker_pool
from .reporting import human_bytes, report_ignored, report_skipped
from .staging import is_up_to_date, remove_leftovers, sources_fingerprint, staged, staging_path, write_info


@dataclass(frozen=True)
class EncodeTask:
    key: str
    paths: Tuple[str, ...]
    compress_level: int
    alpha: str


@dataclass
class EncodeResult:
    key: str
    encoded: List[Tuple[bytes, Tuple[int, int, int]]] = field(default_factory=list)
    error: Optional[BadImageError] = None


def encode_images(task: EncodeTask) -> EncodeResult:
    """PNG bytes and shape of the image(s) of one key; a bad image gives ``error`` instead."""
    result = EncodeResult(task.key)
    try:
        for path in task.paths:
            img = read_dataset_image(path, task.alpha)
            result.encoded.append((encode_png(img, task.compress_level), img.shape))
    except BadImageError as err:
        return EncodeResult(task.key, error=err)
    return result


def match_folders(folders: Sequence[List[ImageFile]], inputs: Sequence[str]) -> List[Tuple[ImageFile, ...]]:
    """Group the images of paired folders by key; raise when a key is missing from a folder."""
    by_key = [{item.key: item for item in items} for items in folders]
    keys = set(by_key[0])
    for index, mapping in enumerate(by_key[1:], start=1):
        if set(mapping) != keys:
            only_first = sorted(keys - set(mapping))[:5]
            only_other = sorted(set(mapping) - keys)[:5]
            raise DatasetError(f'{inputs[0]} and {inputs[index]} do not hold the same images: keys only in the first '
                               f'{only_first}, only in the second {only_other} (keys are file names without '
                               f'extension; use --strip-suffix for names like 0001x4.png, or --unpaired)')
    return [tuple(mapping[key] for mapping in by_key) for key in sorted(keys)]


def check_pair_sizes(group: Tuple[ImageFile, ...], sizes: Dict[str, Tuple[int, int]], scale: int) -> None:
    height, width = sizes[group[0].path]
    for other in group[1:]:
        h, w = sizes[other.path]
        if (h * scale, w * scale) != (height, width):
            raise DatasetError(f'{group[0].path} is {height}x{width} but {other.path} is {h}x{w}; with --scale '
                               f'{scale} it must be {height // scale}x{width // scale} and the first image a '
                               f'multiple of {scale} (crop the HR to a multiple of the scale, e.g. with '
                               f'generate_lr_bicubic.py --hr-out)')


def create(args: argparse.Namespace, log=print) -> int:
    """The whole run for parsed arguments; returns the exit status."""
    started = time.time()
    finals = [os.path.normpath(path) for path in args.output]
    listed = []
    for folder in args.input:
        files, ignored = list_images([folder], args.strip_suffix)
        report_ignored(ignored, log)
        listed.append(files)
    if len(args.input) > 1 and not args.unpaired:
        groups = match_folders(listed, args.input)
    else:
        groups = [(item,) for item in listed[0]] if len(listed) == 1 else None
    settings = {'compress_level': args.compress_level, 'alpha': args.alpha, 'strip_suffix': args.strip_suffix}
    expected = {'settings': settings, 'sources': sources_fingerprint([f.path for files in listed for f in files])}
    remove_leftovers(finals, log)
    if is_up_to_date(finals, expected, args.overwrite):
        log(f'{", ".join(finals)}: already complete for these images and settings; nothing to do '
            f'(pass --overwrite to rebuild)')
        return 0

    with worker_pool(args, sum(len(files) for files in listed), __name__) as pool:
        sized, bad = check_images([f for files in listed for f in files], args.alpha, pool)
        if bad and not args.skip_bad:
            raise bad_inputs_error(bad)
        sizes = {item.path: size for item, size in sized}
        bad_paths = {err.path for err in bad}
        if groups is None:  # unpaired: one task per image of each folder, written to its own LMDB
            tasks = [(index, EncodeTask(f.key, (f.path,), args.compress_level, args.alpha))
                     for index, files in enumerate(listed) for f in files if f.path not in bad_paths]
        else:
            groups = [g for g in groups if not any(f.path in bad_paths for f in g)]
            if args.scale:
                for group in groups:
                    check_pair_sizes(group, sizes, args.scale)
            tasks = [(None, EncodeTask(g[0].key, tuple(f.path for f in g), args.compress_level, args.alpha))
                     for g in groups]
        if not tasks:
            raise DatasetError('no usable input image')

        entry_sizes: List[List[Tuple[int, int]]] = [[] for _ in finals]
        for index, task in tasks:
            for slot, path in enumerate(task.paths):
                height, width = sizes[path]
                entry_sizes[slot if index is None else index].append((len(task.key), png_size_bound(height, width)))

        failed: List[BadImageError] = []
        with staged(finals) as writers:
            for final in finals:
                os.makedirs(os.path.dirname(os.path.abspath(final)), exist_ok=True)
            with contextlib.closing(pool.run(encode_images, [t for _, t in tasks], 'Encode, write')) as results:
                for (index, _), result in zip(tasks, results):
                    if not usable(result, args.skip_bad, failed):
                        continue
                    if not writers:  # opened once the workers run, so no worker inherits an open LMDB
                        writers.extend(LmdbWriter(staging_path(final), lmdb_map_size(sz), args.compress_level)
                                       for final, sz in zip(finals, entry_sizes))
                    for slot, (data, shape) in enumerate(result.encoded):
                        writers[slot if index is None else index].put_many([(result.key, data, shape)])
            if not writers:
                raise DatasetError('every input image was skipped; nothing to write')
            for writer in writers:
                if not writer.keys:
                    raise DatasetError(f'nothing to write to {writer.path}: every image was skipped')
                writer.close()
                write_info(writer.path, dict(expected, entries=len(writer.keys), map_growths=writer.map_growths,
                                             skipped=[err.path for err in bad + failed]))

    log(f'Done in {time.time() - started:.1f} s')
    for final, writer in zip(finals, writers):
        log(f'  {final}  {len(writer.keys)} images, {human_bytes(folder_size(final))}')
    report_skipped(bad + failed, log)
    return 0
