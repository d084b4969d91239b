"""The paper's schedule: periods of warm-up then cosine decay (WarmupCosineRestartLR)."""
import math

import pytest
import torch

from bebygan_plugin.models.lr_scheduler import WarmupCosineRestartLR


def _lrs(periods, warmup, steps, lr=1e-4, **kw):
    """The rate of each iteration as BasicSR uses it: the scheduler steps before iterations 2, 3, ..."""
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = WarmupCosineRestartLR(opt, periods, warmup_iter=warmup, **kw)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return lrs, sched


def test_each_period_warms_up_from_the_start_ratio_then_decays_with_a_cosine():
    lrs, _ = _lrs([100, 100, 100], warmup=10, steps=310, eta_min=0.0, warmup_start_ratio=0.1)
    assert lrs[0] == pytest.approx(1e-5)  # 0.1 x lr
    assert lrs[5] == pytest.approx(1e-4 * (0.1 + 0.9 * 5 / 10))  # linear
    assert lrs[10] == pytest.approx(1e-4)  # peak where the cosine starts
    assert lrs[55] == pytest.approx(0.5e-4 * (1 + math.cos(math.pi * 45 / 90)))
    assert lrs[99] < 1e-6  # bottom of the cosine
    assert lrs[100] == pytest.approx(1e-5) and lrs[110] == pytest.approx(1e-4)  # restart: warm-up again
    assert lrs[300:] == [0.0] * 10  # after the last period: eta_min


@pytest.mark.parametrize('start_ratio', [0.0, 0.1, 0.5])
@pytest.mark.parametrize('at_restart', [False, True])
def test_the_rate_never_leaves_eta_min_to_peak(start_ratio, at_restart):
    eta_min = 1e-6
    lrs, _ = _lrs([50, 30, 40], warmup=20, steps=130, eta_min=eta_min, warmup_start_ratio=start_ratio,
                  restart_weights=[1.0, 0.5, 0.25], eta_min_at_restart=at_restart)
    assert min(lrs) >= eta_min and max(lrs) <= 1e-4
    assert lrs[0] == pytest.approx(eta_min + (1e-4 - eta_min) * start_ratio)
    expected_restart = eta_min if at_restart else eta_min + (0.5e-4 - eta_min) * start_ratio
    assert lrs[50] == pytest.approx(expected_restart)  # first iteration of period 2
    assert lrs[51] == pytest.approx(eta_min + (0.5e-4 - eta_min) * (start_ratio + (1 - start_ratio) / 20))


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
    ({'periods': [10], 'warmup_start_ratio': 1.5}, 'warmup_start_ratio'),
    ({'periods': [10], 'eta_min': 1e-3}, 'above a period peak'),
    ({'periods': [10], 'eta_min_at_restart': 'yes'}, 'eta_min_at_restart'),
])
def test_bad_schedules_are_refused(kwargs, fragment):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)
    with pytest.raises(ValueError, match=fragment):
        WarmupCosineRestartLR(opt, **kwargs)
