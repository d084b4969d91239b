"""One BebyGANModel training step against its definition, in process on real photo crops with tiny networks.

The references are written here from the equations and the authors' training loop: G is updated first (with the
discriminator as it was before this iteration), then D (on this iteration's fake, detached); real and fake go
through D in separate passes with the same texture mask; the logged ``l_g_total`` is Eq. 10.
"""
import copy

import pytest
import torch
from torch.nn import functional as F

from bebygan_plugin.ops.imresize import imresize_bicubic
from bebygan_plugin.ops.texture_mask import texture_mask
from conftest import build_in_process, photo_batch, tiny_bebygan_options

VGG_D = {'type': 'MaskedVGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 4, 'input_size': 64}


def _options(**overrides):
    opt = tiny_bebygan_options('step', '/unused', total_iter=10, **overrides)
    opt['train']['ema_decay'] = 0
    return opt


def _bce(logits, real: bool):
    """-E[log sigmoid(x)] for a real target, -E[log(1 - sigmoid(x))] for a fake one."""
    return -(F.logsigmoid(logits) if real else F.logsigmoid(-logits)).mean()


def _ragan_reference(c_real, c_fake, for_discriminator: bool):
    """Eq. 7 / Eq. 8 with D-bar of Eq. 9 (sums of the two terms, the paper's form)."""
    rel_real, rel_fake = c_real - c_fake.mean(), c_fake - c_real.mean()
    if for_discriminator:
        return _bce(rel_real, True) + _bce(rel_fake, False)
    return _bce(rel_real, False) + _bce(rel_fake, True)


def _value(log, key):
    return float(log[key])


def test_g_is_updated_before_d_with_separate_real_and_fake_passes(monkeypatch):
    """G's GAN term uses D before its update; D trains on the fake of G before its update; BatchNorm statistics of
    the VGG-style D are those of the real batch alone and of the fake batch alone."""
    model = build_in_process(_options(network_d=dict(VGG_D)))
    batch = photo_batch()
    model.feed_data(batch)
    g_before, d_before = copy.deepcopy(model.net_g), copy.deepcopy(model.net_d)
    order = []
    for name, optimizer in zip('GD', model.optimizers):
        step = optimizer.step
        monkeypatch.setattr(optimizer, 'step', lambda *a, _step=step, _name=name, **k: (order.append(_name),
                                                                                       _step(*a, **k))[1])
    model.optimize_parameters(1)
    log = model.get_current_log()
    assert order == ['G', 'D']

    with torch.no_grad():
        fake = g_before(batch['lq'])
        mask = texture_mask(batch['gt'])
        c_real, c_fake = d_before(batch['gt'] * mask), d_before(fake * mask)  # train mode: batch statistics
        mixed = d_before(torch.cat([batch['gt'], fake]) * torch.cat([mask, mask]))
    assert torch.equal(model.output.detach(), fake)
    assert _value(log, 'l_g_gan') == pytest.approx(0.005 * _ragan_reference(c_real, c_fake, False).item(), rel=1e-5)
    assert _value(log, 'l_d') == pytest.approx(_ragan_reference(c_real, c_fake, True).item(), rel=1e-5)
    assert _value(log, 'out_d_real') == pytest.approx(c_real.mean().item(), rel=1e-5)
    assert _value(log, 'out_d_fake') == pytest.approx(c_fake.mean().item(), rel=1e-5)
    # one concatenated pass would have normalised real and fake together: visibly other logits
    assert not torch.allclose(mixed[:2], c_real, atol=1e-3)
    for before, after in ((g_before, model.net_g), (d_before, model.net_d)):
        assert any(not torch.equal(a, b) for a, b in zip(before.parameters(), after.parameters()))


def test_d_step_sees_a_detached_fake():
    """net_d_init_iters = 1: iteration 1 trains D only, and its loss must not reach G."""
    model = build_in_process(_options(**{'network_d': dict(VGG_D), 'train.net_d_init_iters': 1}))
    model.feed_data(photo_batch())
    g_before = copy.deepcopy(model.net_g)
    model.optimize_parameters(1)
    assert all(p.grad is None or not p.grad.any() for p in model.net_g.parameters())
    assert all(torch.equal(a, b) for a, b in zip(g_before.parameters(), model.net_g.parameters()))
    assert any(p.grad is not None and p.grad.any() for p in model.net_d.parameters())
    assert 'l_d' in model.get_current_log() and 'l_g_gan' not in model.get_current_log()


@pytest.mark.parametrize('network_d', [
    {'type': 'MaskedUNetDiscriminator', 'num_in_ch': 3, 'num_feat': 8, 'mask_logits': True},
    {'type': 'UNetDiscriminatorSN', 'num_in_ch': 3, 'num_feat': 8},  # BasicSR's: the model masks its inputs
])
def test_real_and_fake_get_the_same_mask_in_every_pass(network_d):
    model = build_in_process(_options(network_d=network_d))
    batch = photo_batch()
    model.feed_data(batch)
    expected = model.compute_texture_mask()
    assert 0 < expected.mean() < 1
    bare = model.get_bare_model(model.net_d)
    calls = []
    forward = bare.forward
    bare.forward = lambda x, *args, **kwargs: (calls.append((x.detach().clone(), kwargs.get('mask'))),
                                               forward(x, *args, **kwargs))[1]
    model.optimize_parameters(1)
    assert len(calls) == 4  # G step: real (no graph) + fake; D step: real + fake
    for index, (x, mask) in enumerate(calls):
        if model.d_takes_mask:
            assert torch.equal(mask, expected), index
            assert x.shape == batch['gt'].shape
        else:  # the model multiplied the input by the mask itself
            flat = (expected == 0).expand_as(x)
            assert mask is None and torch.all(x[flat] == 0), index
    real_inputs = [x for x, _ in calls[::2]]
    assert all(torch.equal(x, real_inputs[0]) for x in real_inputs)  # passes 1 and 3 are the real batch
