"""Distributed runs: the start-up of the process group, and collective helpers that make a DDP training step
equal to one process on the global batch.

Start-up (:func:`init_dist`, which :mod:`bebygan_plugin.compat.distributed_on_cpu` installs in BasicSR): the
backend follows the device, NCCL when the run computes on CUDA, gloo on the CPU, unless the option file says
``dist_params: {backend: ...}`` (:func:`dist_backend`); each process is bound to GPU ``LOCAL_RANK`` only when CUDA
is used.

DDP averages gradients over ranks, which is exact for losses that are means over images. The relativistic GAN
losses (Eq. 7-9) are not: ``E[C(x_f)]`` is a mean over the batch, so each rank would use its own shard's mean.
:func:`gather_batch` builds the global batch of logits (the rank's own part keeps its autograd graph, the others'
parts are constants), and :func:`global_batch_loss` scales the gradient by the world size so that DDP's average of
the ranks' partial gradients is the gradient of the global-batch loss. All helpers are no-ops in one process.
"""
import os
import sys
from typing import Tuple

import torch
from torch import distributed as dist

from ..schema.basicsr_options import DIST_BACKENDS


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


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank_and_world() -> Tuple[int, int]:
    """``(rank, world size)`` of this process; ``(0, 1)`` outside a distributed run."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_batch(tensor: torch.Tensor) -> torch.Tensor:
    """Every rank's ``tensor`` concatenated along dim 0 in rank order; gradients flow into this rank's part only.

    All ranks must call it with tensors of the same shape (BasicSR's training loader drops the last partial batch).
    """
    size = world_size()
    if size == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(size)]
    dist.all_gather(parts, tensor.detach().contiguous())
    parts[dist.get_rank()] = tensor
    return torch.cat(parts, dim=0)


def global_batch_loss(loss: torch.Tensor) -> torch.Tensor:
    """``loss`` (computed on the global batch) with its gradient multiplied by the world size.

    The value is unchanged, so logs match a single process; DDP divides the summed gradients by the world size.
    """
    size = world_size()
    if size == 1:
        return loss
    return loss * size - loss.detach() * (size - 1)


def finish() -> None:
    """End a distributed run cleanly: wait for every rank (rank 0 saves and validates last), then destroy the process
    group, so that no rank exits while others still use it (a gloo rank exiting with a live group can abort)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
