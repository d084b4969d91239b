"""``bebygan-infer``'s run: inputs expanded and checked, outputs planned, then image after image.

Everything that can be known before the first image is checked first and reported together (inputs that match
nothing, an output that would overwrite an input or that two inputs would write, the model). A bad image is
named and skipped while the others go on; the run then ends non-zero with the list. Outputs are written atomically
(:func:`bebygan_plugin.files.images.write_image`), and hidden temporary files that a killed run left in the output
folder are removed at the start of the next one.
"""
import glob
import os
import time
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

import torch
from tqdm import tqdm

from ..files.atomic import remove_stale_temp_files
from ..files.images import (FORMAT_NAMES, IMAGE_EXTENSIONS, SIXTEEN_BIT_EXTENSIONS, BadImageError, is_image_file,
                            read_image, to_uint8, write_image)
from ..files.paths import special_file_kind
from ..problems import Problem
from .tiling import count_tiles, upscale

OUTPUT_FORMATS = ('auto', 'png', 'jpg', 'webp', 'tif')
TILE_BAR_MIN_TILES = 4  # images with more tiles than this get a bar of their own
SKIP_HINT = 'the other images go on; replace or remove this one'


@dataclass
class InferSettings:
    tile: int
    tile_pad: int
    precision: str = 'fp32'
    suffix: str = ''
    ext: str = 'auto'
    skip_existing: bool = False
    compile: bool = False


@dataclass
class RunSummary:
    written: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    failed: List[Tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    not_done: int = 0  # images left when the run was interrupted (Ctrl-C)

    def report(self) -> str:
        lines = [f'{len(self.written)} written, {len(self.skipped)} skipped (already there), {len(self.failed)} '
                 f'failed in {self.seconds:.1f} s']
        lines += [f'  FAILED {path}: {reason}' for path, reason in self.failed]
        if self.not_done:
            lines.append(f'Interrupted: {self.not_done} image(s) not done (every written image is complete); run '
                         'the same command with --skip-existing to do the rest')
        return '\n'.join(lines)


def collect_inputs(items: Sequence[str]) -> Tuple[List[str], List[Problem], List[str]]:
    """Image files from files, folders (their images, not recursive) and glob patterns, in order, once each; the
    problems of the arguments; and what a folder holds that is left out (``'<path>: <why>'``: other file types,
    symbolic link loops, pipes...), for the user to see."""
    files, problems, seen, left_out = [], [], set(), []

    def add(path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            files.append(path)

    for item in items:
        if os.path.isdir(item):
            found = []
            for name in sorted(os.listdir(item)):
                path = os.path.join(item, name)
                kind = special_file_kind(path)
                if kind or (os.path.isfile(path) and not is_image_file(name) and not name.startswith('.')):
                    left_out.append(f'{path}: {kind or "not an image file this reads (" + FORMAT_NAMES + ")"}')
                elif os.path.isfile(path) and is_image_file(name):
                    found.append(path)
            if not found:
                problems.append(Problem(item, f'folder holds no image ({", ".join(IMAGE_EXTENSIONS)})'))
            for path in found:
                add(path)
        elif os.path.isfile(item):
            if not item.lower().endswith(IMAGE_EXTENSIONS):
                problems.append(Problem(item, f'is not an image file this reads ({", ".join(IMAGE_EXTENSIONS)})'))
            else:
                add(item)
        elif glob.has_magic(item):
            found = sorted(p for p in glob.glob(item) if os.path.isfile(p) and is_image_file(p))
            if not found:
                problems.append(Problem(item, 'matches no image file'))
            for path in found:
                add(path)
        elif special_file_kind(item):
            problems.append(Problem(item, f'is {special_file_kind(item)}, not an image file'))
        else:
            problems.append(Problem(item, 'does not exist'))
    return files, problems, left_out


def output_extension(src: str, ext: str) -> str:
    if ext == 'auto':
        return os.path.splitext(src)[1].lower()
    return '.' + ext


def plan_outputs(files: Sequence[str], out_dir: str, suffix: str, ext: str) -> Tuple[List[Tuple[str, str]],
                                                                                    List[Problem]]:
    """``(input, output)`` pairs (``OUT_DIR/<stem><suffix>.<ext>``) and what is wrong with them."""
    pairs, problems, owners = [], [], {}
    inputs = {os.path.realpath(f) for f in files}
    for src in files:
        stem = os.path.splitext(os.path.basename(src))[0]
        dst = os.path.join(out_dir, f'{stem}{suffix}{output_extension(src, ext)}')
        key = os.path.realpath(dst)
        if key in inputs:
            problems.append(Problem(dst, f'would overwrite the input {src}; choose another output folder or a '
                                         '--suffix'))
        elif os.path.isdir(dst):
            problems.append(Problem(dst, f'is a folder, but the output of {src} goes there; remove it, or choose '
                                         'another output folder or a --suffix'))
        elif key in owners:
            problems.append(Problem(dst, f'would be written for both {owners[key]} and {src}; give them different '
                                         'names, or run them separately'))
        owners.setdefault(key, src)
        pairs.append((src, dst))
    return pairs, problems


def _fits_format(image, dst: str):
    """16-bit results go to PNG / TIFF as they are; other formats get 8 bits."""
    if image.dtype != 'uint8' and not dst.lower().endswith(SIXTEEN_BIT_EXTENSIONS):
        return to_uint8(image, dst)
    return image


def run_inference(net: torch.nn.Module, pairs: Sequence[Tuple[str, str]], settings: InferSettings,
                  device: torch.device) -> RunSummary:
    """Super-resolve every ``(input, output)`` pair; returns what was written, skipped and failed."""
    start = time.perf_counter()
    summary = RunSummary()
    remove_stale_temp_files(*sorted({os.path.dirname(dst) or '.' for _, dst in pairs}))
    try:
        _run_pairs(net, pairs, settings, device, summary)
    except KeyboardInterrupt:  # Ctrl-C: what was written is complete (atomic writes); say what is left
        summary.not_done = len(pairs) - len(summary.written) - len(summary.skipped) - len(summary.failed)
    summary.seconds = time.perf_counter() - start
    return summary


def _run_pairs(net: torch.nn.Module, pairs: Sequence[Tuple[str, str]], settings: InferSettings, device: torch.device,
               summary: RunSummary) -> None:
    for src, dst in tqdm(pairs, desc='images', unit='img'):
        if settings.skip_existing and os.path.exists(dst):
            summary.skipped.append(dst)
            continue
        try:
            image = read_image(src, order='rgb', fix=SKIP_HINT)
        except BadImageError as err:
            summary.failed.append((src, err.problem))
            tqdm.write(f'FAILED {err}')
            continue
        many_tiles = count_tiles(image.shape[0], image.shape[1], settings.tile) > TILE_BAR_MIN_TILES
        try:
            result = upscale(net, image, tile=settings.tile, tile_pad=settings.tile_pad,
                             precision=settings.precision, device=device, progress=many_tiles,
                             compile=settings.compile)
        except torch.OutOfMemoryError:
            summary.failed.append((src, f'out of memory on {device} at --tile {settings.tile}; lower --tile'))
            tqdm.write(f'FAILED {src}: out of memory; lower --tile')
            continue
        try:
            os.makedirs(os.path.dirname(dst) or '.', exist_ok=True)
            write_image(dst, _fits_format(result, dst), order='rgb')
        except OSError as err:
            summary.failed.append((src, f'cannot write {dst}: {err.strerror or err}'))
            tqdm.write(f'FAILED {src}: cannot write {dst}: {err.strerror or err}')
            continue
        summary.written.append(dst)
