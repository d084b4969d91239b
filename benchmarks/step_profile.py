"""Where a training step's time goes: per-part wall-clock times of a BasicSR GAN model's own step, from hooks.

Nothing in the model changes: hooks on its modules (``net_g``, ``net_d``, ``cri_pix``, ``cri_bp``,
``cri_perceptual``, ``cri_gan``), wrappers on two of its methods (``compute_texture_mask``, ``model_ema``) and
pre/post hooks on its optimizers time each part of ``optimize_parameters``:

- forward: from the module's forward pre-hook to its forward hook;
- backward, per ``backward()`` call: from the moment the gradient of the module's output is ready to the moment the
  gradients of its inputs (through an identity view given to the module) or of its own parameters are accumulated.
  The CPU autograd engine runs the ready node with the highest sequence number first, so the backward of modules
  called one after the other runs as contiguous, disjoint blocks in reverse order; each block is one interval.

Hooks synchronise the device (CUDA) at every boundary, so a profiled step is a little slower than a plain one: the
step ratio comes from unhooked steps (``harness.time_ab``); this table says where the difference is.
"""
import contextlib
import statistics
from collections import defaultdict
from typing import Callable, Dict, List

import torch

from . import harness

# (part, model attribute) of the modules whose forward and backward are timed; absent attributes are skipped.
MODULE_PARTS = (('G', 'net_g'), ('D', 'net_d'), ('pixel loss', 'cri_pix'), ('BP loss', 'cri_bp'),
                ('perceptual loss', 'cri_perceptual'), ('GAN loss', 'cri_gan'))
# (part, model method) timed as a whole (no autograd graph of their own).
METHOD_PARTS = (('texture mask', 'compute_texture_mask'), ('EMA', 'model_ema'))
# The table's rows, in order: (row label, part, phase)
ROWS = (('G fwd', 'G', 'fwd'), ('G bwd', 'G', 'bwd'), ('D fwd', 'D', 'fwd'), ('D bwd', 'D', 'bwd'),
        ('pixel loss fwd (BBL / L1)', 'pixel loss', 'fwd'), ('pixel loss bwd (BBL / L1)', 'pixel loss', 'bwd'),
        ('BP loss fwd', 'BP loss', 'fwd'), ('BP loss bwd', 'BP loss', 'bwd'),
        ('texture mask', 'texture mask', 'fwd'),
        ('perceptual fwd (VGG19)', 'perceptual loss', 'fwd'), ('perceptual bwd (VGG19)', 'perceptual loss', 'bwd'),
        ('GAN loss fwd+bwd', 'GAN loss', 'both'), ('optimizer steps (Adam)', 'optimizer', 'fwd'),
        ('EMA', 'EMA', 'fwd'), ('other backward (loss sums, masking)', 'backward', 'rest'),
        ('other (zero_grad, requires_grad, logs)', 'step', 'rest'))


def _tensors(values) -> List[torch.Tensor]:
    return [v for v in values if isinstance(v, torch.Tensor)]


class StepProfiler:
    """Installs the hooks on ``model``; ``step(it)`` runs one profiled ``optimize_parameters`` and returns the
    seconds per (part, phase) of that step, plus ``('step', 'total')`` and ``('backward', 'total')``."""

    def __init__(self, model, device, clock: str = 'wall'):
        self.model, self.device, self.clock = model, torch.device(device), harness.clock_for(clock, device)
        self.handles, self.restore = [], []
        self.fwd = defaultdict(float)
        self.bwd_marks = defaultdict(list)  # (segment, part) -> [(kind, time)]
        self.backward_total = 0.0
        self.segment = 0
        for part, attr in MODULE_PARTS:
            module = getattr(model, attr, None)
            if isinstance(module, torch.nn.Module):
                self._hook_module(part, module)
        for part, attr in METHOD_PARTS:
            if hasattr(model, attr):
                self._wrap_method(part, attr)
        for optimizer in model.optimizers:
            self.handles.append(optimizer.register_step_pre_hook(lambda *_: self._start('optimizer')))
            self.handles.append(optimizer.register_step_post_hook(lambda *_: self._stop('optimizer')))
        self.started = {}

    def now(self) -> float:
        harness.synchronize(self.device)
        return self.clock()

    def _start(self, part: str) -> None:
        self.started[part] = self.now()

    def _stop(self, part: str) -> None:
        self.fwd[part] += self.now() - self.started.pop(part)

    def _mark(self, part: str, kind: str) -> Callable:
        def hook(*_):
            self.bwd_marks[(self.segment, part)].append((kind, self.now()))
        return hook

    def _hook_module(self, part: str, module: torch.nn.Module) -> None:
        def pre_hook(_, args):
            self._start(part)
            if not torch.is_grad_enabled():
                return None
            new_args = []
            for a in args:
                if isinstance(a, torch.Tensor) and a.requires_grad:
                    a = a.view_as(a)  # only this module consumes the view: its gradient ends this module's backward
                    a.register_hook(self._mark(part, 'end'))
                new_args.append(a)
            return tuple(new_args)

        def post_hook(_, args, output):
            self._stop(part)
            outputs = output if isinstance(output, (tuple, list)) else [output]
            for out in _tensors(outputs):
                if out.requires_grad:
                    out.register_hook(self._mark(part, 'start'))

        self.handles.append(module.register_forward_pre_hook(pre_hook))
        self.handles.append(module.register_forward_hook(post_hook))
        for param in module.parameters():
            if param.requires_grad:  # trainable (the discriminator's are switched off and on by the step itself)
                self.handles.append(param.register_post_accumulate_grad_hook(self._mark(part, 'end')))

    def _wrap_method(self, part: str, attr: str) -> None:
        original = getattr(self.model, attr)

        def timed(*args, **kwargs):
            self._start(part)
            try:
                return original(*args, **kwargs)
            finally:
                self._stop(part)

        setattr(self.model, attr, timed)
        self.restore.append(attr)

    @contextlib.contextmanager
    def _segmented_backward(self):
        """Each ``torch.autograd.backward`` call (``Tensor.backward`` goes through it) is its own segment."""
        original = torch.autograd.backward

        def backward(*args, **kwargs):
            self.segment += 1
            start = self.now()
            try:
                return original(*args, **kwargs)
            finally:
                self.backward_total += self.now() - start

        torch.autograd.backward = backward
        try:
            yield
        finally:
            torch.autograd.backward = original

    def step(self, current_iter: int) -> Dict[tuple, float]:
        self.fwd.clear()
        self.bwd_marks.clear()
        self.backward_total = 0.0
        with self._segmented_backward():
            start = self.now()
            self.model.optimize_parameters(current_iter)
            total = self.now() - start
        times = {(part, 'fwd'): t for part, t in self.fwd.items()}
        for (_, part), marks in self.bwd_marks.items():
            starts = [t for kind, t in marks if kind == 'start']
            ends = [t for kind, t in marks if kind == 'end']
            if starts and ends:
                times[(part, 'bwd')] = times.get((part, 'bwd'), 0.0) + max(ends) - min(starts)
        times[('step', 'total')] = total
        times[('backward', 'total')] = self.backward_total
        return times

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        for attr in self.restore:
            delattr(self.model, attr)  # the instance attribute: the class's method shows through again
        self.handles, self.restore = [], []


def table_rows(times: Dict[tuple, float]) -> Dict[str, float]:
    """Seconds per ``ROWS`` label from one step's ``StepProfiler.step`` figures (rows of absent parts: 0)."""
    bwd_parts = {part for part, phase in times if phase == 'bwd'}
    rows = {}
    for label, part, phase in ROWS:
        if phase == 'both':
            rows[label] = times.get((part, 'fwd'), 0.0) + times.get((part, 'bwd'), 0.0)
        elif phase == 'rest' and part == 'backward':
            rows[label] = times[('backward', 'total')] - sum(times[(p, 'bwd')] for p in bwd_parts)
        elif phase == 'rest':
            rows[label] = times[('step', 'total')] - times[('backward', 'total')] - sum(
                t for (p, ph), t in times.items() if ph == 'fwd')
        else:
            rows[label] = times.get((part, phase), 0.0)
    rows['step total'] = times[('step', 'total')]
    return rows


def profile_side_by_side(models: Dict[str, object], device, steps: int, first_iter: int = 10 ** 6,
                         clock: str = 'wall') -> Dict:
    """``steps`` profiled steps of each model, alternated; the median seconds per row for each model."""
    profilers = {name: StepProfiler(model, device, clock) for name, model in models.items()}
    samples = {name: defaultdict(list) for name in models}
    order = list(models)
    try:
        for rep in range(steps):
            for name in (order if rep % 2 == 0 else order[::-1]):
                for label, seconds in table_rows(profilers[name].step(first_iter + rep)).items():
                    samples[name][label].append(seconds)
    finally:
        for profiler in profilers.values():
            profiler.remove()
    return {name: {label: statistics.median(v) for label, v in rows.items()} for name, rows in samples.items()}
