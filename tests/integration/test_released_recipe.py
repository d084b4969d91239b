"""options/train_BebyGAN_x4_released.yml and its options against references written from the authors' released code
(github.com/dvlab-research/Simple-SR: exps/BebyGAN/train.py, utils/loss.py, utils/region_seperator.py,
utils/solver.py, utils/resizer.py, utils/modules/discriminator.py), on real photo crops.

``python -m pytest -q -s tests/integration/test_released_recipe.py`` prints the measured agreement.
"""
import copy
import math

import pytest
import torch
import yaml
from torch import nn
from torch.nn import functional as F

from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.models.lr_scheduler import WarmupCosineRestartLR
from devtools.paths import REPO_ROOT
from devtools.photos import photo_batch
from devtools.recipe import build_in_process

RELEASED = REPO_ROOT / 'options' / 'train_BebyGAN_x4_released.yml'
PHOTOS = ('astronaut', 'coffee', 'rocket', 'chelsea')


def released_options() -> dict:
    return yaml.safe_load(RELEASED.read_text())


# ---------------------------------------------------------------------------------------------------------------
# references, from the released code's semantics

def released_best_buddy_loss(pred, gt, alpha=1.0, beta=1.0, ksize=3, stride=3):
    """utils/loss.py BBL: unfold, a bicubic GT pyramid from F.interpolate (no antialiasing), the full N x M score
    matrix (float64 here), argmin, L1. Its alpha weighs the distance to the estimate, beta the one to the GT patch."""
    p_est = F.unfold(pred, ksize, stride=stride).transpose(1, 2)
    p_gt = F.unfold(gt, ksize, stride=stride).transpose(1, 2)
    levels = [gt] + [F.interpolate(gt, scale_factor=s, mode='bicubic', align_corners=False) for s in (0.5, 0.25)]
    cand = torch.cat([F.unfold(lvl, ksize, stride=stride).transpose(1, 2) for lvl in levels], dim=1)
    chosen = []
    with torch.no_grad():
        for est, ref, c in zip(p_est.double(), p_gt.double(), cand.double()):  # one image at a time: N x M each
            def sq_dist(x, c):  # ||x_i||^2 + ||c_j||^2 - 2 <x_i, c_j>, as batch_pairwise_distance
                return torch.addmm((x * x).sum(1, keepdim=True) + (c * c).sum(1)[None], x, c.T, alpha=-2)
            index = (alpha * sq_dist(est, c) + beta * sq_dist(ref, c)).argmin(dim=1)
            chosen.append(c[index].to(pred.dtype))
    return F.l1_loss(p_est, torch.stack(chosen))


def released_texture_mask(lr, kernel_size=11, std_thresh=0.025, scale=4):
    """utils/region_seperator.py get_flat_mask, turned into the texture mask train.py multiplies with (1 - flat)."""
    img = F.interpolate(lr, scale_factor=scale, mode='bicubic', align_corners=False)
    r, g, b = torch.unbind(img, dim=1)
    luma = (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)
    pad = kernel_size // 2
    windows = F.unfold(F.pad(luma, (pad,) * 4, mode='reflect'), kernel_size)
    std = torch.std(windows, dim=1, keepdim=True).view(img.size(0), 1, *img.shape[-2:])  # unbiased
    return 1 - torch.lt(std, std_thresh).float()


def released_learning_rates(base_lr, iterations, w_iter=2000, w_fac=0.1, t_period=(200000, 400000, 600000),
                            min_lr=1e-7):
    """utils/solver.py CosineAnnealingLR_warmup: the rate of iterations 1, 2, ... (its state machine: last_epoch
    is iteration - 1, the constructor's step then one after each iteration of train.py's loop)."""
    last_restart, t_max, rates = 0, t_period[0], []
    for epoch in range(iterations):
        if epoch - last_restart < w_iter:
            ratio = w_fac + (1 - w_fac) * (epoch - last_restart) / w_iter
        elif epoch in t_period:
            last_restart = epoch
            if epoch != t_period[-1]:
                t_max = t_period[t_period.index(epoch) + 1]
            rates.append(min_lr)
            continue
        else:
            ratio = 1 / 2 * (1 + math.cos((epoch - last_restart - w_iter) / (t_max - last_restart - w_iter) * math.pi))
        rates.append((base_lr - min_lr) * ratio + min_lr)
    return rates


def released_downsample_x4(x):
    """utils/resizer.py imresize(x, scale=1/4): a 16 x 16 antialiased cubic kernel (a = -0.5) sampled at
    linspace(-1.875, 1.875), MATLAB-style padding that repeats the border pixel (6 each side), stride 4."""
    ax = torch.linspace(-1.875, 1.875, 16, dtype=x.dtype).abs()
    a = -0.5
    cubic = ((a + 2) * ax ** 3 - (a + 3) * ax ** 2 + 1) * (ax <= 1) \
        + (a * ax ** 3 - 5 * a * ax ** 2 + 8 * a * ax - 4 * a) * ((ax > 1) & (ax <= 2))
    kernel = torch.outer(cubic, cubic)
    kernel = (kernel / kernel.sum()).view(1, 1, 16, 16)
    batch, channels, height, width = x.shape
    x = x.reshape(batch * channels, 1, height, width)
    x = torch.cat([x[..., :6, :].flip(-2), x, x[..., -6:, :].flip(-2)], dim=-2)
    x = torch.cat([x[..., :6].flip(-1), x, x[..., -6:].flip(-1)], dim=-1)
    return F.conv2d(x, kernel, stride=4).view(batch, channels, height // 4, width // 4)


class ReleasedVGG192(nn.Module):
    """utils/modules/discriminator.py Discriminator_VGG_192, layer for layer."""

    def __init__(self, in_chl=3, nf=32):
        super().__init__()
        widths = [nf, nf * 2, nf * 4, nf * 8, nf * 8, nf * 8]
        layers, prev = [], in_chl
        for stage, width in enumerate(widths):
            layers.append(nn.Conv2d(prev, width, 3, 1, 1, bias=stage == 0))  # conv{stage}_0
            if stage:
                layers.append(nn.BatchNorm2d(width))  # bn{stage}_0
            layers += [nn.Conv2d(width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width)]  # conv/bn{stage}_1
            prev = width
        self.layers = nn.ModuleList(layers)
        self.linear1, self.linear2 = nn.Linear(nf * 8 * 3 * 3, 100), nn.Linear(100, 1)

    def forward(self, x):
        fea = x
        for layer in self.layers:
            fea = layer(fea)
            if not isinstance(layer, nn.Conv2d) or layer is self.layers[0]:
                fea = F.leaky_relu(fea, 0.2)  # after conv0_0 and after every BatchNorm
        return self.linear2(F.leaky_relu(self.linear1(fea.flatten(1)), 0.2))


def _bce_with_logits(logits, target_is_real):
    target = torch.ones_like(logits) if target_is_real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


# ---------------------------------------------------------------------------------------------------------------
# the options, one by one

def test_best_buddy_loss_with_a_torch_bicubic_pyramid_equals_the_released_bbl():
    """In float64 the two agree up to exact ties that rounding orders differently; in float32 (training) up to the
    near-ties a float32 search cannot order (ours and theirs alike)."""
    batch = photo_batch(PHOTOS[:2], gt_size=192)
    gt = batch['gt']
    estimate = F.interpolate(batch['lq'], scale_factor=4, mode='bicubic', align_corners=False).clamp(0, 1)
    reference = released_best_buddy_loss(estimate.double(), gt.double()).item()
    ours64 = BestBuddyLoss(pyramid_resize='torch_bicubic')(estimate.double(), gt.double()).item()
    ours = BestBuddyLoss(pyramid_resize='torch_bicubic')(estimate, gt).item()
    matlab = BestBuddyLoss()(estimate, gt).item()
    print(f'\nbest-buddy loss, 2 real 192x192 crops, alpha = beta = 1: released (float64 search) {reference:.6f}; '
          f'ours with torch_bicubic: float64 {abs(ours64 / reference - 1):.1e} relative difference, float32 '
          f'{abs(ours / reference - 1):.1e}; ours with matlab (the default) {abs(matlab / reference - 1):.1e}')
    assert ours64 == pytest.approx(reference, rel=1e-5)
    assert ours == pytest.approx(reference, rel=1e-4)
    assert abs(matlab / reference - 1) > 1e-3  # the option matters


def test_released_mask_options_give_the_released_mask():
    batch = photo_batch(PHOTOS, gt_size=192)
    opt = released_options()
    model = build_in_process(_small(opt))
    model.feed_data(batch)
    ours = model.compute_texture_mask()
    reference = released_texture_mask(batch['lq'])
    assert ours.shape == reference.shape == (4, 1, 192, 192)
    paper_mask = dict(opt['train']['mask_opt'], luma_weights=[0.299, 0.587, 0.114], unbiased_std=False,
                      clamp_source=True)
    model.mask_opt = paper_mask
    defaults = model.compute_texture_mask()
    print(f'\ntexture mask on the bicubic-upsampled LR, 4 real crops ({reference.numel()} pixels): '
          f'{int((ours != reference).sum())} differ with the released options, '
          f'{int((defaults != reference).sum())} with BT.601 luma, population std and clamping')
    assert torch.equal(ours, reference)
    assert 0.2 < reference.mean() < 0.95  # both textured and flat pixels in these crops
    assert not torch.equal(defaults, reference)


def test_schedule_equals_the_released_rate_at_every_one_of_the_600k_iterations():
    opt = released_options()
    sched_opt = {k: v for k, v in opt['train']['scheduler'].items() if k != 'type'}
    base_lr = opt['train']['optim_g']['lr']
    optimizer = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler = WarmupCosineRestartLR(optimizer, **sched_opt)
    total = opt['train']['total_iter']
    reference = released_learning_rates(base_lr, total)
    ours = [scheduler.lr_at(base_lr, it - 1) for it in range(1, total + 1)]  # BasicSR: last_epoch = iter - 1
    worst = max(abs(a - b) for a, b in zip(ours, reference))
    print(f'\nlearning rate over {total} iterations: worst difference from the released schedule {worst:.1e}')
    assert worst <= 1e-18
    # the period boundaries, by iteration number (1-based, as both loops count)
    for iteration, expected in ((1, 1e-7 + (1e-4 - 1e-7) * 0.1), (2001, 1e-4), (200001, 1e-7),
                                (200002, 1e-7 + (1e-4 - 1e-7) * (0.1 + 0.9 / 2000)), (202001, 1e-4),
                                (400001, 1e-7), (402001, 1e-4)):
        assert ours[iteration - 1] == pytest.approx(expected, rel=1e-12), iteration
        assert reference[iteration - 1] == pytest.approx(expected, rel=1e-12), iteration
    assert min(ours) >= 1e-7


def test_the_scheduler_steps_as_basicsr_drives_it():
    """BasicSR's update_learning_rate steps before iterations 2, 3, ...: each iteration gets lr_at(iter - 1)."""
    optimizer = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=1e-4)
    scheduler = WarmupCosineRestartLR(optimizer, [30, 30, 30], warmup_iter=5, warmup_start_ratio=0.1,
                                      eta_min_at_restart=True)
    reference = released_learning_rates(1e-4, 90, w_iter=5, t_period=(30, 60, 90))
    for iteration in range(1, 91):
        if iteration > 1:
            optimizer.step()
            scheduler.step()
        assert optimizer.param_groups[0]['lr'] == pytest.approx(reference[iteration - 1], rel=1e-12), iteration


def released_discriminator(**overrides):
    """The recipe's network_d (MaskedVGGStyleDiscriminator, num_stages 6) with ``overrides``."""
    from basicsr.archs import build_network

    return build_network(dict(released_options()['network_d'], **overrides))


def test_vgg_discriminator_with_six_stages_is_the_released_discriminator():
    torch.manual_seed(0)
    ours = released_discriminator(num_feat=4)
    theirs = ReleasedVGG192(nf=4)
    ours_params = list(ours.state_dict().values())
    theirs_state = theirs.state_dict()
    assert [tuple(v.shape) for v in ours_params] == [tuple(v.shape) for v in theirs_state.values()]
    theirs.load_state_dict(dict(zip(theirs_state, ours_params)))
    x = photo_batch(PHOTOS, gt_size=192)['gt']
    torch.testing.assert_close(ours(x), theirs(x))  # train mode: batch statistics


# ---------------------------------------------------------------------------------------------------------------
# the recipe

def _small(opt):
    """The released recipe with CPU-sized networks, without the perceptual term (its ImageNet VGG19 weights cannot
    be downloaded here) and without the pretrained G."""
    opt = copy.deepcopy(opt)
    opt['num_gpu'] = 0
    opt['network_g'].update(num_feat=8, num_block=1, num_grow_ch=8)
    opt['network_d'].update(num_feat=4)
    opt['path'] = {'pretrain_network_g': None, 'strict_load_g': True, 'resume_state': None}
    del opt['train']['perceptual_opt']
    return opt


def test_one_released_step_equals_the_released_training_step():
    """One iteration of the recipe against train.py's, written out here: same losses, gradients and updates."""
    opt = released_options()
    model = build_in_process(_small(opt))
    batch = photo_batch(('astronaut', 'coffee'), gt_size=192)
    model.feed_data(batch)
    net_g, net_d = copy.deepcopy(model.net_g), copy.deepcopy(model.net_d)
    lr = (1e-4 - 1e-7) * 0.1 + 1e-7  # iteration 1 of CosineAnnealingLR_warmup
    assert [o.param_groups[0]['lr'] for o in model.optimizers] == [pytest.approx(lr, rel=1e-12)] * 2
    model.optimize_parameters(1)
    log = model.get_current_log()

    # train.py, iteration 1: mask, G step (D frozen), then D step on the same output
    lr_img, hr_img = batch['lq'], batch['gt']
    det = released_texture_mask(lr_img)
    for p in net_d.parameters():
        p.requires_grad = False
    output = net_g(lr_img)
    output_det, hr_det = output * det, hr_img * det
    recon = 1.0 * released_best_buddy_loss(output, hr_img)
    bp = 1.0 * F.l1_loss(released_downsample_x4(output), lr_img)
    gen_real = net_d(hr_det).detach()
    gen_fake = net_d(output_det)
    adv = 0.005 * (_bce_with_logits(gen_real - gen_fake.mean(), False) * 0.5
                   + _bce_with_logits(gen_fake - gen_real.mean(), True) * 0.5)
    (recon + bp + adv).backward()
    for p in net_d.parameters():
        p.requires_grad = True
    dis_fake = net_d(output_det.detach())
    dis_real = net_d(hr_det)
    dis_real_loss = _bce_with_logits(dis_real - dis_fake.detach().mean(), True) * 0.5
    dis_fake_loss = _bce_with_logits(dis_fake - dis_real.detach().mean(), False) * 0.5
    (dis_real_loss + dis_fake_loss).backward()

    assert float(log['l_g_bb']) == pytest.approx(recon.item(), rel=1e-5)
    assert float(log['l_g_bp']) == pytest.approx(bp.item(), rel=1e-5)
    assert float(log['l_g_gan']) == pytest.approx(adv.item(), rel=1e-5)
    assert float(log['l_g_total']) == pytest.approx((recon + bp + adv).item(), rel=1e-5)
    assert float(log['l_d']) == pytest.approx((dis_real_loss + dis_fake_loss).item(), rel=1e-5)
    for name, ours, theirs in (('G', model.net_g, net_g), ('D', model.net_d, net_d)):
        for (key, p), q in zip(ours.named_parameters(), theirs.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-8, msg=f'{name} {key}')
    for ours, theirs in ((model.net_g, net_g), (model.net_d, net_d)):  # Adam(0.9, 0.999, eps 1e-8) at that lr
        reference = torch.optim.Adam(theirs.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
        reference.step()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-8)  # float32 rounding
