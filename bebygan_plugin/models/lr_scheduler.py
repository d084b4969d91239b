"""The learning-rate schedule of the paper's Training Details: periods of linear warm-up then cosine decay."""
import math
from typing import Sequence

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class WarmupCosineRestartLR(LRScheduler):
    """Restarts every ``periods[k]`` iterations; each period warms up linearly for ``warmup_iter`` iterations and
    then decays with a cosine to ``eta_min``. After the last period the rate stays at ``eta_min``. Paper: 3 periods x
    200K iterations from 1e-4, "a warm-up and a cosine decay" (its length and start are from the authors' code).

    At iteration ``t`` of period ``k`` (0-based), with ``peak = base_lr * restart_weights[k]``::

        lr = eta_min + (peak - eta_min) * ratio
        ratio = s + (1 - s) * t / warmup_iter                            for t < warmup_iter, s = warmup_start_ratio
        ratio = (1 + cos(pi * (t - warmup_iter) / (periods[k] - warmup_iter))) / 2             for t >= warmup_iter

    so the rate never leaves ``[eta_min, peak]``. ``eta_min_at_restart`` runs the first iteration of every later
    period at ``eta_min`` instead (the warm-up goes on from its second iteration): the authors' scheduler does that,
    because its cosine reaches ``eta_min`` exactly at the period boundary. The rate is a closed-form function of the
    iteration, so resuming restores it exactly.

    Args:
        periods: iterations of each period (the authors' code lists cumulative ends: 200K, 400K, 600K).
        warmup_iter: linear warm-up iterations at the start of each period (authors' code: 2000).
        warmup_start_ratio: the warm-up's first rate as a fraction of the way from eta_min to the peak (default
            0.1, the authors' value; the paper gives none).
        restart_weights: peak multiplier of each period.
        eta_min: the floor of the cosine (authors' code: 1e-7).
        eta_min_at_restart: the authors' restart iteration at eta_min (see above).
    """

    def __init__(self, optimizer: Optimizer, periods: Sequence[int], warmup_iter: int = 0,
                 warmup_start_ratio: float = 0.1, restart_weights: Sequence[float] = None, eta_min: float = 1e-7,
                 eta_min_at_restart: bool = False, last_epoch: int = -1) -> None:
        self.periods = [int(p) for p in periods]
        self.restart_weights = [1.0] * len(self.periods) if restart_weights is None else list(restart_weights)
        if not self.periods or any(p <= 0 for p in self.periods):
            raise ValueError(f'WarmupCosineRestartLR periods must be positive iteration counts, got {periods}')
        if len(self.restart_weights) != len(self.periods):
            raise ValueError('WarmupCosineRestartLR restart_weights needs one weight per period: '
                             f'{len(self.restart_weights)} weights for {len(self.periods)} periods')
        if not 0 <= warmup_iter < min(self.periods):
            raise ValueError(f'WarmupCosineRestartLR warmup_iter must be in [0, shortest period); got {warmup_iter}')
        if not 0 <= warmup_start_ratio <= 1:
            raise ValueError(f'WarmupCosineRestartLR warmup_start_ratio must be in [0, 1]; got {warmup_start_ratio}')
        if not isinstance(eta_min_at_restart, bool):
            raise ValueError(f'WarmupCosineRestartLR eta_min_at_restart must be true or false; got '
                             f'{eta_min_at_restart!r}')
        lowest_peak = min(group.get('initial_lr', group['lr']) * w for group in optimizer.param_groups
                          for w in self.restart_weights)
        if lowest_peak < eta_min:
            raise ValueError(f'WarmupCosineRestartLR eta_min {eta_min} is above a period peak ({lowest_peak}); the '
                             'rate would rise during the cosine')
        self.warmup_iter, self.warmup_start_ratio = int(warmup_iter), float(warmup_start_ratio)
        self.eta_min, self.eta_min_at_restart = eta_min, eta_min_at_restart
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, step: int) -> float:
        """The learning rate at 0-based iteration ``step``."""
        for index, (period, weight) in enumerate(zip(self.periods, self.restart_weights)):
            if step < period:
                if step == 0 and index > 0 and self.eta_min_at_restart:
                    return self.eta_min
                if step < self.warmup_iter:
                    ratio = self.warmup_start_ratio + (1 - self.warmup_start_ratio) * step / self.warmup_iter
                else:
                    progress = (step - self.warmup_iter) / (period - self.warmup_iter)
                    ratio = 0.5 * (1 + math.cos(progress * math.pi))
                return (base_lr * weight - self.eta_min) * ratio + self.eta_min
            step -= period
        return self.eta_min

    def get_lr(self):
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

