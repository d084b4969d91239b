"""Counting what a piece of code asks of the host: dispatched aten operators (each one a kernel launch on a GPU) and
host syncs, on the CPU (used by the step tests and ``benchmarks.launch_count``)."""
import contextlib
from collections import Counter
from typing import Iterator

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.utils._python_dispatch import TorchDispatchMode

SYNC_OPS = ('_local_scalar_dense', 'tolist')  # .item() / bool() / float(); Tensor.tolist (not an aten operator)


class OpCounter(TorchDispatchMode):
    """Counts dispatched aten operators by ``overloadpacket.__name__`` while ``active``; paused in optimizer steps."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter = Counter()
        self.active = True

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if self.active:
            self.counts[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def syncs(self) -> int:
        return sum(self.counts[name] for name in SYNC_OPS)


@contextlib.contextmanager
def counting() -> Iterator[OpCounter]:
    """An active :class:`OpCounter`, paused between every optimizer's step pre- and post-hook."""
    counter = OpCounter()

    def pause(*_):
        counter.active = False

    def resume(*_):
        counter.active = True

    tolist = torch.Tensor.tolist

    def counted_tolist(tensor):  # reads device memory on a GPU (one sync) without dispatching an operator
        if counter.active:
            counter.counts['tolist'] += 1
        return tolist(tensor)

    handles = [register_optimizer_step_pre_hook(pause), register_optimizer_step_post_hook(resume)]
    torch.Tensor.tolist = counted_tolist
    try:
        with counter:
            yield counter
    finally:
        torch.Tensor.tolist = tolist
        for handle in handles:
            handle.remove()
