"""What the GAN does, in pictures: at each validation a few fixed crops go to TensorBoard (and so to wandb, which
BasicSR starts with ``sync_tensorboard``) as strips ``LR (upscaled) | SR | GT | texture mask``.

The first :data:`STRIPS` images of each validation set (the validation loader does not shuffle: the same images
every time) give a centred crop of at most :data:`CROP` HR pixels; the LR crop is enlarged by pixel repetition
(nearest), so the strip shows what the network was given. The texture mask (Eq. 5) is computed on the whole image
with the run's ``train.mask_opt`` and then cropped; without ``mask_opt`` its panel is grey. Strips are made only
when BasicSR has a TensorBoard logger (``logger.use_tb_logger``), from the visuals BasicSR's validation computes
anyway; scalars are unchanged. Tags: ``val_strips/<dataset>/<GT image name>``.
"""
from os import path as osp
from typing import List, Optional, Tuple

import torch

STRIPS = 4
CROP = 128


def centre_box(height: int, width: int, scale: int, crop: int = CROP) -> Tuple[int, int, int]:
    """``(top, left, size)`` of the centred square crop of at most ``crop`` pixels, on the LR grid (multiples of
    ``scale``) so that LR and HR crops cover the same area."""
    size = max(scale, min(crop, height, width) // scale * scale)
    return (height - size) // 2 // scale * scale, (width - size) // 2 // scale * scale, size


def strip(lq: torch.Tensor, sr: torch.Tensor, gt: torch.Tensor, mask: Optional[torch.Tensor], scale: int,
          crop: int = CROP) -> torch.Tensor:
    """``LR (upscaled) | SR | GT | mask`` side by side, CHW in [0, 1] (one image of each, ``[1, C, H, W]``)."""
    top, left, size = centre_box(gt.shape[-2], gt.shape[-1], scale, crop)

    def cut(img, step=1):
        return img[0, :, top // step:(top + size) // step, left // step:(left + size) // step]

    lr = cut(lq, scale).repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)
    panel = torch.full_like(cut(gt), 0.5) if mask is None else cut(mask).expand(gt.shape[1], -1, -1)
    return torch.cat([lr, cut(sr), cut(gt), panel], dim=-1).clamp(0, 1).float().cpu()


class ValidationStripsMixin:
    """For a BasicSR SR model: collects :func:`strip` of the first :data:`STRIPS` validation images and writes them
    to the TensorBoard logger after BasicSR's validation (module docstring)."""

    validation_strips: Optional[List[Tuple[str, torch.Tensor]]] = None

    def feed_data(self, data) -> None:
        super().feed_data(data)
        self.strip_paths = data.get('gt_path') or data.get('lq_path')

    def get_current_visuals(self):
        visuals = super().get_current_visuals()
        if self.validation_strips is not None and len(self.validation_strips) < STRIPS and 'gt' in visuals:
            mask = self.compute_texture_mask() if getattr(self, 'mask_opt', None) else None
            name = osp.splitext(osp.basename(self.strip_paths[0]))[0] if self.strip_paths else \
                str(len(self.validation_strips))
            self.validation_strips.append((name, strip(visuals['lq'], visuals['result'], visuals['gt'],
                                                       None if mask is None else mask.cpu(), self.opt['scale'])))
        return visuals

    def nondist_validation(self, dataloader, current_iter, tb_logger, save_img):
        self.validation_strips = [] if tb_logger is not None else None
        try:
            super().nondist_validation(dataloader, current_iter, tb_logger, save_img)
            for name, image in self.validation_strips or []:
                tb_logger.add_image(f'val_strips/{dataloader.dataset.opt["name"]}/{name}', image, current_iter)
        finally:
            self.validation_strips = None
        if hasattr(self, 'restart_throughput'):
            self.restart_throughput()  # the next log line's img/s counts training steps only
