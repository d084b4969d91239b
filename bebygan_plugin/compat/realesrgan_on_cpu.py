"""Patch 8: BasicSR's ``RealESRGANModel`` (and ``RealESRNetModel``) on a machine without a GPU, and its degradation
on any device.

- its constructor moves the JPEG simulator and the unsharp mask with ``.cuda()``, and its training-pair pool
  allocates with ``.cuda()``: both follow the model's device instead (the pool is allocated on it before BasicSR's
  first ``_dequeue_and_enqueue`` would);
- its ``filter2D`` calls ``.view()`` on the non-contiguous output of ``DiffJPEG`` (the second blur fails with "view
  size is not compatible with input tensor's size and stride"): it gets a contiguous tensor (the same values).

The plugin's own degradation (``bebygan_plugin.degradations``) needs none of this.
"""
import torch
from basicsr.models import realesrgan_model, realesrnet_model
from basicsr.models.sr_model import SRModel
from basicsr.models.srgan_model import SRGANModel
from basicsr.utils import DiffJPEG, USMSharp
from basicsr.utils.img_process_util import filter2D

from .private_names import realesrgan_pair_pool, set_realesrgan_pair_pool

MODELS = ((realesrgan_model, realesrgan_model.RealESRGANModel, SRGANModel),
          (realesrnet_model, realesrnet_model.RealESRNetModel, SRModel))


def contiguous_filter2d(img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """BasicSR's ``filter2D`` on a contiguous copy of ``img`` when it is not contiguous."""
    return filter2D(img.contiguous(), kernel)


def device_init(parent):
    def __init__(self, opt):
        """BasicSR's constructor with the JPEG simulator and unsharp mask on the model's device."""
        parent.__init__(self, opt)
        self.jpeger = DiffJPEG(differentiable=False).to(self.device)
        self.usm_sharpener = USMSharp().to(self.device)
        self.queue_size = opt.get('queue_size', 180)
    return __init__


def device_pool(original):
    @torch.no_grad()
    def pool_on_device(self):
        """BasicSR's pool, allocated on the model's device first (BasicSR allocates it with ``.cuda()``)."""
        if not hasattr(self, 'queue_lr'):
            b, c, h, w = self.lq.size()
            assert self.queue_size % b == 0, f'queue size {self.queue_size} should be divisible by batch size {b}'
            self.queue_lr = torch.zeros(self.queue_size, c, h, w, device=self.device)
            self.queue_gt = torch.zeros(self.queue_size, *self.gt.shape[1:], device=self.device)
            self.queue_ptr = 0
        original(self)
    pool_on_device.basicsr_original = original
    return pool_on_device


def apply() -> None:
    for module, model, parent in MODELS:
        module.filter2D = contiguous_filter2d
        if not hasattr(realesrgan_pair_pool(model), 'basicsr_original'):
            model.__init__ = device_init(parent)
            set_realesrgan_pair_pool(model, device_pool(realesrgan_pair_pool(model)))
