"""A training step that never waits for the device: what it logs and whether it skipped an update stay on the device
until the host asks (BasicSR's ``print_freq``), and the skip itself is decided on the device.

- :func:`nonfinite_flag`: ``1.0`` when a loss total is NaN/Inf (on any DDP rank), else ``0.0``, as a float32 tensor
  on the device: what a fused optimizer's ``found_inf`` takes.
- :func:`step_without_sync`: ``optimizer.step()`` that skips the update on the device when the flag is set: fused
  optimizers (``torch.optim.Adam(fused=True)``) take the flag as ``found_inf`` (the update, and the step count,
  are left as they were, as ``GradScaler`` does for inf gradients); an fp16 ``GradScaler`` gets it added to its own
  inf check. Other optimizers read the flag on the host (one sync) and skip the call.
- :class:`StepRecords`: per step, the logged values and the skip flags as one small tensor on the device, read back
  in one transfer when the host asks (``read``).
"""
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import distributed as dist

from ..compat.private_names import grad_scaler_found_inf
from .distributed import world_size


def nonfinite_flag(total: torch.Tensor) -> torch.Tensor:
    """``1.0`` where ``total`` (a sum of loss terms: non-finite when one of them is) is NaN/Inf on this or any other
    DDP rank, else ``0.0``; float32 on ``total``'s device, computed without reading anything back."""
    flag = torch.where(torch.isfinite(total), 0.0, 1.0).float()
    if world_size() > 1:
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return flag


def skips_on_device(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step()`` can skip its update from a device flag (``found_inf``: the fused optimizers)."""
    return bool(getattr(optimizer, '_step_supports_amp_scaling', False)) and all(
        group.get('fused') for group in optimizer.param_groups)


def step_without_sync(optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, found_inf: torch.Tensor,
                      skip: Optional[torch.Tensor] = None,
                      before_step: Optional[Callable[[], None]] = None) -> None:
    """``scaler.step(optimizer); scaler.update()`` that leaves the parameters, the optimizer state and its step count
    untouched when ``found_inf`` is 1 (the gradients came from a non-finite loss) or ``skip`` is 1 (a deliberate
    skip, e.g. the adaptive discriminator's: an fp16 GradScaler does not lower its scale for it).

    The caller has run ``scaler.scale(loss).backward()``; ``before_step`` runs on the unscaled gradients right
    before the update (gradient clipping). See the module docstring for how each optimizer skips.
    """
    if not skips_on_device(optimizer):
        skipped = found_inf if skip is None else torch.maximum(found_inf, skip)
        if not skipped.item():  # a host sync: this optimizer cannot take the decision on the device
            if before_step is not None:
                scaler.unscale_(optimizer)
                before_step()
            scaler.step(optimizer)
            scaler.update()
        return
    if scaler.is_enabled():
        scaler.unscale_(optimizer)
        if before_step is not None:
            before_step()
        # GradScaler keeps its inf check per optimizer and device; step() hands their sum to the fused optimizer
        # as found_inf and update() lowers the scale, so the loss flag joins that check (as a maximum: the fused
        # kernels skip on exactly 1); the skip joins it for the step only.
        found_per_device = list(grad_scaler_found_inf(scaler, optimizer))
        checks = []
        for found in found_per_device:
            checks.append(torch.maximum(found, found_inf.to(found.device)))
            found.copy_(checks[-1] if skip is None else torch.maximum(checks[-1], skip.to(found.device)))
        scaler.step(optimizer)
        if skip is not None:
            for found, check in zip(found_per_device, checks):
                found.copy_(check)
        scaler.update()
        return
    if before_step is not None:
        before_step()
    optimizer.found_inf = found_inf if skip is None else torch.maximum(found_inf, skip)
    try:
        optimizer.step()
    finally:
        del optimizer.found_inf


class StepRecords:
    """The values a step logs and its skip flags, one float32 row per step kept on the device until :meth:`read`.

    ``record(current_iter, values, flags)``: ``values`` an ordered mapping of 0-dim tensors (losses, D outputs),
    ``flags`` of the steps' skip flags (``'G'``, ``'D'``). Under DDP the row is averaged over the ranks (one
    all-reduce, no host sync), so every rank logs the global means (BasicSR's ``reduce_loss_dict`` gives them to rank
    0 only). ``read()`` returns ``[(iter, values, skipped updates)]`` of the steps recorded since the last read, as
    floats, in one transfer; ``pending`` is how many there are, ``steps_recorded`` how many were recorded in all.
    """

    def __init__(self) -> None:
        self.entries: List[Tuple[int, Tuple[str, ...], Tuple[str, ...], torch.Tensor]] = []
        self.steps_recorded = 0

    @property
    def pending(self) -> int:
        return len(self.entries)

    @torch.no_grad()
    def record(self, current_iter: int, values: Dict[str, torch.Tensor], flags: Dict[str, torch.Tensor]) -> None:
        row = torch.stack([v.float() if v.dtype != torch.float32 else v for v in (*values.values(), *flags.values())])
        size = world_size()
        if size > 1:
            dist.all_reduce(row)
            row = row / size
        self.entries.append((current_iter, tuple(values), tuple(flags), row))
        self.steps_recorded += 1

    def read(self) -> List[Tuple[int, Dict[str, float], List[str]]]:
        if not self.entries:
            return []
        numbers = torch.cat([row for *_, row in self.entries]).tolist()  # the one host sync
        steps, offset = [], 0
        for current_iter, keys, flag_keys, row in self.entries:
            values = numbers[offset:offset + len(keys)]
            flags = numbers[offset + len(keys):offset + row.numel()]
            offset += row.numel()
            steps.append((current_iter, OrderedDict(zip(keys, values)),
                          [name for name, flag in zip(flag_keys, flags) if flag > 0]))
        self.entries = []
        return steps
