"""Under DDP the step's device-side decisions are global: a loss that is non-finite on one rank sets the skip flag on
every rank (one all-reduce, no host sync), and the recorded values are the ranks' means, on every rank. Two gloo
processes on the CPU."""
import socket

import pytest
import torch
from torch import distributed as dist
from torch import multiprocessing as mp

from bebygan_plugin.model_mixins.step_records import StepRecords, nonfinite_flag


def _rank(rank: int, port: int, results) -> None:
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        loss = torch.tensor(float('nan') if rank == 0 else 2.0)
        flag = nonfinite_flag(loss)
        records = StepRecords()
        records.record(5, {'l_d': torch.tensor(1.0 + rank)}, {'D': nonfinite_flag(torch.tensor(3.0))})
        (step,) = records.read()
        results.put((rank, flag.item(), dict(step[1]), step[2]))
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason='torch.distributed unavailable')
def test_the_skip_flag_is_global_and_the_records_are_rank_means():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    context = mp.get_context('fork')  # the children need nothing new: no re-import
    results = context.Queue()
    procs = [context.Process(target=_rank, args=(rank, port, results)) for rank in range(2)]
    for proc in procs:
        proc.start()
    got = sorted(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert [g[1] for g in got] == [1.0, 1.0]  # rank 1's loss is finite, but rank 0's is not: both skip
    assert [g[2] for g in got] == [{'l_d': 1.5}, {'l_d': 1.5}] and [g[3] for g in got] == [[], []]
