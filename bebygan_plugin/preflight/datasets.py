"""Dataset sections read from a folder or an LMDB: the folders / LMDBs (``data.mdb`` + ``meta_info.txt``) and meta
info files exist; every GT image has its LQ partner under ``filename_tmpl`` (GT and LQ LMDBs: the same keys); the
images decode with BasicSR's decoder (the first :data:`TRAIN_DECODE_SAMPLE` pairs of a training set, unless it sets
``skip_corrupt_images: true``, and every val / test image, which would otherwise stop the run at its first
validation); the GT / LQ sizes agree with ``scale`` and ``gt_size``; the training set has one batch per process.
"""
import os
import re
from os import path as osp
from typing import Callable, List, Optional, Sequence, Tuple

from tqdm import tqdm

from ..dataset_guards.corrupt_images import SKIP_OPTION
from ..problems import Problem

TRAIN_DECODE_SAMPLE = 32
PROGRESS_FROM = 50  # images to decode before a progress bar is worth showing

Shape = Optional[Tuple[int, int]]


def _list_files(folder: str) -> List[str]:
    """Names of the files BasicSR's ``paired_paths_from_folder`` pairs (not recursive, hidden entries skipped)."""
    from basicsr.utils import scandir

    return sorted(scandir(folder, recursive=False))


def _lmdb_shapes(lmdb_path: str):
    """``{key: (h, w)}`` from an LMDB's ``meta_info.txt`` (``name.png (h,w,c) compression`` per line), in its order."""
    shapes = {}
    with open(osp.join(lmdb_path, 'meta_info.txt'), encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            key = line.split('.')[0]
            match = re.search(r'\((\d+),\s*(\d+)', line)
            shapes[key] = (int(match.group(1)), int(match.group(2))) if match else None
    return shapes


def _read_file(path: str) -> Optional[bytes]:
    with open(path, 'rb') as f:
        return f.read()


class _LmdbReader:
    """Values of one LMDB by key, opened read-only as BasicSR opens it."""

    def __init__(self, lmdb_path: str) -> None:
        import lmdb

        self.env = lmdb.open(lmdb_path, readonly=True, lock=False, readahead=False)

    def __call__(self, key: str) -> Optional[bytes]:
        with self.env.begin(write=False) as txn:
            return txn.get(key.encode('ascii'))

    def close(self) -> None:
        self.env.close()


def decoded_size(read: Callable[[str], Optional[bytes]], name: str) -> Tuple[Shape, Optional[str]]:
    """``((h, w), None)`` when ``read(name)`` decodes as BasicSR decodes it (``cv2.IMREAD_COLOR``), else
    ``(None, why not)``."""
    import cv2

    from ..files.images import UndecodableImageError, decode_bytes

    try:
        return decode_bytes(read(name), cv2.IMREAD_COLOR).shape[:2], None
    except OSError as err:
        return None, f'cannot be read ({err.strerror or err})'
    except UndecodableImageError as err:
        return None, str(err)


def corrupt_image_fix(phase: str, backend: str) -> str:
    """What to do about a corrupt image of dataset ``phase`` read through ``backend``."""
    fix = ('re-create the LMDB with bebygan-prepare (it decodes every input before writing)' if backend == 'lmdb'
           else 'replace or delete the file (and its GT/LQ partner)')
    if phase == 'train':
        fix += f', or set datasets.train.{SKIP_OPTION}: true to skip such images while training'
    return fix


def decode_problems(where: str, phase: str, backend: str, roots: Sequence[Tuple[str, str]], names: Sequence[str],
                    lq_names: Sequence[str] = ()) -> Tuple[List[Problem], List[Tuple[str, Shape, Shape]]]:
    """Decode ``names`` (GT, or the only root) and ``lq_names`` (their LQ partners) from ``roots``
    (``[(option key, folder or LMDB)]``, GT first).

    Returns:
        one problem per undecodable image, and ``(name, GT size, LQ size)`` for every decoded pair.
    """
    readers = [(_LmdbReader(root) if backend == 'lmdb' else (lambda name, root=root: _read_file(osp.join(root, name))))
               for _, root in roots]
    problems, sizes = [], []
    try:
        pairs = list(zip(names, lq_names)) if len(roots) == 2 else [(name,) for name in names]
        for pair in tqdm(pairs, desc=f'Checking {where}', unit='img', disable=len(pairs) < PROGRESS_FROM,
                         dynamic_ncols=True):
            shapes = []
            for (key, root), read, name in zip(roots, readers, pair):
                shape, reason = decoded_size(read, name)
                shapes.append(shape)
                if reason:
                    what = f'LMDB {root!r}: key {name!r}' if backend == 'lmdb' else repr(osp.join(root, name))
                    problems.append(Problem(f'{where}.{key}', f'{what} {reason}; {corrupt_image_fix(phase, backend)}'))
            if len(shapes) == 2 and None not in shapes:
                sizes.append((pair[0], shapes[0], shapes[1]))
    finally:
        for read in readers:
            if isinstance(read, _LmdbReader):
                read.close()
    return problems, sizes


def _check_roots(where: str, ds: dict, roots: Sequence[str], backend: str) -> List[Problem]:
    problems = []
    for key in roots:
        root = ds.get(key)
        if not root:
            problems.append(Problem(f'{where}.{key}', 'required: the folder (or .lmdb) of the images'))
        elif backend == 'lmdb':
            if not str(root).endswith('.lmdb'):
                problems.append(Problem(f'{where}.{key}', f"{root!r} must be an .lmdb folder with "
                                                          "io_backend type lmdb (or use type: disk)"))
            elif not osp.isdir(root):
                problems.append(Problem(f'{where}.{key}', f'LMDB {root!r} does not exist (make it with '
                                                          'bebygan-prepare, or fix the path)'))
            else:
                for needed in ('data.mdb', 'meta_info.txt'):
                    if not osp.isfile(osp.join(root, needed)):
                        problems.append(Problem(f'{where}.{key}', f'LMDB {root!r} has no {needed}; re-create it '
                                                                  '(an interrupted conversion leaves it incomplete)'))
        elif not osp.isdir(root):
            without = f'; or comment out {where} to run without this set' if where.startswith('datasets.test') else ''
            problems.append(Problem(f'{where}.{key}', f'folder {root!r} does not exist (relative paths start at '
                                                      f'{os.getcwd()}){without}'))
    meta = ds.get('meta_info_file')
    if meta and backend != 'lmdb' and not osp.isfile(meta):
        problems.append(Problem(f'{where}.meta_info_file', f'{meta!r} does not exist'))
    return problems


def _folder_pairs(where: str, ds: dict, scale) -> Tuple[List[Problem], List[str], List[str]]:
    """GT names and their LQ names in a disk dataset, as ``paired_paths_from_folder`` / ``_meta_info_file`` pair
    them; stops at the first GT image without its LQ partner."""
    gt_root, lq_root, meta = ds['dataroot_gt'], ds['dataroot_lq'], ds.get('meta_info_file')
    tmpl = ds.get('filename_tmpl', '{}')
    problems = []
    if meta:
        with open(meta, encoding='utf-8') as f:
            gt_names = [line.strip().split(' ')[0] for line in f if line.strip()]
        lq_files = None
    else:
        gt_names, lq_files = _list_files(gt_root), set(_list_files(lq_root))
        if len(gt_names) != len(lq_files):
            problems.append(Problem(f'{where}.dataroot_lq', f'{lq_root!r} has {len(lq_files)} files and {gt_root!r} '
                                                            f'has {len(gt_names)}; they must pair one to one'))
    if not gt_names:
        return problems + [Problem(f'{where}.dataroot_gt', f'no images in {gt_root!r}')], [], []

    def lq_exists(name):
        return name in lq_files if lq_files is not None else osp.isfile(osp.join(lq_root, name))

    lq_names = []
    for gt_name in gt_names:
        base, ext = osp.splitext(osp.basename(gt_name))
        lq_name = osp.join(osp.dirname(gt_name), f'{tmpl.format(base)}{ext}')
        if lq_files is None and not osp.isfile(osp.join(gt_root, gt_name)):
            return problems + [Problem(f'{where}.meta_info_file', f'lists {gt_name!r}, which is not in '
                                                                  f'{gt_root!r}')], [], []
        if not lq_exists(lq_name):
            hint = 'set filename_tmpl to how the LQ files are named'
            for candidate in ('{}', f'{{}}x{scale}'):
                if candidate != tmpl and lq_exists(osp.join(osp.dirname(gt_name), candidate.format(base) + ext)):
                    hint = f'the LQ files are named like {candidate.format(base) + ext!r}: set filename_tmpl: ' \
                           f'{candidate!r}'
            return problems + [Problem(f'{where}.filename_tmpl', f'the LQ image {lq_name!r} for GT {gt_name!r} is '
                                                                 f'not in {lq_root!r} (filename_tmpl {tmpl!r}); '
                                                                 f'{hint}')], [], []
        lq_names.append(lq_name)
    return problems, gt_names, lq_names


def _check_sizes(where: str, phase: str, ds: dict, scale, sizes) -> List[Problem]:
    """The GT / LQ ratio is ``scale`` (the LQ of a val / test GT may round down); training crops fit."""
    if not isinstance(scale, int):
        return []
    for name, gt_hw, lq_hw in sizes:
        if gt_hw is None or lq_hw is None:
            continue
        exact = phase == 'train'
        if not all((gt == lq * scale) if exact else (lq * scale <= gt < (lq + 1) * scale)
                   for gt, lq in zip(gt_hw, lq_hw)):
            return [Problem(where, f'GT {name!r} is {gt_hw[0]}x{gt_hw[1]} and its LQ is {lq_hw[0]}x{lq_hw[1]}: not '
                                   f'x{scale} as scale says; fix scale or regenerate the LQ images')]
        gt_crop = ds.get('gt_size')
        if phase == 'train' and isinstance(gt_crop, int) and min(gt_hw) < gt_crop:
            return [Problem(f'{where}.gt_size', f'{gt_crop} is larger than the image {name!r} '
                                                f'({gt_hw[0]}x{gt_hw[1]}); lower gt_size')]
    return []


def check_dataset(phase: str, ds: dict, scale, world_size: int) -> List[Problem]:
    """Paths, pairing, decoding, sizes and batch count of one dataset section (``datasets.<phase>``)."""
    where = f'datasets.{phase}'
    backend = ds['io_backend'].get('type') if isinstance(ds.get('io_backend'), dict) else None
    roots = [k for k in ('dataroot_gt', 'dataroot_lq') if k in ds or ds.get('type') == 'PairedImageDataset']
    if not roots or backend not in ('disk', 'lmdb'):
        return []
    problems = _check_roots(where, ds, roots, backend)
    if problems:
        return problems
    sample = TRAIN_DECODE_SAMPLE if phase == 'train' else None
    root_paths = [(key, ds[key]) for key in roots]
    if backend == 'lmdb':
        shapes = [_lmdb_shapes(root) for _, root in root_paths]
        if len(shapes) == 2 and set(shapes[0]) != set(shapes[1]):
            only = sorted(set(shapes[0]) ^ set(shapes[1]))[:3]
            return [Problem(f'{where}.dataroot_lq', f'the keys of {ds["dataroot_gt"]!r} and {ds["dataroot_lq"]!r} '
                                                    f'differ (e.g. {only}); build both LMDBs from the same images')]
        keys = list(shapes[0])
        count, names, lq_names = len(keys), keys[:sample], keys[:sample]
        sizes = [(k, shapes[0][k], shapes[1][k]) for k in keys] if len(shapes) == 2 else []
    elif len(roots) == 2:
        problems, names, lq_names = _folder_pairs(where, ds, scale)
        if not names:
            return problems
        count, names, lq_names = len(names), names[:sample], lq_names[:sample]
    else:
        names = _list_files(ds[roots[0]])
        if not names:
            return [Problem(f'{where}.{roots[0]}', f'no images in {ds[roots[0]]!r}')]
        count, names, lq_names = len(names), names[:sample], []
    corrupt, decoded_sizes = decode_problems(where, phase, backend, root_paths, names, lq_names)
    if not (phase == 'train' and ds.get(SKIP_OPTION)):
        problems += corrupt
    problems += _check_sizes(where, phase, ds, scale, sizes if backend == 'lmdb' else decoded_sizes)
    batch, enlarge = ds.get('batch_size_per_gpu'), ds.get('dataset_enlarge_ratio', 1)
    if phase == 'train' and isinstance(batch, int) and isinstance(enlarge, (int, float)) and count:
        per_process = int(count * enlarge) // world_size
        if per_process < batch:
            problems.append(Problem(f'{where}.batch_size_per_gpu', f'{batch} is more than the {per_process} '
                                                                   'images each process gets per epoch; training '
                                                                   'would run no iteration. Lower it or raise '
                                                                   'dataset_enlarge_ratio'))
    return problems


def check_datasets(opt: dict) -> List[Problem]:
    """:func:`check_dataset` for every dataset section of ``opt`` (``~`` in paths expanded, as BasicSR does)."""
    world_size = int(os.environ.get('WORLD_SIZE', '1') or 1)
    problems = []
    for phase, ds in (opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}).items():
        if isinstance(ds, dict):
            ds = dict(ds)
            for key in ('dataroot_gt', 'dataroot_lq'):
                if isinstance(ds.get(key), str):
                    ds[key] = osp.expanduser(ds[key])
            problems += check_dataset(phase, ds, opt.get('scale'), world_size)
    return problems
