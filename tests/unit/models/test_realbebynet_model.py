"""RealBebyNetModel (stage 1) trains on BebyGANModel's step without a discriminator: G alone on its pixel loss, with
the same AMP, compile, NaN guard, step records without host syncs and crash-safe checkpoints as stage 2, its losses
and checkpoints under SRModel's names. Paired batches (``high_order_degradation: false``) isolate the step; the
synthesis is checked against BasicSR in ``tests/unit/degradations``."""
import pytest
import torch

from bebygan_plugin.schema.plugin_options import DISCRIMINATOR_KEYS
from devtools.op_counts import counting
from devtools.photos import SKIMAGE_PHOTOS, photo_batch
from devtools.recipe import build_in_process, tiny_recipe


def _stage_one(tmp_path=None, **train):
    opt = tiny_recipe('stage_one', **{'logger.print_freq': 100})
    opt.update(model_type='RealBebyNetModel', high_order_degradation=False)
    opt.pop('network_d')
    for key in DISCRIMINATOR_KEYS + ('bp_opt',):
        opt['train'].pop(key, None)
    opt['train']['pixel_opt'] = {'type': 'L1Loss', 'loss_weight': 1.0}
    opt['train'].update(train)
    folders = {} if tmp_path is None else {'models': tmp_path / 'models', 'training_states': tmp_path / 'states'}
    return build_in_process(opt, **folders)


def _weights(model):
    return [p.detach().clone() for p in model.net_g.parameters()]


def _batch(index: int) -> dict:
    """Two real photo crops, another pair for each index."""
    return photo_batch(SKIMAGE_PHOTOS[index % 5:index % 5 + 2] if index % 5 < 4 else SKIMAGE_PHOTOS[:2], gt_size=32)


def _train(model, steps: int):
    logs = []
    for step in range(1, steps + 1):
        model.feed_data(_batch(step))
        model.optimize_parameters(step)
        logs.append(dict(model.log_dict))
    return logs


def test_g_alone_without_host_syncs_and_srmodels_checkpoints_that_resume(tmp_path):
    model = _stage_one(tmp_path)
    assert model.net_d is None and len(model.optimizers) == len(model.grad_scalers) == 1
    before = _weights(model)
    model.feed_data(_batch(1))
    model.optimize_parameters(1)
    model.feed_data(_batch(2))
    with counting() as counter:
        model.optimize_parameters(2)
    assert counter.syncs == 0, dict(counter.counts)
    log = model.log_dict
    assert set(log) == {'l_pix', 'l_g_total'} and log['l_pix'] == pytest.approx(log['l_g_total'])
    assert not any(torch.equal(a, b) for a, b in zip(before, _weights(model)))

    model.save(0, 2)
    assert sorted(p.name for p in (tmp_path / 'models').iterdir()) == ['net_g_2.pth']
    assert torch.load(tmp_path / 'models' / 'net_g_2.pth').keys() == {'params', 'params_ema'}
    state = torch.load(tmp_path / 'states' / '2.state', weights_only=False)
    assert len(state['optimizers']) == len(state['schedulers']) == len(state['grad_scalers']) == 1
    resumed = _stage_one()
    resumed.resume_training(state)
    saved_adam = state['optimizers'][0]['state']
    for index, param_state in resumed.optimizers[0].state_dict()['state'].items():
        assert torch.equal(param_state['exp_avg'], saved_adam[index]['exp_avg'])


def test_bf16_autocast_runs_g_in_bf16_and_keeps_float32_weights():
    model = _stage_one(amp={'enabled': True, 'dtype': 'bf16'})
    before = _weights(model)
    log = _train(model, 1)[0]
    assert model.output.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in model.net_g.parameters())
    assert torch.isfinite(torch.tensor(log['l_pix'])) and not torch.equal(before[0], _weights(model)[0])


def test_a_nonfinite_step_is_skipped_and_too_many_stop_the_run(tmp_path, warnings_log):
    model = _stage_one(tmp_path, max_consecutive_nonfinite=2)
    _train(model, 1)
    bad = _batch(3)
    bad['lq'][0, 0, 0, 0] = float('nan')
    before = _weights(model)
    model.feed_data(bad)
    model.optimize_parameters(2)
    assert all(torch.equal(a, b) for a, b in zip(before, _weights(model)))
    model.get_current_log()
    assert len(warnings_log) == 1 and 'l_pix=nan' in warnings_log[0] and 'G update skipped' in warnings_log[0]
    model.optimize_parameters(3)
    with pytest.raises(RuntimeError, match='Stopping at iter 3: the losses were NaN/Inf in 2 consecutive'):
        model.save(0, 3)
    assert not (tmp_path / 'models').exists()


def test_compile_trains_as_eager():
    compiled, eager = _stage_one(compile={'backend': 'eager'}), _stage_one()
    eager.net_g.load_state_dict(compiled.net_g.state_dict())
    eager.net_g_ema.load_state_dict(compiled.net_g_ema.state_dict())
    counters = torch._dynamo.utils.counters
    counters.clear()
    for log, reference in zip(_train(compiled, 3), _train(eager, 3)):
        assert log == pytest.approx(reference, rel=1e-4)
    assert counters['stats']['unique_graphs'] == 1  # the G pass with its loss; no D pass
    torch.testing.assert_close(compiled.net_g.state_dict(), eager.net_g.state_dict(), rtol=1e-4, atol=1e-5)


def test_a_discriminator_key_or_no_loss_is_named_with_the_fix():
    from bebygan_plugin.schema import check_options

    opt = tiny_recipe('stage_one')
    opt.update(model_type='RealBebyNetModel', high_order_degradation=False)
    opt.pop('network_d')
    for key in ('optim_d', 'net_d_iters', 'net_d_init_iters', 'mask_opt', 'adaptive_d', 'bp_opt'):
        opt['train'].pop(key, None)
    messages = [str(p) for p in check_options(opt, whole_run=False)]
    assert messages == ['train.gan_opt: is for a discriminator; RealBebyNetModel (stage 1) has none: remove it']
    opt['train'].pop('gan_opt')
    opt['train'].pop('pixel_opt')
    messages = [str(p) for p in check_options(opt, whole_run=False)]
    assert messages == ['train.pixel_opt: required, or perceptual_opt']
