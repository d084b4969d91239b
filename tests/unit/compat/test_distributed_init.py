"""Compat patch 5 (``bebygan_plugin.compat.distributed_on_cpu``), in process: the distributed backend follows the
device, CPU models get a CPU DDP wrapper, and the DDP helpers of the model are exact no-ops in one process."""
import pytest
import torch
from torch import distributed as dist

from bebygan_plugin.compat import distributed_on_cpu
from bebygan_plugin.model_mixins import distributed


@pytest.mark.parametrize('opt, expected', [
    ({'num_gpu': 0}, 'gloo'),
    ({'num_gpu': 0, 'dist_params': {'backend': 'mpi'}}, 'mpi'),
    ({'num_gpu': 'auto', 'dist_params': {'port': 29500}}, 'nccl' if torch.cuda.is_available() else 'gloo'),
    ({'num_gpu': 1, 'dist_params': {'backend': 'gloo'}}, 'gloo'),
])
def test_backend_follows_the_device_unless_the_options_name_one(opt, expected):
    assert distributed_on_cpu.dist_backend(opt) == expected


def test_basicsr_uses_the_patched_init_dist_and_model_to_device():
    import basicsr.utils.dist_util
    import basicsr.utils.options
    from basicsr.models.base_model import BaseModel

    assert basicsr.utils.options.init_dist is distributed_on_cpu.init_dist
    assert basicsr.utils.dist_util.init_dist is distributed_on_cpu.init_dist
    assert BaseModel.model_to_device is distributed_on_cpu.model_to_device


@pytest.mark.skipif(not dist.is_available(), reason='torch.distributed unavailable')
def test_init_dist_on_a_cpu_machine_uses_gloo_and_wraps_cpu_ddp(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    opt_file = tmp_path / 'o.yml'
    opt_file.write_text('num_gpu: 0\n')
    monkeypatch.setattr('sys.argv', ['train.py', '-opt', str(opt_file), '--launcher', 'pytorch'])
    for key, value in {'RANK': '0', 'LOCAL_RANK': '0', 'WORLD_SIZE': '1', 'MASTER_ADDR': '127.0.0.1',
                       'MASTER_PORT': str(port)}.items():
        monkeypatch.setenv(key, value)
    distributed_on_cpu.init_dist('pytorch')  # BasicSR's own would divide by torch.cuda.device_count() == 0 here
    try:
        assert dist.get_backend() == 'gloo'

        class Model:
            opt = {'dist': True, 'num_gpu': 0}
            device = torch.device('cpu')

        wrapped = distributed_on_cpu.model_to_device(Model(), torch.nn.Linear(2, 1))
        assert isinstance(wrapped, torch.nn.parallel.DistributedDataParallel)
        assert wrapped.device_ids is None
        x = torch.randn(4, 2, requires_grad=True)
        assert torch.equal(distributed.gather_batch(x), x)  # world size 1: nothing to gather
    finally:
        dist.destroy_process_group()


def test_nccl_on_a_cpu_run_is_refused_with_advice(tmp_path, monkeypatch):
    opt_file = tmp_path / 'o.yml'
    opt_file.write_text('num_gpu: 0\ndist_params:\n  backend: nccl\n')
    monkeypatch.setattr('sys.argv', ['train.py', '-opt', str(opt_file)])
    monkeypatch.setenv('RANK', '0')
    with pytest.raises(RuntimeError, match='use backend: gloo'):
        distributed_on_cpu.init_dist('pytorch')


def test_global_batch_loss_keeps_the_value_and_scales_the_gradient(monkeypatch):
    monkeypatch.setattr(distributed, 'world_size', lambda: 4)
    x = torch.tensor(3.0, requires_grad=True)
    loss = distributed.global_batch_loss(x * x)
    loss.backward()
    assert loss.item() == 9.0 and x.grad.item() == 4 * 6.0
