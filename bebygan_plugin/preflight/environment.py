"""The machine and the launch: GPUs, the distributed launcher and backend, loggers, a writable output folder."""
import importlib.util
import os
from os import path as osp
from typing import List

import torch

from ..compat.basicsr_option_parsing import RENAME_HINT
from ..files.folder_lock import in_use_message
from ..files.paths import is_writable_folder
from ..problems import Problem
from ..compat.distributed_on_cpu import dist_backend, uses_cuda


def check_launch(opt: dict, launcher: str) -> List[Problem]:
    """``num_gpu`` against the visible GPUs; ``--launcher`` against how the processes were started; the backend."""
    problems = []
    num_gpu = opt.get('num_gpu', 'auto')
    cuda = torch.cuda.is_available()
    if isinstance(num_gpu, int) and num_gpu > 0:
        if not cuda:
            problems.append(Problem('num_gpu', f'is {num_gpu} but no CUDA GPU is visible; set num_gpu: 0 to run on '
                                               'the CPU (or auto)'))
        elif num_gpu > torch.cuda.device_count():
            problems.append(Problem('num_gpu', f'is {num_gpu} but only {torch.cuda.device_count()} GPU(s) are '
                                               'visible; lower it or use auto'))
    world = int(os.environ.get('WORLD_SIZE', '1') or 1)
    if launcher == 'pytorch':
        missing = [v for v in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if v not in os.environ]
        if missing:
            problems.append(Problem('--launcher pytorch', 'needs the environment of torch.distributed.run ('
                                    f'{", ".join(missing)} unset): start with python -m torch.distributed.run '
                                    '--nproc_per_node=N bebygan_plugin/train.py (or test.py) -opt ... '
                                    '--launcher pytorch'))
    elif launcher == 'none' and world > 1:
        problems.append(Problem('--launcher', f'started by a distributed launcher (WORLD_SIZE={world}) without '
                                              '--launcher pytorch: every process would run alone and write the '
                                              'same files; add --launcher pytorch'))
    elif launcher == 'slurm' and 'SLURM_PROCID' not in os.environ:
        problems.append(Problem('--launcher slurm', 'SLURM_PROCID is unset: start the job with srun'))
    if launcher in ('pytorch', 'slurm'):  # without a launcher no process group starts: the backend is unused
        backend = dist_backend(opt) if isinstance(opt.get('dist_params') or {}, dict) else None
        if backend == 'nccl' and not uses_cuda(num_gpu):
            problems.append(Problem('dist_params.backend', 'nccl needs CUDA GPUs but this run computes on the CPU '
                                                           '(num_gpu: 0 or no GPU visible); use gloo or remove '
                                                           'dist_params.backend (it then follows the device)'))
        local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1') or 1)
        if uses_cuda(num_gpu) and local_world > torch.cuda.device_count():
            problems.append(Problem('--nproc_per_node', f'{local_world} processes per node but only '
                                                        f'{torch.cuda.device_count()} GPU(s) visible'))
    return problems


def check_loggers(opt: dict) -> List[Problem]:
    """tensorboard / wandb installed when a training run's ``logger`` section uses them."""
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
    return problems


def check_writable(root_path: str, output_folder: str) -> List[Problem]:
    """BasicSR can create ``output_folder`` (``experiments`` or ``results``) under ``root_path``."""
    if is_writable_folder(root_path):
        return []
    return [Problem(root_path, f'is not writable: run from a folder where {output_folder}/ can be created')]


def check_run_folder_free(opt: dict, root_path: str, output_folder: str) -> List[Problem]:
    """No other process runs in ``<output_folder>/<name>`` (:mod:`bebygan_plugin.files.folder_lock`; rank 0 asks,
    as rank 0 takes the lock)."""
    if os.environ.get('RANK', '0') != '0':
        return []
    folder = osp.join(root_path, output_folder, str(opt.get('name', '')))
    what = 'experiment folder' if output_folder == 'experiments' else 'results folder'
    message = in_use_message(folder, what, RENAME_HINT)
    return [Problem('name', message)] if message else []
