"""Dataset sections read from a folder or an LMDB: roots and meta info exist; GT / LQ pair under ``filename_tmpl``
(LMDBs: the same keys); images decode as BasicSR decodes them (a training set's first :data:`TRAIN_DECODE_SAMPLE`
pairs unless ``skip_corrupt_images``; every val / test image); sizes fit ``scale`` / ``gt_size``; batches fill."""
import math
import os
from os import path as osp
from typing import List, Sequence, Tuple

from tqdm import tqdm

from ..dataset_guards.corrupt_images import SKIP_OPTION
from ..files.dataset_images import Shape, decoded_size, image_readers, lmdb_shapes
from ..files.image_folders import list_files, template_name
from ..files.staged_outputs import run_id, staging_path
from ..problems import Problem

TRAIN_DECODE_SAMPLE = 32
PROGRESS_FROM = 50  # images to decode before a progress bar is worth showing
ROOT_KEYS = ('dataroot_gt', 'dataroot_lq')


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
    problems, sizes = [], []
    pairs = list(zip(names, lq_names)) if len(roots) == 2 else [(name,) for name in names]
    with image_readers([root for _, root in roots], backend == 'lmdb') as readers:
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
    return problems, sizes


def lmdb_pair_problems(where: str, gt_root: str, lq_root: str) -> List[Problem]:
    """The GT and LQ LMDBs come from one preparation run (the ``run_id`` of their ``bebygan_prepare.json``; LMDBs
    made otherwise have none and are not checked)."""
    gt_run, lq_run = run_id(gt_root), run_id(lq_root)
    if gt_run is None or lq_run is None or gt_run == lq_run:
        return []
    return [Problem(f'{where}.dataroot_lq', f'{lq_root!r} and {gt_root!r} were written by two different '
                                           'preparation runs (an interrupted --overwrite, or LMDBs copied from '
                                           'elsewhere), so their images may not be pairs; run the bebygan-prepare '
                                           'command again')]


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
            elif not osp.isdir(root) and osp.isdir(staging_path(root)):
                problems.append(Problem(f'{where}.{key}', f'LMDB {root!r} does not exist: a bebygan-prepare run was '
                                                          'stopped while writing or publishing it; run the same '
                                                          'command again to finish'))
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
        gt_names, lq_files = list_files(gt_root), set(list_files(lq_root))
        if len(gt_names) != len(lq_files):
            problems.append(Problem(f'{where}.dataroot_lq', f'{lq_root!r} has {len(lq_files)} files and {gt_root!r} '
                                                            f'has {len(gt_names)}; they must pair one to one'))
    if not gt_names:
        return problems + [Problem(f'{where}.dataroot_gt', f'no images in {gt_root!r}')], [], []

    def lq_exists(name):
        return name in lq_files if lq_files is not None else osp.isfile(osp.join(lq_root, name))

    lq_names = []
    for gt_name in gt_names:
        lq_name = template_name(gt_name, tmpl)
        if lq_files is None and not osp.isfile(osp.join(gt_root, gt_name)):
            return problems + [Problem(f'{where}.meta_info_file', f'lists {gt_name!r}, which is not in '
                                                                  f'{gt_root!r}')], [], []
        if not lq_exists(lq_name):
            hint = 'set filename_tmpl to how the LQ files are named'
            for candidate in ('{}', f'{{}}x{scale}'):
                if candidate != tmpl and lq_exists(template_name(gt_name, candidate)):
                    hint = f'the LQ files are named like {osp.basename(template_name(gt_name, candidate))!r}: set ' \
                           f'filename_tmpl: {candidate!r}'
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


def _listed_gt(where: str, ds: dict) -> Tuple[List[Problem], List[str]]:
    """The GT images a disk ``RealESRGANDataset`` reads: the first field of each line of ``meta_info``, relative to
    ``dataroot_gt``."""
    meta = ds.get('meta_info')
    if not isinstance(meta, str) or not osp.isfile(meta):
        return [Problem(f'{where}.meta_info', f'{meta!r} is not a file: RealESRGANDataset reads the names of its GT '
                                              'images from it, one per line (bebygan-prepare writes one)')], []
    with open(meta, encoding='utf-8') as f:
        names = [line.split(' ')[0] for line in f.read().splitlines() if line.strip()]
    return ([] if names else [Problem(f'{where}.meta_info', f'{meta!r} lists no image')]), names


def short_epochs_problem(where: str, count: int, ds: dict, world_size: int, total_iter) -> List[Problem]:
    """Training reaches ``total_iter``: BasicSR counts ``ceil(images / (batch * world))`` iterations per epoch and
    runs ``ceil(total_iter / that) + 1`` epochs, while its loader drops each process's last, partial batch, so a small
    set can end the run early without a word."""
    batch, ratio = ds.get('batch_size_per_gpu'), ds.get('dataset_enlarge_ratio', 1)
    if not (isinstance(batch, int) and isinstance(ratio, int) and isinstance(total_iter, (int, float))) or \
            batch < 1 or ratio < 1:
        return []
    counted = math.ceil(count * ratio / (batch * world_size))
    delivered = math.ceil(count * ratio / world_size) // batch
    reached = (math.ceil(total_iter / counted) + 1) * delivered if counted else 0
    if not delivered or reached >= total_iter:
        return []
    whole = batch * world_size // math.gcd(count, batch * world_size)  # the smallest ratio giving whole batches
    return [Problem(f'{where}.batch_size_per_gpu', f'training would stop at iteration {reached} of total_iter '
                                                   f'{total_iter:g}: {count} images x{ratio} over {world_size} '
                                                   f'process(es) make {counted} batches of {batch} per epoch by '
                                                   f"BasicSR's count, but its loader drops the last, partial one. "
                                                   f'Set dataset_enlarge_ratio to a multiple of {whole} (whole '
                                                   'batches), or use a batch size that divides the images per '
                                                   'process')]


def check_dataset(phase: str, ds: dict, scale, world_size: int, total_iter=None) -> List[Problem]:
    """Paths, pairing, decoding, sizes and batch count of one dataset section (``datasets.<phase>``); for the
    training set with ``total_iter``, that the epochs BasicSR plans reach it."""
    where = f'datasets.{phase}'
    backend = ds['io_backend'].get('type') if isinstance(ds.get('io_backend'), dict) else None
    roots = [k for k in ROOT_KEYS if k in ds or ds.get('type') == 'PairedImageDataset']
    if not roots or backend not in ('disk', 'lmdb'):
        return []
    problems = _check_roots(where, ds, roots, backend)
    if problems:
        return problems
    sample = TRAIN_DECODE_SAMPLE if phase == 'train' else None
    root_paths = [(key, ds[key]) for key in roots]
    if backend == 'lmdb':
        shapes = [lmdb_shapes(root) for _, root in root_paths]
        if len(shapes) == 2 and set(shapes[0]) != set(shapes[1]):
            only = sorted(set(shapes[0]) ^ set(shapes[1]))[:3]
            return [Problem(f'{where}.dataroot_lq', f'the keys of {ds["dataroot_gt"]!r} and {ds["dataroot_lq"]!r} '
                                                    f'differ (e.g. {only}); build both LMDBs from the same images')]
        if len(root_paths) == 2:
            problems += lmdb_pair_problems(where, ds['dataroot_gt'], ds['dataroot_lq'])
        keys = list(shapes[0])
        count, names, lq_names = len(keys), keys[:sample], keys[:sample]
        sizes = [(k, shapes[0][k], shapes[1][k]) for k in keys] if len(shapes) == 2 else []
    else:
        if len(roots) == 2:
            problems, names, lq_names = _folder_pairs(where, ds, scale)
        elif str(ds.get('type')).startswith('RealESRGANDataset'):  # GT only, the images its meta_info lists
            (problems, names), lq_names = _listed_gt(where, ds), []
        else:
            names, lq_names = list_files(ds[roots[0]]), []
            problems = [] if names else [Problem(f'{where}.{roots[0]}', f'no images in {ds[roots[0]]!r}')]
        if not names:
            return problems
        count, names, lq_names = len(names), names[:sample], lq_names[:sample]
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
        else:
            problems += short_epochs_problem(where, count, ds, world_size, total_iter)
    return problems


def check_datasets(opt: dict) -> List[Problem]:
    """:func:`check_dataset` for every dataset section of ``opt`` (``~`` in paths expanded, as BasicSR does)."""
    world_size = int(os.environ.get('WORLD_SIZE', '1') or 1)
    problems = []
    for phase, ds in (opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}).items():
        if isinstance(ds, dict):
            ds = {**ds, **{k: osp.expanduser(v) for k, v in ds.items() if k in ROOT_KEYS and isinstance(v, str)}}
            total_iter = (opt.get('train') or {}).get('total_iter') if isinstance(opt.get('train'), dict) else None
            problems += check_dataset(phase, ds, opt.get('scale'), world_size, total_iter)
    return problems
