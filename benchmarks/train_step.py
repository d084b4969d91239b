"""One training step of BasicSR's stock ``ESRGANModel`` vs ``BebyGANModel`` with the same networks and data.

The data are real photos: 192x192 crops of the ``skimage.data`` photos the demo uses (astronaut, coffee, rocket,
immunohistochemistry, hubble_deep_field, chelsea; crop ``i`` of the batch from photo ``i mod 6`` at a seeded random
position), LR made by the project's MATLAB-style bicubic operator, as BasicSR's benchmark LR images are.

Both models get the same RRDBNet generator, the same U-Net discriminator widths (BasicSR's ``UNetDiscriminatorSN``
for ESRGAN, the plugin's ``MaskedUNetDiscriminator`` subclass of it for Beby-GAN), the same VGG19 perceptual loss
(conv3_4/4_4/5_4 weighted 1/8, 1/4, 1/2 as in the paper) and the same batch. What differs is what Beby-GAN adds:
best-buddy loss instead of L1, back-projection loss, texture mask, RaGAN loss on masked inputs.

VGG19 weights cannot be downloaded here: :func:`prepare_random_vgg` writes a *randomly initialised* VGG19 state
dict where BasicSR looks for the pretrained file (``experiments/pretrained_models/vgg19-dcbb9e9d.pth`` under the
current directory, which the benchmark makes a temporary directory). The numbers are timing-only.
"""
import copy
import os
from typing import Optional

import torch

import bebygan_plugin  # noqa: F401  (compat patch + registration before basicsr)
from basicsr.models import build_model
from bebygan_plugin.ops.imresize import imresize_bicubic

VGG_RELATIVE_PATH = os.path.join('experiments', 'pretrained_models', 'vgg19-dcbb9e9d.pth')

TRAIN_CONFIGS = {
    # Issue 11's setting: a 6-block generator so a CPU step takes seconds, with the paper's crop, discriminator and
    # VGG19, and batch 4 (large enough that the discriminator's share of the step shows).
    'default': dict(batch=4, gt_size=192, scale=4, g_feat=64, g_blocks=6, g_grow=32, d_feat=64),
    # The paper's setting: batch 8, 48 -> 192, RRDBNet 64f/23b/32g.
    'paper': dict(batch=8, gt_size=192, scale=4, g_feat=64, g_blocks=23, g_grow=32, d_feat=64),
}
# Issue 11's ceilings on the BebyGANModel / ESRGANModel step time ratio.
STEP_RATIO_TARGETS = {'default': 1.05, 'paper': 1.03}
# BebyGANModel ``train`` options measured against the model without them.
STEP_VARIANTS = {
    'channels_last': {'channels_last': True},
    'compile': {'compile': True},
    'amp_bf16': {'amp': {'enabled': True, 'dtype': 'bf16'}},
    'amp_fp16': {'amp': {'enabled': True, 'dtype': 'fp16'}},
}


def prepare_random_vgg(root: str) -> str:
    """Write a random-init torchvision VGG19 state dict at ``root/experiments/pretrained_models`` (timing only)."""
    import torchvision

    path = os.path.join(root, VGG_RELATIVE_PATH)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.manual_seed(0)
        torch.save(torchvision.models.vgg19(weights=None).state_dict(), path)
    return path


def _common_opt(cfg: dict) -> dict:
    return {
        'name': 'bench', 'is_train': True, 'dist': False, 'num_gpu': cfg.get('num_gpu', 0), 'rank': 0,
        'world_size': 1, 'scale': cfg['scale'], 'path': {},
        'network_g': {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': cfg['g_feat'],
                      'num_block': cfg['g_blocks'], 'num_grow_ch': cfg['g_grow'], 'scale': cfg['scale']},
        'train': {
            'ema_decay': 0,
            'optim_g': {'type': 'Adam', 'lr': 1e-4, 'betas': [0.9, 0.999]},
            'optim_d': {'type': 'Adam', 'lr': 1e-4, 'betas': [0.9, 0.999]},
            'scheduler': {'type': 'MultiStepLR', 'milestones': [10 ** 6], 'gamma': 0.5},
            'perceptual_opt': {'type': 'PerceptualLoss', 'vgg_type': 'vgg19', 'use_input_norm': True,
                               'range_norm': False, 'perceptual_weight': 1.0, 'style_weight': 0,
                               'criterion': 'l1',
                               'layer_weights': {'conv3_4': 0.125, 'conv4_4': 0.25, 'conv5_4': 0.5}},
            'net_d_iters': 1, 'net_d_init_iters': 0,
        },
    }


def esrgan_opt(cfg: dict) -> dict:
    opt = _common_opt(cfg)
    opt['model_type'] = 'ESRGANModel'
    opt['network_d'] = {'type': 'UNetDiscriminatorSN', 'num_in_ch': 3, 'num_feat': cfg['d_feat'],
                        'skip_connection': True}
    opt['train']['pixel_opt'] = {'type': 'L1Loss', 'loss_weight': 1e-2, 'reduction': 'mean'}
    opt['train']['gan_opt'] = {'type': 'GANLoss', 'gan_type': 'vanilla', 'real_label_val': 1.0,
                               'fake_label_val': 0.0, 'loss_weight': 5e-3}
    return opt


def bebygan_opt(cfg: dict) -> dict:
    opt = _common_opt(cfg)
    opt['model_type'] = 'BebyGANModel'
    opt['network_d'] = {'type': 'MaskedUNetDiscriminator', 'num_in_ch': 3, 'num_feat': cfg['d_feat'],
                        'skip_connection': True, 'mask_logits': True}
    opt['train']['pixel_opt'] = {'type': 'BestBuddyLoss', 'loss_weight': 0.1, 'alpha': 1.0, 'beta': 1.0,
                                 'patch_size': 3, 'stride': 3, 'pyramid_scales': [1, 0.5, 0.25]}
    opt['train']['bp_opt'] = {'type': 'BackProjectionLoss', 'loss_weight': 1.0, 'scale': cfg['scale']}
    opt['train']['gan_opt'] = {'type': 'RelativisticAverageGANLoss', 'loss_weight': 5e-3}
    opt['train']['mask_opt'] = {'source': 'gt', 'kernel_size': 11, 'threshold': 0.025}
    return opt


def synthetic_batch(cfg: dict, seed: int = 0, device='cpu') -> dict:
    """A GT batch with smooth and textured regions (upsampled noise plus fine noise in one half), LQ = S(GT, 1/s)."""
    gen = torch.Generator().manual_seed(seed)
    size, batch = cfg['gt_size'], cfg['batch']
    coarse = torch.rand(batch, 3, size // 16, size // 16, generator=gen)
    gt = torch.nn.functional.interpolate(coarse, size=(size, size), mode='bicubic', align_corners=False)
    gt[..., :, size // 2:] += 0.15 * torch.randn(batch, 3, size, size - size // 2, generator=gen)
    gt = gt.clamp(0, 1)
    lq = imresize_bicubic(gt, 1 / cfg['scale']).clamp(0, 1)
    return {'lq': lq.to(device), 'gt': gt.to(device)}


def real_batch(cfg: dict, seed: int = 0, device='cpu') -> dict:
    """GT: ``cfg['batch']`` real ``gt_size`` crops of the demo's ``skimage.data`` photos; LQ = S(GT, 1/scale)."""
    from bebygan_plugin.demo import TRAIN_PHOTOS, VAL_PHOTOS, skimage_photo

    photos = [torch.from_numpy(skimage_photo(name)).permute(2, 0, 1).float().div(255)
              for name in TRAIN_PHOTOS + VAL_PHOTOS]
    gen = torch.Generator().manual_seed(seed)
    size, crops = cfg['gt_size'], []
    for i in range(cfg['batch']):
        photo = photos[i % len(photos)]
        top = int(torch.randint(photo.shape[1] - size + 1, (1,), generator=gen))
        left = int(torch.randint(photo.shape[2] - size + 1, (1,), generator=gen))
        crops.append(photo[:, top:top + size, left:left + size])
    gt = torch.stack(crops)
    lq = imresize_bicubic(gt, 1 / cfg['scale']).clamp(0, 1)
    return {'lq': lq.to(device), 'gt': gt.to(device)}


def build(kind: str, cfg: dict, train_overrides: Optional[dict] = None):
    """A ready-to-step model (``kind`` 'esrgan' or 'bebygan') fed with :func:`real_batch`; ``train_overrides``
    are added to its ``train`` options (e.g. ``{'channels_last': True}``). VGG must already be prepared in the cwd."""
    opt = esrgan_opt(cfg) if kind == 'esrgan' else bebygan_opt(cfg)
    opt['train'].update(train_overrides or {})
    torch.manual_seed(0)
    model = build_model(copy.deepcopy(opt))
    model.feed_data(real_batch(cfg, device=model.device))
    return model
