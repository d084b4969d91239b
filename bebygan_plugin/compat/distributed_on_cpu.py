"""Patch 5: distributed runs (``--launcher pytorch`` under ``torch.distributed.run``, or ``slurm``) on GPUs and CPUs.

BasicSR's ``init_dist`` always uses NCCL and calls ``torch.cuda.set_device(rank % torch.cuda.device_count())``
(ZeroDivisionError without a GPU), and ``BaseModel.model_to_device`` wraps DDP with
``device_ids=[torch.cuda.current_device()]``. BasicSR's ``init_dist`` is replaced by
:func:`bebygan_plugin.training.distributed.init_dist` (the backend follows the device), and :func:`model_to_device`
wraps CPU models in DDP without ``device_ids``, leaving GPU runs to BasicSR.
"""
import basicsr.utils.dist_util
import basicsr.utils.options
from basicsr.models.base_model import BaseModel

from ..training.distributed import init_dist


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
