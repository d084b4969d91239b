"""The paper's schedule: periods of warm-up then cosine decay (WarmupCosineRestartLR)."""
import math

import pytest
import torch

from bebygan_plugin.models.lr_scheduler import WarmupCosineRestartLR


def _lrs(periods, warmup, steps, **kw):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    sched = WarmupCosineRestartLR(opt, periods, warmup_iter=warmup, **kw)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return lrs, sched


def test_each_period_warms_up_then_decays_with_a_cosine():
    lrs, _ = _lrs([100, 100, 100], warmup=10, steps=310, eta_min=0.0)
    assert lrs[0] == pytest.approx(1e-5)  # 1/10 of the way up
    assert lrs[9] == pytest.approx(1e-4)  # peak at the end of the warm-up
    assert lrs[55] == pytest.approx(0.5e-4 * (1 + math.cos(math.pi * 45 / 90)))
    assert lrs[99] < 1e-6  # bottom of the cosine
    assert lrs[100] == pytest.approx(1e-5) and lrs[109] == pytest.approx(1e-4)  # restart: warm-up again
    assert lrs[300:] == [0.0] * 10  # after the last period: eta_min


def test_restart_weights_and_state_round_trip():
    lrs, sched = _lrs([50, 50], warmup=0, steps=60, restart_weights=[1.0, 0.5], eta_min=1e-7)
    assert lrs[50] == pytest.approx(0.5e-4)
    opt2 = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    resumed = WarmupCosineRestartLR(opt2, [50, 50], restart_weights=[1.0, 0.5], eta_min=1e-7)
    resumed.load_state_dict(sched.state_dict())
    opt2.step()
    resumed.step()
    sched.optimizer.step()
    sched.step()
    assert opt2.param_groups[0]['lr'] == pytest.approx(sched.optimizer.param_groups[0]['lr'])


@pytest.mark.parametrize('kwargs, fragment', [
    ({'periods': []}, 'periods'),
    ({'periods': [10], 'warmup_iter': 10}, 'warmup_iter'),
    ({'periods': [10, 10], 'restart_weights': [1]}, 'one weight per period'),
])
def test_bad_schedules_are_refused(kwargs, fragment):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    with pytest.raises(ValueError, match=fragment):
        WarmupCosineRestartLR(opt, **kwargs)
