"""Controls of a GAN training step that belong to no one model (issue 23): gradient clipping, the adaptive
discriminator, gradient accumulation, a named out-of-memory error, and throughput / peak memory in the log.

:class:`StepControlsMixin` gives a BasicSR GAN model (``BebyGANModel`` and its subclasses) the pieces its
``optimize_parameters`` is built from; each is off by default (``train.grad_clip``, ``train.adaptive_d``,
``train.accumulate``, declared in :mod:`bebygan_plugin.schema`) and, like the NaN guard of
:mod:`bebygan_plugin.model_mixins.step_records`, decides on the device: no control reads a value back to the host.

- ``grad_clip``: ``clip_grad_norm_`` of the optimizer's parameters after the backward (after unscaling, under an fp16
  GradScaler), before the update; the norm before clipping is logged (``grad_norm_g``, ``grad_norm_d``).
- ``adaptive_d``: a running average of D's loss (``ema_decay``) kept on the device; while it is below ``threshold``
  D's update is skipped through the same ``found_inf`` flag the NaN guard uses (an fp16 GradScaler's scale is left
  as it was: a skip is not an overflow). ``d_updates_skipped`` counts the skipped updates since the run (re)started.
- ``accumulate: N``: :meth:`micro_batches` splits the batch into N parts; each part's loss is weighted by its share
  of the batch and back-propagated, and the optimizer steps once. For losses that are means over images (pixel,
  best-buddy, back-projection, perceptual) that is the full-batch gradient; the relativistic averages of RaGAN
  (Eq. 7-9) span a micro-batch instead (``docs/training.md`` gives the measured difference). Under DDP the
  gradients are all-reduced once, at the last micro-batch.
- out of memory: :meth:`named_out_of_memory` turns ``torch.OutOfMemoryError`` in a stage of the step into
  :class:`TrainingOutOfMemory`, naming the stage, the batch and crop size and what to change.
- throughput: images per second over the last ``print_freq`` interval (validations left out; the host has waited
  for the device when it prints, so the interval is exact), and on CUDA the peak allocated memory, in the log line
  and TensorBoard (``img_per_s``, ``peak_mem_gib``; :meth:`get_current_log`), not in ``log_dict``.
"""
import contextlib
import time
from typing import Iterator, List, Optional, Tuple

import torch

from .distributed import world_size


class TrainingOutOfMemory(RuntimeError):
    """The device ran out of memory in a training step; the message names the stage, the sizes and the fix."""


class StepControlsMixin:
    """See the module docstring. ``setup_step_controls(settings)`` from ``init_training_settings``."""

    def setup_step_controls(self, settings: dict) -> None:
        self.grad_clip = float(settings['grad_clip'] or 0)
        self.adaptive_d = settings.get('adaptive_d')  # None also for a model without D
        self.accumulate = int(settings['accumulate'])
        self.d_loss_average: Optional[torch.Tensor] = None
        self.d_updates_skipped = torch.zeros((), device=self.device)
        self.restart_throughput()

    # ------------------------------------------------------------------------------------------ accumulation
    # the batch's tensors a micro-batch takes its share of (those the model has): a subclass that keeps another
    # per-image tensor (e.g. an unsharp-masked GT) adds its name
    micro_batch_keys: Tuple[str, ...] = ('lq', 'gt', 'gt_usm')

    def micro_batches(self) -> Iterator[Tuple[float, bool]]:
        """Sets ``self.lq``, ``self.gt`` (and the other :attr:`micro_batch_keys` the model has) to each of the
        ``train.accumulate`` parts of the batch in turn (fewer when the batch is smaller), yielding ``(weight,
        last)`` (the part's share of the batch, whether it is the last part), and puts the whole batch back after
        the last."""
        if self.accumulate == 1:
            yield 1.0, True
            return
        whole = {key: getattr(self, key) for key in self.micro_batch_keys if hasattr(self, key)}
        size = len(whole['lq'])
        parts = [dict(zip(whole, tensors)) for tensors in zip(*(t.tensor_split(self.accumulate) for t in
                                                                  whole.values())) if len(tensors[0])]
        try:
            for index, part in enumerate(parts):
                for key, tensor in part.items():
                    setattr(self, key, tensor)
                yield len(part['lq']) / size, index == len(parts) - 1
        finally:
            for key, tensor in whole.items():
                setattr(self, key, tensor)

    def without_gradient_sync(self, net, last: bool):
        """DDP's ``no_sync`` for every micro-batch but the last (one all-reduce per update)."""
        if last or not hasattr(net, 'no_sync'):
            return contextlib.nullcontext()
        return net.no_sync()

    # ------------------------------------------------------------------------------------------ clipping
    def clip_gradients(self, optimizer: torch.optim.Optimizer) -> Optional[torch.Tensor]:
        """Clip the global gradient norm of ``optimizer``'s parameters to ``train.grad_clip`` (no-op when 0); returns
        the norm before clipping (a device tensor) or None."""
        if not self.grad_clip:
            return None
        params = [p for group in optimizer.param_groups for p in group['params'] if p.grad is not None]
        return torch.nn.utils.clip_grad_norm_(params, self.grad_clip, foreach=True)

    # ------------------------------------------------------------------------------------------ adaptive D
    def adaptive_d_skip(self, l_d: torch.Tensor) -> Optional[torch.Tensor]:
        """``1.0`` when D's update is to be skipped (its running loss average is below ``adaptive_d.threshold``),
        else ``0.0``, on the device; None when ``train.adaptive_d`` is off. A non-finite loss leaves the average."""
        if not self.adaptive_d:
            return None
        loss = l_d.detach().float()
        if self.d_loss_average is None:
            average = loss
        else:
            decay = self.adaptive_d['ema_decay']
            average = self.d_loss_average * decay + loss * (1 - decay)
        self.d_loss_average = torch.where(torch.isfinite(average), average,
                                          loss if self.d_loss_average is None else self.d_loss_average)
        skip = (self.d_loss_average < self.adaptive_d['threshold']).float()
        self.d_updates_skipped += skip
        return skip

    # ------------------------------------------------------------------------------------------ out of memory
    @contextlib.contextmanager
    def named_out_of_memory(self, stage: str, current_iter: int) -> Iterator[None]:
        """Around one stage of the step (``'G'``: generator pass, losses, backward and update; ``'D'``: the same for
        the discriminator): an out-of-memory error becomes :class:`TrainingOutOfMemory` saying what to change."""
        try:
            yield
        except torch.OutOfMemoryError as err:
            raise TrainingOutOfMemory(self.out_of_memory_message(stage, current_iter, err)) from err

    def out_of_memory_message(self, stage: str, current_iter: int, err: BaseException) -> str:
        train_set = (self.opt.get('datasets') or {}).get('train') or {}
        batch, gt_size = train_set.get('batch_size_per_gpu', len(self.gt)), train_set.get('gt_size', self.gt.shape[-1])
        micro = f', in {self.accumulate} micro-batches' if self.accumulate > 1 else ''
        amp = 'on' if getattr(self, 'amp_dtype', None) is not None else 'off'
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return (f'out of {self.device.type.upper()} memory in the {stage} pass of iteration {current_iter} '
                f'({first_line}): datasets.train.batch_size_per_gpu {batch}{micro}, gt_size {gt_size} '
                f'({batch} x {gt_size}x{gt_size} HR crops per process), train.amp {amp}. To fit, lower '
                'datasets.train.batch_size_per_gpu or gt_size, turn on train.amp ({enabled: true, dtype: bf16}), '
                'or set train.accumulate: 2 (the same batch in two micro-batches). The checkpoints on disk are '
                'intact; continue with --auto_resume.')

    # ------------------------------------------------------------------------------------------ throughput
    def count_images(self) -> None:
        """Host-side: this step's images, all processes together (no device access)."""
        self.images_since_read += len(self.lq) * world_size()

    def get_current_log(self):
        """The model's log (BasicSR's log line and TensorBoard at each ``print_freq``) with :meth:`throughput_log`."""
        log = dict(super().get_current_log())  # the step records' read: the host has waited for the device
        log.update(self.throughput_log())
        return log

    def throughput_log(self) -> List[Tuple[str, float]]:
        """``img_per_s`` since the last call or validation (data loading and periodic saves included), and on CUDA
        ``peak_mem_gib``, the peak memory allocated by tensors so far."""
        now = time.perf_counter()
        values = [('img_per_s', self.images_since_read / max(now - self.last_read_time, 1e-9))]
        self.restart_throughput(now)
        if self.device.type == 'cuda':
            values.append(('peak_mem_gib', torch.cuda.max_memory_allocated(self.device) / 2 ** 30))
        return values

    def restart_throughput(self, now: Optional[float] = None) -> None:
        self.images_since_read, self.last_read_time = 0, time.perf_counter() if now is None else now
