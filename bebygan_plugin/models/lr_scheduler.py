"""The learning-rate schedule of the paper's Training Details: periods of linear warm-up then cosine decay."""
import math
from typing import Sequence

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class WarmupCosineRestartLR(LRScheduler):
    """Restarts every ``periods[k]`` iterations; each period warms up linearly for ``warmup_iter`` iterations to
    ``base_lr * restart_weights[k]`` and then decays with a cosine to ``eta_min``. After the last period the rate
    stays at ``eta_min``. Paper: 3 periods x 200K iterations from 1e-4.

    The rate is a closed-form function of the iteration, so resuming restores it exactly.
    """

    def __init__(self, optimizer: Optimizer, periods: Sequence[int], warmup_iter: int = 0,
                 restart_weights: Sequence[float] = None, eta_min: float = 1e-7, last_epoch: int = -1) -> None:
        self.periods = [int(p) for p in periods]
        self.restart_weights = [1.0] * len(self.periods) if restart_weights is None else list(restart_weights)
        if not self.periods or any(p <= 0 for p in self.periods):
            raise ValueError(f'WarmupCosineRestartLR periods must be positive iteration counts, got {periods}')
        if len(self.restart_weights) != len(self.periods):
            raise ValueError('WarmupCosineRestartLR restart_weights needs one weight per period: '
                             f'{len(self.restart_weights)} weights for {len(self.periods)} periods')
        if not 0 <= warmup_iter < min(self.periods):
            raise ValueError(f'WarmupCosineRestartLR warmup_iter must be in [0, shortest period); got {warmup_iter}')
        self.warmup_iter, self.eta_min = int(warmup_iter), eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, step: int) -> float:
        """The learning rate at 0-based iteration ``step``."""
        for period, weight in zip(self.periods, self.restart_weights):
            if step < period:
                peak = base_lr * weight
                if step < self.warmup_iter:
                    return peak * (step + 1) / self.warmup_iter
                progress = (step - self.warmup_iter) / (period - self.warmup_iter)
                return self.eta_min + 0.5 * (peak - self.eta_min) * (1 + math.cos(math.pi * progress))
            step -= period
        return self.eta_min

    def get_lr(self):
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]
