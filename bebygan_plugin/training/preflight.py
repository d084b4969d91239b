"""Fail-fast checks run by ``bebygan-train`` before BasicSR creates anything.

Everything a run needs is checked up front, and all problems are reported at once, each naming its culprit (an
option key or a file) and the fix, before ``experiments/<name>`` exists:

- the option file: readable YAML; unknown or misspelled keys of every section (with the closest valid key);
  component types and their constructor arguments (see ``option_check``);
- the launch: ``num_gpu`` against the visible GPUs, ``--launcher pytorch`` only under ``torch.distributed.run``,
  the distributed backend against the device;
- the data: dataset folders / LMDBs (``data.mdb`` + ``meta_info.txt``) / meta info files exist, GT and LQ files
  pair up under ``filename_tmpl``, the training set has at least one batch per process, and the first pair's
  sizes agree with ``scale`` (and with ``gt_size``);
- the scale: ``scale`` = the generator's factor = ``bp_opt.scale`` = the data's GT / LQ ratio;
- weights: ``path.pretrain_network_*`` files load, hold the ``param_key`` and fit the network; ``path.resume_state``
  exists; the ImageNet VGG weights of ``PerceptualLoss`` and the LPIPS weights of ``calculate_lpips``
  validation are present and load (when missing they are downloaded if the machine is online, unless
  ``BEBYGAN_OFFLINE=1``; otherwise the message says which file to place where); pyiqa is installed for
  ``calculate_pyiqa``;
- logging: tensorboard / wandb importable when the logger uses them; the working directory is writable.
"""
import argparse
import os
import re
from os import path as osp
from typing import List, Optional, Tuple

import torch
import yaml

from ..problems import Problem, ProblemsFound, exit_on_problems, raise_if_any
from ..weights import lpips_problems, torchvision_weights_problems
from .option_check import check_options

PROGRAM = 'bebygan-train'
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


# ----------------------------------------------------------------------------------------------- command line
def parse_train_args(argv: List[str]) -> argparse.Namespace:
    """The arguments of BasicSR's ``parse_options`` (unknown ones are left for BasicSR to reject)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('-opt', type=str, default=None)
    parser.add_argument('--launcher', default='none')
    parser.add_argument('--auto_resume', action='store_true')
    parser.add_argument('--debug', action='store_true')
    parser.add_argument('--force_yml', nargs='+', default=None)
    args, _ = parser.parse_known_args(argv)
    return args


def load_option_file(opt_path: Optional[str]):
    """``(opt, problems)``: the YAML parsed like BasicSR does, or the reason it cannot be."""
    if not opt_path:
        return None, [Problem('-opt', 'missing: pass the option file, e.g. -opt options/train_BebyGAN_x4.yml')]
    if not osp.isfile(opt_path):
        return None, [Problem('-opt', f'option file {opt_path!r} does not exist')]
    from basicsr.utils.options import ordered_yaml

    try:
        with open(opt_path, encoding='utf-8') as f:
            opt = yaml.load(f, Loader=ordered_yaml()[0])
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = f'{opt_path} line {mark.line + 1}, column {mark.column + 1}' if mark else opt_path
        return None, [Problem(where, f'is not valid YAML: {getattr(err, "problem", None) or err}')]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(opt_path, f'cannot be read: {err}')]
    if not isinstance(opt, dict):
        return None, [Problem(opt_path, f'must hold a mapping of options, got {type(opt).__name__}')]
    return opt, []


def apply_force_yml(opt: dict, entries: Optional[List[str]]) -> List[Problem]:
    """BasicSR's ``--force_yml a:b=value`` overrides (which may not create new sections)."""
    from basicsr.utils.options import _postprocess_yml_value

    problems = []
    for entry in entries or []:
        if entry.count('=') != 1:
            problems.append(Problem(f'--force_yml {entry}', 'expected KEY:SUBKEY=VALUE'))
            continue
        keys, value = (part.strip() for part in entry.split('='))
        node, parts = opt, keys.split(':')
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                problems.append(Problem(f'--force_yml {entry}', f"section '{part}' does not exist in the options"))
                break
            node = node[part]
        else:
            node[parts[-1]] = _postprocess_yml_value(value)
    return problems


# ------------------------------------------------------------------------------------------------ environment
def check_launch(opt: dict, launcher: str) -> List[Problem]:
    import bebygan_compat

    problems = []
    num_gpu = opt.get('num_gpu', 'auto')
    cuda = torch.cuda.is_available()
    if isinstance(num_gpu, int) and num_gpu > 0:
        if not cuda:
            problems.append(Problem('num_gpu', f'is {num_gpu} but no CUDA GPU is visible; set num_gpu: 0 to train on '
                                               'the CPU (or auto)'))
        elif num_gpu > torch.cuda.device_count():
            problems.append(Problem('num_gpu', f'is {num_gpu} but only {torch.cuda.device_count()} GPU(s) are '
                                               'visible; lower it or use auto'))
    world = int(os.environ.get('WORLD_SIZE', '1') or 1)
    if launcher == 'pytorch':
        missing = [v for v in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if v not in os.environ]
        if missing:
            problems.append(Problem('--launcher pytorch', f'needs the environment of torch.distributed.run '
                                                          f'({", ".join(missing)} unset): start with python -m '
                                                          'torch.distributed.run --nproc_per_node=N '
                                                          'bebygan_plugin/train.py -opt ... --launcher pytorch'))
    elif launcher == 'none' and world > 1:
        problems.append(Problem('--launcher', f'started by a distributed launcher (WORLD_SIZE={world}) without '
                                              '--launcher pytorch: every process would train alone and write the '
                                              'same files; add --launcher pytorch'))
    elif launcher == 'slurm' and 'SLURM_PROCID' not in os.environ:
        problems.append(Problem('--launcher slurm', 'SLURM_PROCID is unset: start the job with srun'))
    elif launcher not in ('none', 'pytorch', 'slurm'):
        problems.append(Problem('--launcher', f"must be none, pytorch or slurm, got {launcher!r}"))
    if launcher in ('pytorch', 'slurm'):
        backend = bebygan_compat.dist_backend(opt)
        if backend not in bebygan_compat.DIST_BACKENDS:
            problems.append(Problem('dist_params.backend', f'must be one of {bebygan_compat.DIST_BACKENDS}, got '
                                                           f'{backend!r}'))
        elif backend == 'nccl' and not bebygan_compat.uses_cuda(num_gpu):
            problems.append(Problem('dist_params.backend', 'nccl needs CUDA GPUs but this run computes on the CPU '
                                                           '(num_gpu: 0 or no GPU visible); use gloo or remove '
                                                           'dist_params.backend (it then follows the device)'))
        local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1') or 1)
        if bebygan_compat.uses_cuda(num_gpu) and local_world > torch.cuda.device_count():
            problems.append(Problem('--nproc_per_node', f'{local_world} processes per node but only '
                                                        f'{torch.cuda.device_count()} GPU(s) visible'))
    return problems


def check_logging(opt: dict, root_path: str) -> List[Problem]:
    import importlib.util

    problems = []
    logger = opt.get('logger') if isinstance(opt.get('logger'), dict) else {}
    debug = 'debug' in str(opt.get('name', ''))
    if logger.get('use_tb_logger') and not debug and importlib.util.find_spec('tensorboard') is None:
        problems.append(Problem('logger.use_tb_logger', 'is true but tensorboard is not installed: pip install '
                                                        'tensorboard, or set it to false'))
    wandb = logger.get('wandb') if isinstance(logger.get('wandb'), dict) else {}
    if wandb.get('project') and not debug:
        if importlib.util.find_spec('wandb') is None:
            problems.append(Problem('logger.wandb.project', 'is set but wandb is not installed: pip install wandb, '
                                                            'or set project: ~'))
        if not logger.get('use_tb_logger'):
            problems.append(Problem('logger.wandb.project', 'BasicSR needs logger.use_tb_logger: true with wandb'))
    if not os.access(root_path, os.W_OK):
        problems.append(Problem(root_path, 'is not writable: run from a folder where experiments/ can be created'))
    return problems


# ------------------------------------------------------------------------------------------------------ data
def _list_files(folder: str) -> List[str]:
    """Names of the files BasicSR's ``paired_paths_from_folder`` pairs (not recursive, hidden entries skipped)."""
    from basicsr.utils import scandir

    return sorted(scandir(folder, recursive=False))


def _image_size(path: str) -> Optional[Tuple[int, int]]:
    import cv2

    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return None if img is None else img.shape[:2]


def _lmdb_shapes(lmdb_path: str):
    """``{key: (h, w)}`` from an LMDB's ``meta_info.txt`` (``name.png (h,w,c) compression`` per line)."""
    shapes = {}
    with open(osp.join(lmdb_path, 'meta_info.txt'), encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            key = line.split('.')[0]
            match = re.search(r'\((\d+),\s*(\d+)', line)
            shapes[key] = (int(match.group(1)), int(match.group(2))) if match else None
    return shapes


def check_dataset(phase: str, ds: dict, scale, world_size: int) -> List[Problem]:
    """Paths, pairing, batch count and sizes of one paired dataset section."""
    where = f'datasets.{phase}'
    problems = []
    backend = (ds.get('io_backend') or {}).get('type')
    roots = [k for k in ('dataroot_gt', 'dataroot_lq') if k in ds or ds.get('type') == 'PairedImageDataset']
    if not roots or backend not in ('disk', 'lmdb'):
        return problems
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
            problems.append(Problem(f'{where}.{key}', f'folder {root!r} does not exist (relative paths start at '
                                                      f'{os.getcwd()})'))
    meta = ds.get('meta_info_file')
    if meta and backend != 'lmdb' and not osp.isfile(meta):
        problems.append(Problem(f'{where}.meta_info_file', f'{meta!r} does not exist'))
    if problems or len(roots) < 2:
        return problems
    gt_root, lq_root = ds['dataroot_gt'], ds['dataroot_lq']
    tmpl = ds.get('filename_tmpl', '{}')
    pairs, count = [], 0
    if backend == 'lmdb':
        gt_shapes, lq_shapes = _lmdb_shapes(gt_root), _lmdb_shapes(lq_root)
        if set(gt_shapes) != set(lq_shapes):
            only = sorted(set(gt_shapes) ^ set(lq_shapes))[:3]
            problems.append(Problem(f'{where}.dataroot_lq', f'the keys of {gt_root!r} and {lq_root!r} differ '
                                                            f'(e.g. {only}); build both LMDBs from the same images'))
            return problems
        count = len(gt_shapes)
        pairs = [(k, gt_shapes[k], lq_shapes[k]) for k in sorted(gt_shapes)]
    else:
        if meta:
            with open(meta, encoding='utf-8') as f:
                gt_names = [line.strip().split(' ')[0] for line in f if line.strip()]
            lq_files = None
        else:
            gt_names, lq_files = _list_files(gt_root), set(_list_files(lq_root))
            if len(gt_names) != len(lq_files):
                problems.append(Problem(f'{where}.dataroot_lq', f'{lq_root!r} has {len(lq_files)} files and '
                                                                f'{gt_root!r} has {len(gt_names)}; they must pair '
                                                                'one to one'))
        if not gt_names:
            problems.append(Problem(f'{where}.dataroot_gt', f'no images in {gt_root!r}'))
            return problems
        count = len(gt_names)
        for gt_name in gt_names:
            base, ext = osp.splitext(osp.basename(gt_name))
            lq_name = osp.join(osp.dirname(gt_name), f'{tmpl.format(base)}{ext}')
            if lq_files is None and not osp.isfile(osp.join(gt_root, gt_name)):
                problems.append(Problem(f'{where}.meta_info_file', f'lists {gt_name!r}, which is not in {gt_root!r}'))
                return problems
            def lq_exists(name):
                return name in lq_files if lq_files is not None else osp.isfile(osp.join(lq_root, name))

            if not lq_exists(lq_name):
                hint = 'set filename_tmpl to how the LQ files are named'
                for candidate in ('{}', f'{{}}x{scale}'):
                    if candidate != tmpl and lq_exists(osp.join(osp.dirname(gt_name), candidate.format(base) + ext)):
                        hint = f'the LQ files are named like {candidate.format(base) + ext!r}: set filename_tmpl: ' \
                               f'{candidate!r}'
                problems.append(Problem(f'{where}.filename_tmpl', f'the LQ image {lq_name!r} for GT {gt_name!r} '
                                                                  f'is not in {lq_root!r} (filename_tmpl {tmpl!r}); '
                                                                  f'{hint}'))
                return problems
        first = gt_names[0]
        base, ext = osp.splitext(osp.basename(first))
        lq_first = osp.join(osp.dirname(first), f'{tmpl.format(base)}{ext}')
        gt_size, lq_size = _image_size(osp.join(gt_root, first)), _image_size(osp.join(lq_root, lq_first))
        if gt_size is None or lq_size is None:
            bad = osp.join(gt_root, first) if gt_size is None else osp.join(lq_root, lq_first)
            problems.append(Problem(bad, 'cannot be read as an image (corrupt file or not an image)'))
            return problems
        pairs = [(first, gt_size, lq_size)]
    if isinstance(scale, int):
        for name, gt_hw, lq_hw in pairs:
            if gt_hw is None or lq_hw is None:
                continue
            exact = phase == 'train'
            ratio_ok = all((gt == lq * scale) if exact else (lq * scale <= gt < (lq + 1) * scale)
                           for gt, lq in zip(gt_hw, lq_hw))
            if not ratio_ok:
                problems.append(Problem(f'{where}', f'GT {name!r} is {gt_hw[0]}x{gt_hw[1]} and its LQ is '
                                                    f'{lq_hw[0]}x{lq_hw[1]}: not x{scale} as scale says; fix scale '
                                                    'or regenerate the LQ images'))
                break
            gt_crop = ds.get('gt_size')
            if phase == 'train' and isinstance(gt_crop, int) and min(gt_hw) < gt_crop:
                problems.append(Problem(f'{where}.gt_size', f'{gt_crop} is larger than the image {name!r} '
                                                            f'({gt_hw[0]}x{gt_hw[1]}); lower gt_size'))
                break
    batch = ds.get('batch_size_per_gpu')
    if phase == 'train' and isinstance(batch, int) and count:
        per_process = count * ds.get('dataset_enlarge_ratio', 1) // world_size
        if per_process < batch:
            problems.append(Problem(f'{where}.batch_size_per_gpu', f'{batch} is more than the {per_process} '
                                                                   'images each process gets per epoch; training '
                                                                   'would run no iteration. Lower it or raise '
                                                                   'dataset_enlarge_ratio'))
    return problems


def check_data(opt: dict) -> List[Problem]:
    world_size = int(os.environ.get('WORLD_SIZE', '1') or 1)
    problems = []
    for phase, ds in (opt.get('datasets') or {}).items():
        if isinstance(ds, dict):
            ds = dict(ds)
            for key in ('dataroot_gt', 'dataroot_lq'):
                if isinstance(ds.get(key), str):
                    ds[key] = osp.expanduser(ds[key])
            problems += check_dataset(phase, ds, opt.get('scale'), world_size)
    return problems


# --------------------------------------------------------------------------------------------------- weights
def check_weights(opt: dict) -> List[Problem]:
    problems = []
    for key, section in (opt.get('train') or {}).items():
        if key.endswith('_opt') and isinstance(section, dict) and section.get('type') == 'PerceptualLoss':
            from basicsr.archs import vgg_arch

            vgg_type = section.get('vgg_type', 'vgg19')
            local = vgg_arch.VGG_PRETRAIN_PATH
            if vgg_type != 'vgg19' and osp.isfile(local):
                problems.append(Problem(f'train.{key}.vgg_type', f'is {vgg_type}, but BasicSR loads {local} (VGG19) '
                                                                 'whenever that file exists; move it away or use '
                                                                 'vgg19'))
                continue
            problems += torchvision_weights_problems(vgg_type, 'PerceptualLoss', f'train.{key}', local if vgg_type == 'vgg19' else None)
    val = opt.get('val') if isinstance(opt.get('val'), dict) else {}
    has_val_data = any(str(p).startswith('val') for p in (opt.get('datasets') or {}))
    for name, metric in (val.get('metrics') or {}).items():
        kind = str(metric.get('type', '')).lower() if isinstance(metric, dict) else ''
        if has_val_data and 'lpips' in kind:
            problems += lpips_problems(metric, f'val.metrics.{name}')
        if has_val_data and 'pyiqa' in kind:
            import importlib.util

            if importlib.util.find_spec('pyiqa') is None:
                problems.append(Problem(f'val.metrics.{name}', f'{metric["type"]} needs pyiqa: pip install '
                                                               '"bebygan-plugin[metrics]" (or remove the metric)'))
    return problems


def check_paths(opt: dict, root_path: str, auto_resume: bool) -> List[Problem]:
    """Pretrained networks (load, hold the param key, fit the network) and ``path.resume_state``."""
    from .checkpoint import describe_load_error, load_checkpoint_file

    problems = []
    path = opt.get('path') if isinstance(opt.get('path'), dict) else {}
    name = opt.get('name', '')
    states_dir = osp.join(root_path, 'experiments', str(name), 'training_states')
    resuming = bool(path.get('resume_state')) or (auto_resume and osp.isdir(states_dir) and any(
        n.endswith('.state') for n in os.listdir(states_dir)))
    if path.get('resume_state') and not auto_resume:
        state = osp.expanduser(path['resume_state'])
        if not osp.isfile(state):
            problems.append(Problem('path.resume_state', f'{state!r} does not exist; fix the path, or remove it '
                                                         'and use --auto_resume'))
        elif not osp.isdir(osp.join(root_path, 'experiments', str(name))):
            problems.append(Problem('path.resume_state', f'resuming writes into experiments/{name}, which does not '
                                                         'exist here: run from the folder holding experiments/ and '
                                                         'keep the experiment name'))
    if resuming:
        return problems  # BasicSR replaces pretrain_network_* with the checkpoint's networks
    for key, value in path.items():
        if not str(key).startswith('pretrain_network_') or not value:
            continue
        label = key[len('pretrain_network_'):]
        where, file = f'path.{key}', osp.expanduser(value)
        if not osp.isfile(file):
            problems.append(Problem(where, f'{file!r} does not exist; fix the path (relative paths start at '
                                           f'{root_path}) or set it to ~'))
            continue
        try:
            loaded = load_checkpoint_file(file, mmap=True)
        except Exception as err:  # noqa: BLE001
            problems.append(Problem(where, f'{file!r} cannot be loaded ({describe_load_error(err)})'))
            continue
        param_key = path.get(f'param_key_{label}', 'params')
        if param_key is not None and isinstance(loaded, dict):
            if param_key not in loaded and 'params' in loaded:
                param_key = 'params'
            if param_key not in loaded:
                problems.append(Problem(f'path.param_key_{label}', f'{file!r} has no {param_key!r} entry (it has '
                                                                   f'{sorted(loaded)[:5]})'))
                continue
            loaded = loaded[param_key]
        problems += check_fits_network(opt, label, loaded, file, path.get(f'strict_load_{label}', True))
    return problems


def check_fits_network(opt: dict, label: str, state: dict, file: str, strict: bool) -> List[Problem]:
    """Whether ``state`` (``module.`` prefixes allowed) loads into ``network_<label>`` of ``opt``."""
    from basicsr.utils.registry import ARCH_REGISTRY

    net_opt = opt.get(f'network_{label}')
    if not isinstance(net_opt, dict) or net_opt.get('type') not in ARCH_REGISTRY or not isinstance(state, dict):
        return []
    args = {k: v for k, v in net_opt.items() if k != 'type'}
    try:
        with torch.device('meta'):
            expected = ARCH_REGISTRY.get(net_opt['type'])(**args).state_dict()
    except Exception:  # noqa: BLE001 - reported by the option checks
        return []
    state = {(k[7:] if k.startswith('module.') else k): v for k, v in state.items()}
    missing = [k for k in expected if k not in state]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if wrong or (strict and (missing or set(state) - set(expected))):
        detail = (f'shapes differ for {wrong[:3]}' if wrong else
                  f'missing {missing[:3]}' if missing else f'unexpected {sorted(set(state) - set(expected))[:3]}')
        return [Problem(f'path.pretrain_network_{label}', f'{file!r} does not fit network_{label} '
                                                          f'({net_opt["type"]}: {detail}); check network_{label} '
                                                          'matches the run that saved it')]
    return []


# ------------------------------------------------------------------------------------------------ entry points
def run_preflight(argv: List[str], root_path: str) -> dict:
    """Check a training command line; returns the parsed options or raises :class:`~bebygan_plugin.problems.ProblemsFound`."""
    args = parse_train_args(argv)
    opt, problems = load_option_file(args.opt)
    if opt is None:
        raise ProblemsFound(PROGRAM, problems, args.opt or '')
    problems += apply_force_yml(opt, args.force_yml)
    if args.debug and not str(opt.get('name', '')).startswith('debug'):
        opt['name'] = f'debug_{opt.get("name")}'
    static = check_options(opt)
    problems += static
    problems += check_launch(opt, args.launcher)
    problems += check_logging(opt, root_path)
    problems += check_data(opt)
    broken = {p.where.split('.')[0] for p in static}
    if 'path' not in broken:
        problems += check_paths(opt, root_path, args.auto_resume)
    if 'train' not in broken and 'val' not in broken:
        problems += check_weights(opt)
    raise_if_any(PROGRAM, problems, args.opt)
    return opt


def preflight_or_exit(argv: List[str], root_path: str) -> None:
    """Run :func:`run_preflight`; on bad input print the problems (rank 0 only) and exit with status 2."""
    try:
        run_preflight(argv, root_path)
    except ProblemsFound as err:
        exit_on_problems(err)

