"""Patch 5: distributed runs (``--launcher pytorch`` under ``torch.distributed.run``, or ``slurm``) on GPUs and CPUs.

BasicSR's ``init_dist`` always uses NCCL and calls ``torch.cuda.set_device(rank % torch.cuda.device_count())``
(ZeroDivisionError without a GPU), and ``BaseModel.model_to_device`` wraps DDP with
``device_ids=[torch.cuda.current_device()]``. BasicSR's ``init_dist`` is replaced by
:func:`init_dist` (the backend follows the device: NCCL when the run computes on CUDA, gloo on the CPU, unless the
option file says ``dist_params: {backend: ...}``, see :func:`dist_backend`; each process is bound to GPU
``LOCAL_RANK`` only when CUDA is used), and :func:`model_to_device` wraps CPU models in DDP without ``device_ids``,
leaving GPU runs to BasicSR.
"""
import os
import sys

import basicsr.utils.dist_util
import basicsr.utils.options
import torch
from basicsr.models.base_model import BaseModel
from torch import distributed as dist

DIST_BACKENDS = ('nccl', 'gloo', 'mpi')


def uses_cuda(num_gpu) -> bool:
    """Whether a run with this ``num_gpu`` option computes on CUDA (BasicSR: ``num_gpu != 0``; 'auto' = if any)."""
    return num_gpu != 0 and torch.cuda.is_available()


def dist_backend(opt: dict) -> str:
    """``dist_params.backend`` if the options set it, else NCCL for CUDA runs and gloo for CPU runs."""
    backend = (opt.get('dist_params') or {}).get('backend')
    return backend or ('nccl' if uses_cuda(opt.get('num_gpu', 'auto')) else 'gloo')


def _options_from_argv() -> dict:
    """The option file named by ``-opt`` on the command line (``{}`` if there is none or it does not parse)."""
    import yaml

    argv = sys.argv
    for flag in ('-opt', '--opt'):
        if flag in argv[:-1]:
            try:
                with open(argv[argv.index(flag) + 1], encoding='utf-8') as f:
                    opt = yaml.safe_load(f)
            except (OSError, yaml.YAMLError):
                return {}
            return opt if isinstance(opt, dict) else {}
    return {}


def init_dist(launcher: str, backend: str = None, port: int = None, **kwargs) -> None:
    """``basicsr.utils.dist_util.init_dist`` for GPU (NCCL) and CPU (gloo) processes alike.

    BasicSR passes no options for ``--launcher pytorch``, so ``num_gpu`` and ``dist_params.backend`` are read from
    the option file named by ``-opt`` on the command line; an explicit ``backend`` argument wins.
    """
    import torch.multiprocessing as mp

    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    opt = _options_from_argv()
    if backend is not None:
        opt['dist_params'] = dict(opt.get('dist_params') or {}, backend=backend)
    backend = dist_backend(opt)
    if backend not in DIST_BACKENDS:
        raise ValueError(f'dist_params.backend must be one of {DIST_BACKENDS}, got {backend!r}')
    if launcher == 'slurm':
        import subprocess

        proc_id, ntasks = int(os.environ['SLURM_PROCID']), int(os.environ['SLURM_NTASKS'])
        node_list = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_PORT'] = str(port) if port is not None else os.environ.get('MASTER_PORT', '29500')
        os.environ['WORLD_SIZE'], os.environ['RANK'] = str(ntasks), str(proc_id)
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', str(proc_id)))
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher}')
    if uses_cuda(opt.get('num_gpu', 'auto')):
        local_rank = int(os.environ.get('LOCAL_RANK', os.environ['RANK']))
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    elif backend == 'nccl':
        raise RuntimeError('dist_params.backend: nccl needs CUDA GPUs, and this run computes on the CPU '
                           '(num_gpu: 0 or no GPU visible); use backend: gloo or remove dist_params.backend')
    dist.init_process_group(backend=backend, **kwargs)


def model_to_device(self, net):
    """``BaseModel.model_to_device`` that also wraps CPU models in DistributedDataParallel."""
    if self.opt.get('dist') and self.device.type != 'cuda':
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(net.to(self.device),
                                       find_unused_parameters=self.opt.get('find_unused_parameters', False))
    return model_to_device.basicsr_original(self, net)


def apply() -> None:
    basicsr.utils.dist_util.init_dist = init_dist
    basicsr.utils.options.init_dist = init_dist
    if BaseModel.model_to_device is not model_to_device:
        model_to_device.basicsr_original = BaseModel.model_to_device
        BaseModel.model_to_device = model_to_device
