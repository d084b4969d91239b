"""The step controls of issue 23 in real BebyGANModel steps (tiny networks, real photo crops): gradient accumulation
against the full batch, gradient clipping, the adaptive discriminator, the named out-of-memory error, and no host
sync added to a step that does not print."""
import pytest
import torch

from bebygan_plugin.model_mixins.step_controls import TrainingOutOfMemory
from devtools.op_counts import counting
from devtools.photos import photo_batch
from devtools.recipe import build_in_process, tiny_recipe
from tests.helpers.cli import console_exit

PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')


def _model(tmp_path, name='controls', print_freq=1, **train):
    opt = tiny_recipe(name, batch=4, **{'train.ema_decay': 0, 'logger.print_freq': print_freq})
    opt['train'].update(train)
    return build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'training_states')


def _grads(net):
    return [p.grad.detach().clone() for p in net.parameters() if p.grad is not None]


def _step(model, batch, it=1):
    model.feed_data(batch)
    model.optimize_parameters(it)


@pytest.mark.parametrize('losses', ['best-buddy + back-projection', 'pixel (L1)'])
def test_an_accumulated_step_has_the_gradient_of_the_full_batch(tmp_path, losses):
    """G's gradient from the losses that are means over images (the GAN term weighted 0) equals the full batch's,
    for an even (2 x 2) and an uneven (2 + 1 + 1) split."""
    train = {'gan_opt': {'type': 'RelativisticAverageGANLoss', 'loss_weight': 0.0}}
    if losses == 'pixel (L1)':
        train.update(pixel_opt={'type': 'L1Loss', 'loss_weight': 1.0}, bp_opt=None)
    batch = photo_batch(PHOTOS, gt_size=32)
    full = _model(tmp_path, **train)
    _step(full, batch)
    reference = _grads(full.net_g)
    assert reference and any(g.abs().sum() > 0 for g in reference)
    for parts in (2, 3):
        model = _model(tmp_path, **train, accumulate=parts)
        _step(model, batch)
        grads = _grads(model.net_g)
        assert len(grads) == len(reference)
        for got, want in zip(grads, reference):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)
        for key in ('l_g_bb' if 'best' in losses else 'l_g_pix', 'l_g_total'):
            if key in full.log_dict:
                assert model.log_dict[key] == pytest.approx(full.log_dict[key], rel=1e-5)


def test_grad_clip_clips_the_global_norm_and_logs_the_norm_before(tmp_path):
    batch = photo_batch(PHOTOS, gt_size=32)
    free = _model(tmp_path)
    _step(free, batch)
    norms = {name: torch.linalg.vector_norm(torch.stack([g.norm() for g in _grads(net)])).item()
             for name, net in (('g', free.net_g), ('d', free.net_d))}
    clipped = _model(tmp_path, grad_clip=1e-3)
    _step(clipped, batch)
    for name, net in (('g', clipped.net_g), ('d', clipped.net_d)):
        assert norms[name] > 1e-3
        assert clipped.log_dict[f'grad_norm_{name}'] == pytest.approx(norms[name], rel=1e-4)
        after = torch.linalg.vector_norm(torch.stack([g.norm() for g in _grads(net)])).item()
        assert after == pytest.approx(1e-3, rel=1e-3)
    assert 'grad_norm_g' not in free.log_dict


def test_adaptive_d_skips_d_updates_while_its_loss_average_is_below_the_threshold(tmp_path, warnings_log):
    batch = photo_batch(PHOTOS, gt_size=32)
    winning = _model(tmp_path, adaptive_d={'threshold': 100.0})  # any RaGAN loss is below: D always skipped
    d_before = [p.detach().clone() for p in winning.net_d.parameters()]
    g_before = [p.detach().clone() for p in winning.net_g.parameters()]
    for it in (1, 2):
        _step(winning, batch, it)
    assert all(torch.equal(a, b) for a, b in zip(d_before, winning.net_d.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, winning.net_g.parameters()))
    assert winning.log_dict['d_updates_skipped'] == 2
    assert not warnings_log  # a deliberate skip is not a non-finite one
    learning = _model(tmp_path, adaptive_d={'threshold': 1e-6, 'ema_decay': 0.5})
    d_before = [p.detach().clone() for p in learning.net_d.parameters()]
    _step(learning, batch)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, learning.net_d.parameters()))
    assert learning.log_dict['d_updates_skipped'] == 0


def test_every_control_on_adds_no_host_sync_to_a_step_that_does_not_print(tmp_path):
    model = _model(tmp_path, print_freq=100, grad_clip=1.0, adaptive_d={'threshold': 0.1}, accumulate=2)
    model.feed_data(photo_batch(PHOTOS, gt_size=32))
    model.optimize_parameters(1)
    with counting() as counter:
        model.optimize_parameters(2)
        model.optimize_parameters(3)
    assert counter.syncs == 0, dict(counter.counts)
    log = model.get_current_log()
    assert {'grad_norm_g', 'grad_norm_d', 'd_updates_skipped', 'img_per_s'} <= set(log)
    assert log['img_per_s'] > 0 and 'peak_mem_gib' not in log  # peak memory: CUDA only


@pytest.mark.parametrize('stage, net', [('G', 'net_g'), ('D', 'net_d')])
def test_out_of_memory_in_a_step_is_named_with_what_to_change(tmp_path, stage, net):
    model = _model(tmp_path, accumulate=2)
    model.feed_data(photo_batch(PHOTOS, gt_size=32))
    model.optimize_parameters(1)
    def out_of_memory(module, args):
        if stage == 'G' or next(module.parameters()).requires_grad:  # D: in its own update, not in G's
            raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')

    getattr(model, net).register_forward_pre_hook(out_of_memory)
    with pytest.raises(TrainingOutOfMemory) as caught:
        model.optimize_parameters(2)
    message = str(caught.value)
    assert message.startswith(f'out of CPU memory in the {stage} pass of iteration 2 (CUDA out of memory. Tried')
    for words in ('datasets.train.batch_size_per_gpu 4, in 2 micro-batches', 'gt_size 32', 'train.amp off',
                  'train.accumulate: 2', 'checkpoints on disk are intact'):
        assert words in message


BAD_CONTROLS = {'grad_clip': -1.0, 'adaptive_d': {'threshold': 0.3, 'ema_decay': 1.5}, 'accumulate': 0}
BAD_MESSAGES = ('train.adaptive_d.ema_decay: must be a number in [0, 1], got 1.5',
                'train.accumulate: must be an integer >= 1, got 0')


def test_bad_controls_get_the_same_messages_from_the_preflight_and_the_model(tmp_path, workdir, monkeypatch, capsys):
    from bebygan_plugin import train
    from bebygan_plugin.problems import ProblemsFound
    from devtools.runs import write_options

    opt = tiny_recipe('bad_controls')
    opt['train'].update(BAD_CONTROLS)
    with pytest.raises(ProblemsFound) as built:
        build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'training_states')
    write_options(str(workdir / 'bad.yml'), opt)
    assert console_exit(train.main, '-opt', 'bad.yml', monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert not (workdir / 'experiments').exists()
    for message in BAD_MESSAGES:
        assert message in str(built.value) and message in err, (message, err[-2000:])
    opt['train'].update(adaptive_d={'threshold': 0.3}, accumulate=2)  # then the rule across keys: grad_clip >= 0
    with pytest.raises(ProblemsFound, match=r'train.grad_clip: must be a number >= 0 \(0: off\), got -1.0'):
        build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'training_states')
