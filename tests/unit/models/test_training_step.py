"""One BebyGANModel training step against its definition, in process on real photo crops with tiny networks.

The references are written here from the equations and the authors' training loop: G is updated first (with the
discriminator as it was before this iteration), then D (on this iteration's fake, detached); real and fake go
through D in separate passes with the same texture mask; the logged ``l_g_total`` is Eq. 10.
"""
import contextlib
import copy
import math

import pytest
import torch
from torch.nn import functional as F

from bebygan_plugin.ops.imresize import imresize_bicubic
from bebygan_plugin.ops.texture_mask import texture_mask
from devtools.photos import photo_batch
from tests.helpers.random_weights import use_random_vgg19
from devtools.recipe import build_in_process, skimage_recipe, tiny_recipe

VGG_D = {'type': 'MaskedVGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 4, 'input_size': 64}


def _options(**overrides):
    return tiny_recipe('step', total_iter=10, **{'train.ema_decay': 0, **overrides})


def _bce(logits, real: bool):
    """-E[log sigmoid(x)] for a real target, -E[log(1 - sigmoid(x))] for a fake one."""
    return -(F.logsigmoid(logits) if real else F.logsigmoid(-logits)).mean()


def _ragan_reference(c_real, c_fake, for_discriminator: bool):
    """Eq. 7 / Eq. 8 with D-bar of Eq. 9 (sums of the two terms, the paper's form)."""
    rel_real, rel_fake = c_real - c_fake.mean(), c_fake - c_real.mean()
    if for_discriminator:
        return _bce(rel_real, True) + _bce(rel_fake, False)
    return _bce(rel_real, False) + _bce(rel_fake, True)


def _masked_mean(x, mask):
    """E over the textured pixels: ``sum(x * M) / sum(M)``."""
    mask = mask.expand_as(x)
    return (x * mask).sum() / mask.sum()


def _masked_ragan_reference(c_real, c_fake, mask, for_discriminator: bool):
    """Eq. 7 / Eq. 8 with D-bar of Eq. 9 for per-pixel logits: every expectation (the relativistic means and the
    two BCE terms) is the mean over the textured pixels of the mask."""
    rel_real, rel_fake = c_real - _masked_mean(c_fake, mask), c_fake - _masked_mean(c_real, mask)

    def bce(logits, real: bool):
        return _masked_mean(-(F.logsigmoid(logits) if real else F.logsigmoid(-logits)), mask)

    if for_discriminator:
        return bce(rel_real, True) + bce(rel_fake, False)
    return bce(rel_real, False) + bce(rel_fake, True)


def _value(log, key):
    return float(log[key])


def _non_bicubic_lr(gt):
    """An LR that is NOT the bicubic of the GT (4x4 box average plus noise, 8-bit), as real training pairs are:
    a model comparing its estimate with S(GT) instead of the LR input gives a visibly different Eq. 4."""
    gen = torch.Generator().manual_seed(0)
    lq = F.avg_pool2d(gt, 4) + 0.03 * torch.randn(gt.shape[0], 3, gt.shape[-2] // 4, gt.shape[-1] // 4, generator=gen)
    return lq.clamp(0, 1).mul(255).round().div(255)


def _perceptual_reference(features, output, gt, layer_weights, perceptual_weight):
    """Eq. 6: ``lambda_3 * sum_l w_l * mean|phi_l(x) - phi_l(gt)|`` on VGG19 conv3_4 / conv4_4 / conv5_4 (before their
    ReLU: torchvision's layers 16, 25, 34) of ImageNet-normalised inputs."""
    index = {'conv3_4': 16, 'conv4_4': 25, 'conv5_4': 34}
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def phi(x):
        taken, x = {}, (x - mean) / std
        for i, layer in enumerate(features[:max(index.values()) + 1]):
            x = layer(x)
            taken.update({name: x.clone() for name, at in index.items() if at == i})  # the ReLUs are in place
        return taken

    ours, theirs = phi(output), phi(gt)
    return perceptual_weight * sum(w * (ours[k] - theirs[k]).abs().mean() for k, w in layer_weights.items())


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


def test_logged_total_is_eq_10_and_is_what_g_is_trained_on(monkeypatch):
    """l_g_total = lambda_1 L_BB + lambda_2 L_BP + lambda_3 L_P + lambda_4 L_G (distinct lambdas), each logged term
    already weighted, and G's gradient is the gradient of that sum. L_BP compares with the LR input, which here is not
    the bicubic of the GT; L_P runs on a randomly initialised VGG19 (ImageNet weights cannot be downloaded here)."""
    lambdas = {'pixel_opt': 0.3, 'bp_opt': 2.0, 'gan_opt': 0.01}
    vgg_features = use_random_vgg19(monkeypatch)
    opt = tiny_recipe('step', total_iter=10, perceptual=True, **{
        'train.ema_decay': 0, 'network_d': dict(VGG_D), 'train.perceptual_opt.perceptual_weight': 0.7,
        **{f'train.{key}.loss_weight': value for key, value in lambdas.items()}})
    layer_weights = opt['train']['perceptual_opt']['layer_weights']  # the recipe's: Eq. 6
    assert layer_weights == {'conv3_4': 0.125, 'conv4_4': 0.25, 'conv5_4': 0.5}
    model = build_in_process(opt)
    batch = photo_batch()
    batch['lq'] = _non_bicubic_lr(batch['gt'])
    model.feed_data(batch)
    net_g, net_d = copy.deepcopy(model.net_g), copy.deepcopy(model.net_d)
    model.optimize_parameters(1)
    log = model.get_current_log()

    from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss

    for p in net_d.parameters():
        p.requires_grad = False
    output = net_g(batch['lq'])
    mask = texture_mask(batch['gt'])
    terms = {'l_g_bb': lambdas['pixel_opt'] * BestBuddyLoss(loss_weight=1.0)(output, batch['gt']),
             'l_g_bp': lambdas['bp_opt'] * F.l1_loss(imresize_bicubic(output, 1 / 4), batch['lq']),
             'l_g_percep': _perceptual_reference(vgg_features[0], output, batch['gt'], layer_weights, 0.7),
             'l_g_gan': lambdas['gan_opt'] * _ragan_reference(net_d(batch['gt'] * mask).detach(),
                                                              net_d(output * mask), False)}
    with torch.no_grad():  # the data tell the LR input from the GT's bicubic apart (Eq. 4)
        bp_against_gt = lambdas['bp_opt'] * F.l1_loss(imresize_bicubic(output, 1 / 4),
                                                      imresize_bicubic(batch['gt'], 1 / 4))
    assert abs(bp_against_gt / terms['l_g_bp'] - 1) > 1e-3  # 100x the tolerance below
    total = sum(terms.values())
    total.backward()
    for key, value in terms.items():
        assert _value(log, key) == pytest.approx(value.item(), rel=1e-5), key
    assert 'l_g_style' not in log
    assert _value(log, 'l_g_total') == pytest.approx(sum(_value(log, k) for k in terms), rel=1e-6)
    assert _value(log, 'l_g_total') == pytest.approx(total.item(), rel=1e-5)
    for (name, ours), theirs in zip(model.net_g.named_parameters(), net_g.parameters()):
        torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-4, atol=1e-9, msg=name)


def test_masked_unet_d_losses_are_averages_over_the_textured_pixels():
    """The recipe's discriminator (MaskedUNetDiscriminator, mask_logits: true) gives per-pixel logits zeroed on flat
    pixels; l_g_gan and l_d must then be Eq. 8 and Eq. 7 with every expectation taken over the textured pixels only
    (weighted by the texture mask), computed here from BasicSR's U-Net forward on the masked images."""
    from basicsr.archs.discriminator_arch import UNetDiscriminatorSN

    opt = _options()
    assert opt['network_d']['type'] == 'MaskedUNetDiscriminator' and opt['network_d']['mask_logits']
    model = build_in_process(opt)
    batch = photo_batch()
    model.feed_data(batch)
    g_before, d_before = copy.deepcopy(model.net_g), copy.deepcopy(model.net_d)
    model.optimize_parameters(1)
    log = model.get_current_log()

    with torch.no_grad():
        mask = texture_mask(batch['gt'])
        fake = g_before(batch['lq'])
        # the model's four passes in order (G step: real, fake; D step: real, fake): spectral norm's power
        # iteration advances at each training-mode pass
        c = [UNetDiscriminatorSN.forward(d_before, x * mask) * mask for x in (batch['gt'], fake, batch['gt'], fake)]
    assert 0.2 < mask.mean() < 0.9 and c[0].shape == mask.shape  # per-pixel logits, textured and flat pixels
    l_g_gan = 0.005 * _masked_ragan_reference(c[0], c[1], mask, False)
    l_d = _masked_ragan_reference(c[2], c[3], mask, True)
    assert _value(log, 'l_g_gan') == pytest.approx(l_g_gan.item(), rel=1e-5)
    assert _value(log, 'l_d') == pytest.approx(l_d.item(), rel=1e-5)
    assert _value(log, 'mask_ratio') == pytest.approx(mask.mean().item(), rel=1e-6)
    # plain means over every pixel (the flat ones counted with logit 0) are far from it: the weights matter here
    assert abs(0.005 * _ragan_reference(c[0], c[1], False).item() / l_g_gan.item() - 1) > 1e-3
    assert abs(_ragan_reference(c[2], c[3], True).item() / l_d.item() - 1) > 1e-3


def test_custom_luma_weights_give_their_own_mask():
    """mask_opt.luma_weights (here BT.709's, which move a few dozen pixels of these crops across the threshold):
    the model's mask is Eq. 5 on that luminance, not on the default BT.601 one."""
    weights = (0.2126, 0.7152, 0.0722)
    model = build_in_process(_options(**{'train.mask_opt.luma_weights': list(weights)}))
    batch = photo_batch()
    model.feed_data(batch)
    gt = batch['gt'].double()
    gray = sum(w * gt[:, c:c + 1] for c, w in enumerate(weights))
    std = F.unfold(F.pad(gray, (5,) * 4, mode='reflect'), 11).std(dim=1, unbiased=False).view(gray.shape)
    expected = (std >= 0.025).float()
    mask = model.compute_texture_mask()
    near = (std - 0.025).abs() < 1e-9
    assert torch.equal(mask[~near], expected[~near])
    assert (mask != texture_mask(batch['gt'])).sum() >= 10  # differs from the BT.601 mask


def test_net_d_iters_and_net_d_init_iters_schedule_the_g_updates():
    """BasicSR's semantics: G trains at iterations with iter % net_d_iters == 0 and iter > net_d_init_iters; D
    trains at every iteration."""
    model = build_in_process(_options(**{'train.net_d_iters': 2, 'train.net_d_init_iters': 2}))
    model.feed_data(photo_batch())
    trained = []
    for iteration in range(1, 7):
        before = [[p.detach().clone() for p in net.parameters()] for net in (model.net_g, model.net_d)]
        model.optimize_parameters(iteration)
        changed = [any(not torch.equal(a, b) for a, b in zip(params, net.parameters()))
                   for params, net in zip(before, (model.net_g, model.net_d))]
        assert ('l_g_total' in model.get_current_log()) == changed[0], iteration
        trained.append(changed)
    assert trained == [[False, True], [False, True], [False, True], [True, True], [False, True], [True, True]]


def test_mask_from_the_bicubic_upsampled_lr():
    """mask_opt.source: lq_bicubic: Eq. 5 on the LR, bicubic-upsampled to the GT size and clamped to [0, 1]."""
    model = build_in_process(_options(**{'train.mask_opt.source': 'lq_bicubic'}))
    batch = photo_batch()
    model.feed_data(batch)
    upsampled = F.interpolate(batch['lq'], scale_factor=4, mode='bicubic', align_corners=False)
    assert upsampled.max() > 1 or upsampled.min() < 0  # bicubic overshoots: the clamp matters
    expected = texture_mask(upsampled.clamp(0, 1))
    mask = model.compute_texture_mask()
    assert torch.equal(mask, expected)
    assert not torch.equal(mask, texture_mask(batch['gt']))
    model.mask_opt['clamp_source'] = False
    assert torch.equal(model.compute_texture_mask(), texture_mask(upsampled))


def test_validation_runs_the_ema_generator(skimage_pairs):
    from basicsr.data import build_dataset
    from basicsr.metrics.psnr_ssim import calculate_psnr
    from basicsr.utils import tensor2img

    opt = skimage_recipe('step', skimage_pairs, 10, **{'train.ema_decay': 0.5})
    opt['datasets']['val'].update(phase='val', scale=4)
    opt['val'] = {'val_freq': 1, 'save_img': False,
                  'metrics': {'psnr': {'type': 'calculate_psnr', 'crop_border': 4, 'test_y_channel': True}}}
    model = build_in_process(opt)
    with torch.no_grad():  # G drifts away from its average: a brighter output
        model.net_g.conv_last.bias.add_(0.3)
    val_set = build_dataset(opt['datasets']['val'])
    model.validation(torch.utils.data.DataLoader(val_set, batch_size=1), 1, None, False)
    sample = val_set[0]
    with torch.no_grad():
        by_net = {name: calculate_psnr(tensor2img(net(sample['lq'][None])), tensor2img(sample['gt']), 4,
                                       test_y_channel=True) for name, net in (('ema', model.net_g_ema),
                                                                              ('g', model.net_g))}
    assert abs(by_net['ema'] - by_net['g']) > 0.1
    assert model.metric_results['psnr'] == pytest.approx(by_net['ema'], abs=1e-9)


def test_batchnorm_d_update_survives_in_place_statistics_updates(monkeypatch):
    """On CUDA, BatchNorm's running-statistics update (and DDP's buffer broadcast) bumps the version of tensors the
    real pass saved for backward, so the fake pass used to make the D update fail with "modified by an inplace
    operation" (seen on an H200 with the VGG-style D). The CPU kernel does not bump it: simulate it with an in-place
    touch of the statistics as each training-mode BatchNorm pass begins, and check the D update still runs."""
    from torch.nn.modules.batchnorm import _BatchNorm

    forward = _BatchNorm.forward

    def forward_like_cuda(self, x):
        if self.training:
            self.running_mean.add_(0)
            self.running_var.add_(0)
        return forward(self, x)

    monkeypatch.setattr(_BatchNorm, 'forward', forward_like_cuda)
    model = build_in_process(_options(network_d=dict(VGG_D)))
    model.feed_data(photo_batch())
    d_before = copy.deepcopy(model.net_d.state_dict())
    model.optimize_parameters(1)
    changed = [k for k, v in model.net_d.state_dict().items() if 'running' not in k and not torch.equal(v, d_before[k])]
    assert changed and math.isfinite(model.get_current_log()['l_d'])

    model.keep_saved_norm_statistics = contextlib.nullcontext  # without the copies: the failure this guards against
    with pytest.raises(RuntimeError, match='inplace operation'):
        model.optimize_parameters(2)
