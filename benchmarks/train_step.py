"""One training step of BasicSR's stock ``ESRGANModel`` vs ``BebyGANModel`` with the same networks and data.

The data are real photos: 192x192 crops of the ``skimage.data`` photos the demo uses (astronaut, coffee, rocket,
immunohistochemistry, hubble_deep_field, chelsea; crop ``i`` of the batch from photo ``i mod 6`` at a seeded random
position), LR made by the project's MATLAB-style bicubic operator, as BasicSR's benchmark LR images are. The
Beby-GAN options are ``options/train_BebyGAN_x4.yml`` at the configuration's size (``devtools/recipe.py``).

Both models get the same RRDBNet generator, the same U-Net discriminator widths (BasicSR's ``UNetDiscriminatorSN``
for ESRGAN, the plugin's ``MaskedUNetDiscriminator`` subclass of it for Beby-GAN), the same VGG19 perceptual loss
(conv3_4/4_4/5_4 weighted 1/8, 1/4, 1/2 as in the paper) and the same batch. What differs is what Beby-GAN adds:
best-buddy loss instead of L1, back-projection loss, texture mask, RaGAN loss on masked inputs.

VGG19 weights cannot be downloaded here: :func:`prepare_random_vgg` writes a *randomly initialised* VGG19 state
dict where BasicSR looks for the pretrained file (``experiments/pretrained_models/vgg19-dcbb9e9d.pth`` under the
current directory, which the benchmark makes a temporary directory). The numbers are timing-only.
"""
import contextlib
import copy
import os
import tempfile
from typing import Iterator, Optional

import torch

import bebygan_plugin  # noqa: F401  (compat patch + registration before basicsr)
from basicsr.models import build_model
from bebygan_plugin.ops.imresize import imresize_bicubic
from devtools.photos import SKIMAGE_PHOTOS, skimage_image
from devtools.recipe import tiny_recipe

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


@contextlib.contextmanager
def random_vgg_workdir() -> Iterator[str]:
    """A temporary folder made the working directory (BasicSR writes relative to it), with random VGG19 weights where
    the perceptual loss looks for them (:func:`prepare_random_vgg`); the previous working directory comes back."""
    with tempfile.TemporaryDirectory() as workdir:
        cwd = os.getcwd()
        os.chdir(workdir)
        try:
            prepare_random_vgg(workdir)
            yield workdir
        finally:
            os.chdir(cwd)


def bebygan_opt(cfg: dict) -> dict:
    """``options/train_BebyGAN_x4.yml`` (perceptual loss included) at the size of ``cfg``, without EMA and with a
    constant learning rate (as the ESRGAN side below), logging every 100 iterations (the recipe's ``print_freq``)."""
    opt = tiny_recipe('bench', batch=cfg['batch'], gt_size=cfg['gt_size'],
                      perceptual=True, **{
                          'scale': cfg['scale'], 'num_gpu': cfg.get('num_gpu', 0), 'network_g.scale': cfg['scale'],
                          'network_g.num_feat': cfg['g_feat'], 'network_g.num_block': cfg['g_blocks'],
                          'network_g.num_grow_ch': cfg['g_grow'], 'network_d.num_feat': cfg['d_feat'],
                          'train.ema_decay': 0, 'train.bp_opt.scale': cfg['scale'], 'logger.print_freq': 100,
                          'train.scheduler': {'type': 'MultiStepLR', 'milestones': [10 ** 6], 'gamma': 0.5}})
    opt.update(is_train=True, dist=False, rank=0, world_size=1)
    return opt


def esrgan_opt(cfg: dict) -> dict:
    """BasicSR's stock ``ESRGANModel`` with the same networks, perceptual loss, optimizers and data as
    :func:`bebygan_opt`, and none of what Beby-GAN adds: L1 and a vanilla GAN on unmasked images (ESRGAN's
    weights), BasicSR's ``UNetDiscriminatorSN``."""
    opt = bebygan_opt(cfg)
    train = opt['train']
    for key in ('bp_opt', 'mask_opt', 'amp', 'channels_last', 'compile'):
        train.pop(key)
    opt['model_type'] = 'ESRGANModel'
    opt['network_d'] = {'type': 'UNetDiscriminatorSN', 'num_in_ch': 3, 'num_feat': cfg['d_feat'],
                        'skip_connection': True}
    train['pixel_opt'] = {'type': 'L1Loss', 'loss_weight': 1e-2, 'reduction': 'mean'}
    train['gan_opt'] = {'type': 'GANLoss', 'gan_type': 'vanilla', 'real_label_val': 1.0, 'fake_label_val': 0.0,
                        'loss_weight': 5e-3}
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
    """GT: ``cfg['batch']`` real ``gt_size`` crops of :data:`SKIMAGE_PHOTOS`; LQ = S(GT, 1/scale)."""
    photos = [skimage_image(name) for name in SKIMAGE_PHOTOS]
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
