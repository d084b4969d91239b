"""A training step that does not print never waits for the device: no ``.item()`` / ``bool(tensor)`` / ``tolist``
in ``optimize_parameters`` (counted with a dispatch mode, as ``benchmarks.launch_count`` does), a non-finite step is
skipped on the device, and everything the host reports (losses, warnings, the stop) comes at the next read: BasicSR's
log (``get_current_log``, every ``print_freq``), a checkpoint save, or too many unread steps."""
import pytest
import torch

from bebygan_plugin.model_mixins.step_records import StepRecords, nonfinite_flag, skips_on_device, step_without_sync
from devtools.op_counts import counting
from devtools.photos import photo_batch
from devtools.recipe import build_in_process, tiny_recipe


def _model(tmp_path, print_freq=100, **train):
    opt = tiny_recipe('syncs', **{'logger.print_freq': print_freq})
    opt['train'].update(train)
    return build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'training_states')


def _params(model):
    return [p.detach().clone() for net in (model.net_g, model.net_d) for p in net.parameters()]


def test_steps_that_do_not_print_read_nothing_back_and_the_log_reads_once(tmp_path):
    model = _model(tmp_path)
    assert all(skips_on_device(o) for o in model.optimizers)  # Adam is built fused
    model.feed_data(photo_batch(gt_size=32))
    model.optimize_parameters(1)  # warm-up: optimizer state
    with counting() as counter:
        model.optimize_parameters(2)
        model.optimize_parameters(3)
    assert counter.syncs == 0, dict(counter.counts)
    with counting() as counter:
        log = model.get_current_log()
    assert counter.counts['tolist'] == 1 and counter.syncs == 1
    assert set(log) >= {'l_g_bb', 'l_g_bp', 'l_g_gan', 'l_g_total', 'l_d', 'out_d_real', 'out_d_fake', 'mask_ratio'}
    assert all(isinstance(v, float) for v in log.values())
    assert log['l_g_total'] == pytest.approx(log['l_g_bb'] + log['l_g_bp'] + log['l_g_gan'], rel=1e-6)
    assert model.step_records.pending == 0


def test_a_nonfinite_step_is_skipped_on_the_device_and_reported_at_the_next_log(tmp_path, warnings_log):
    model = _model(tmp_path, max_consecutive_nonfinite=2)
    good, bad = photo_batch(gt_size=32), photo_batch(gt_size=32)
    bad['lq'][0, 0, 0, 0] = float('nan')
    model.feed_data(good)
    model.optimize_parameters(1)
    before = _params(model)
    steps = {id(o): [s['step'].clone() for s in o.state.values()] for o in model.optimizers}
    model.feed_data(bad)
    with counting() as counter:
        model.optimize_parameters(2)
    assert counter.syncs == 0 and not warnings_log
    assert all(torch.equal(a, b) for a, b in zip(before, _params(model)))
    for o in model.optimizers:  # the fused step leaves Adam's step count as it was
        assert all(torch.equal(a, s['step']) for a, s in zip(steps[id(o)], o.state.values()))
    model.get_current_log()
    assert [m.split(':')[0] for m in warnings_log] == ['iter 2', 'iter 2']
    assert 'G update skipped (1 iteration(s) in a row' in warnings_log[0] and 'D update skipped' in warnings_log[1]
    model.optimize_parameters(3)
    with pytest.raises(RuntimeError, match='Stopping at iter 3: the losses were NaN/Inf in 2 consecutive'):
        model.save(0, 3)  # a save reads the records first: no checkpoint past the limit
    assert not (tmp_path / 'models').exists()


def test_unread_steps_are_read_every_print_freq_steps_even_if_nothing_prints(tmp_path, warnings_log):
    model = _model(tmp_path, print_freq=3)
    bad = photo_batch(gt_size=32)
    bad['gt'][:] = float('inf')
    model.feed_data(bad)
    for it in (1, 2, 3):
        model.optimize_parameters(it)
    assert model.step_records.pending == 3 and not warnings_log
    model.optimize_parameters(4)  # three unread steps: this one reads them first
    assert model.step_records.pending == 1 and len(warnings_log) == 6


def test_an_optimizer_that_cannot_skip_on_the_device_is_stepped_from_the_host(tmp_path):
    model = _model(tmp_path, **{'optim_g': {'type': 'Adam', 'lr': 1e-3, 'fused': False},
                                'optim_d': {'type': 'Adam', 'lr': 1e-3, 'foreach': True}})
    assert not any(skips_on_device(o) for o in model.optimizers)
    bad = photo_batch(gt_size=32)
    bad['lq'][:] = float('nan')
    model.feed_data(bad)
    before = _params(model)
    with counting() as counter:
        model.optimize_parameters(1)
    assert counter.counts['_local_scalar_dense'] == 2  # one read of each update's flag
    assert all(torch.equal(a, b) for a, b in zip(before, _params(model)))
    assert all(not o.state for o in model.optimizers)
    assert model.nonfinite_streak == 1


def test_resuming_a_checkpoint_of_non_fused_optimizers_keeps_them_fused(tmp_path):
    old = _model(tmp_path, **{'optim_g': {'type': 'Adam', 'lr': 1e-3, 'foreach': True}})
    old.feed_data(photo_batch(gt_size=32))
    old.optimize_parameters(1)
    state = old.training_state_dict(0, 1)
    model = _model(tmp_path)
    model.resume_training(state)
    assert all(skips_on_device(o) for o in model.optimizers)
    assert all(s['step'].item() == 1 for o in model.optimizers for s in o.state.values())
    model.feed_data(photo_batch(gt_size=32))
    model.optimize_parameters(2)
    assert all(s['step'].item() == 2 for o in model.optimizers for s in o.state.values())


def test_nonfinite_flag_and_records():
    assert nonfinite_flag(torch.tensor(2.5)).item() == 0.0
    for bad in (float('nan'), float('inf'), -float('inf')):
        flag = nonfinite_flag(torch.tensor(bad))
        assert flag.dtype == torch.float32 and flag.item() == 1.0
    records = StepRecords()
    records.record(7, {'l_a': torch.tensor(1.5), 'l_b': torch.tensor(2.0, dtype=torch.bfloat16)},
                   {'G': torch.tensor(0.0), 'D': torch.tensor(1.0)})
    records.record(8, {'l_d': torch.tensor(float('nan'))}, {'D': torch.tensor(1.0)})
    first, second = records.read()
    assert first[0] == 7 and dict(first[1]) == {'l_a': 1.5, 'l_b': 2.0} and first[2] == ['D']
    assert second[0] == 8 and list(second[1]) == ['l_d'] and second[2] == ['D']
    assert records.pending == 0 and records.read() == []


@pytest.mark.parametrize('scaled', [False, True])
def test_step_without_sync_skips_a_fused_update_on_a_flag(scaled):
    param = torch.nn.Parameter(torch.ones(4))
    optimizer = torch.optim.Adam([param], lr=0.1, fused=True)
    scaler = torch.amp.GradScaler('cpu', enabled=scaled, init_scale=8.0)
    for flag, moves in ((0.0, True), (1.0, False)):
        before = param.detach().clone()
        scaler.scale((param * 2).sum()).backward()  # finite gradients: only the flag can skip
        step_without_sync(optimizer, scaler, torch.tensor(flag))
        optimizer.zero_grad()
        assert moves != torch.equal(before, param.detach())
    assert optimizer.state[param]['step'].item() == 1
    if scaled:
        assert scaler.get_scale() == 4.0  # the flagged step lowered the scale, as an inf gradient would
