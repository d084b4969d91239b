"""The end of a distributed run (its start is BasicSR's ``init_dist``, replaced by
:func:`bebygan_plugin.compat.distributed_on_cpu.init_dist`)."""
from torch import distributed as dist


def finish() -> None:
    """End a distributed run cleanly: wait for every rank (rank 0 saves and validates last), then destroy the process
    group, so that no rank exits while others still use it (a gloo rank exiting with a live group can abort)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
