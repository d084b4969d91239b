"""Collective helpers that make a DDP training step equal to one process on the global batch.

DDP averages gradients over ranks, which is exact for losses that are means over images. The relativistic GAN
losses (Eq. 7-9) are not: ``E[C(x_f)]`` is a mean over the batch, so each rank would use its own shard's mean.
:func:`gather_batch` builds the global batch of logits (the rank's own part keeps its autograd graph, the others'
parts are constants), and :func:`global_batch_loss` scales the gradient by the world size so that DDP's average of
the ranks' partial gradients is the gradient of the global-batch loss. All helpers are no-ops in one process.
The process group itself is started by :func:`bebygan_plugin.compat.distributed_on_cpu.init_dist` and ended by
:func:`bebygan_plugin.run_control.process_group.finish`.
"""
from typing import Tuple

import torch
from torch import distributed as dist


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
