"""Every option the plugin adds to BasicSR's, declared once: rule, default, one-line doc.

The preflight checks option files against these declarations, ``BebyGANModel`` validates its ``train`` section and
takes its settings from them (so BasicSR's own ``basicsr/train.py``, which runs no preflight, refuses the same bad
values with the same messages), and ``options/bebygan.schema.json`` and ``docs/options.md`` are generated from them
(``python -m bebygan_plugin.schema --write``). The texture mask's defaults are the paper's Eq. 5 values, defined
beside the operator in :mod:`bebygan_plugin.ops.texture_mask`.
"""
from typing import List, Tuple

import torch

from ..dataset_guards.corrupt_images import SKIP_OPTION
from ..ops.color import BT601_LUMA
from ..ops.texture_mask import KERNEL_SIZE, THRESHOLD
from . import basicsr_keys
from .rules import Arguments, Boolean, Component, Integer, Name, Number, Numbers, OneOf, Option, Section

MASK_SOURCES = ('gt', 'lq_bicubic')
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
RAGAN = 'RelativisticAverageGANLoss'


def _unbiased_std_needs_a_window(mask: dict) -> List[Tuple[str, str]]:
    """``unbiased_std: true`` needs ``kernel_size`` > 1."""
    if mask['unbiased_std'] and mask['kernel_size'] == 1:
        return [('unbiased_std', 'needs kernel_size > 1 (a one-pixel window has no unbiased std)')]
    return []


MASK_OPT = Section(
    "Eq. 5 texture mask: present, real and fake images are masked before the discriminator (region-aware "
    "learning); absent, plain RaGAN (the paper's \"w/o RA\")",
    (
        Option('source', OneOf(MASK_SOURCES), 'gt',
               "image the mask is computed on: 'gt' (the paper) or 'lq_bicubic', the bicubic-upsampled LR (the "
               "authors' code)"),
        Option('kernel_size', Integer(odd=True, meaning=' (a window centred on each pixel)'), KERNEL_SIZE,
               'side k of the window of the local luminance std (paper: 11)'),
        Option('threshold', Number(), THRESHOLD,
               'delta: pixels whose local std is >= delta are textured (paper: 0.025 for images in [0, 1])'),
        Option('luma_weights', Numbers(3, ', the R, G, B weights of the luminance'), BT601_LUMA,
               "R, G, B weights of the luminance (BT.601; the authors' code: [0.2989, 0.587, 0.114])"),
        Option('unbiased_std', Boolean(), False,
               "divide the window's variance by k*k - 1 (torch.std, the authors' code) instead of k*k"),
        Option('clamp_source', Boolean(), True,
               "clamp the source image to [0, 1] first (a no-op on the GT; the authors' code: false)"),
    ),
    checks=(_unbiased_std_needs_a_window,),
)

AMP = Section(
    'automatic mixed precision of G and D (not in the paper); the best-buddy search and the bicubic operator run '
    'in float32 anyway',
    (
        Option('enabled', Boolean(), False, 'run G and D under autocast'),
        Option('dtype', OneOf(tuple(AMP_DTYPES)), 'bf16',
               'autocast dtype; fp16 adds a gradient scaler per optimizer'),
    ),
)

def _adaptive_d_ranges(adaptive_d: dict) -> List[Tuple[str, str]]:
    """``threshold`` > 0 and ``ema_decay`` in [0, 1)."""
    problems = []
    if adaptive_d['threshold'] <= 0:
        problems.append(('threshold', f'must be a number > 0, got {adaptive_d["threshold"]!r}'))
    if not 0 <= adaptive_d['ema_decay'] < 1:
        problems.append(('ema_decay', f'must be a number in [0, 1), got {adaptive_d["ema_decay"]!r}'))
    return problems


ADAPTIVE_D = Section(
    "adaptive discriminator (not in the paper): D's update is skipped while the running average of its loss is "
    'below threshold (D is winning), decided on the device; the skipped updates are logged as d_updates_skipped',
    (
        Option('threshold', Number(), None, 'D loss (l_d) below which its running average skips the update',
               required='required: the D loss below which D stops learning, e.g. {threshold: 0.3}'),
        Option('ema_decay', Number(), 0.99,
               "weight of the past in the running average of D's loss (0: the current loss alone)"),
    ),
    checks=(_adaptive_d_ranges,),
)


def _grad_clip_not_negative(train: dict) -> List[Tuple[str, str]]:
    """``grad_clip`` >= 0."""
    if train['grad_clip'] < 0:
        return [('grad_clip', f'must be a number >= 0 (0: off), got {train["grad_clip"]!r}')]
    return []


BEBYGAN_TRAIN = Section(
    'train section of BebyGANModel: the generator loss of Eq. 10 is the sum of pixel_opt (best-buddy), bp_opt, '
    'perceptual_opt and gan_opt, each weighted by its loss_weight',
    (
        Option('bp_opt', Component('loss'), None, 'back-projection loss (BackProjectionLoss, Eq. 4) against the LR '
                                                  'input; absent: no such term'),
        Option('gan_opt', Component('loss', RAGAN, f'BebyGANModel needs {RAGAN} (Eq. 7-9)'), None,
               'RaGAN loss of Eq. 7-9', required=f'required by BebyGANModel: {{type: {RAGAN}, loss_weight: 0.005}}'),
        Option('mask_opt', MASK_OPT, None, MASK_OPT.doc),
        Option('amp', AMP, {}, AMP.doc),
        Option('max_consecutive_nonfinite', Integer(), 10,
               'iterations in a row with a NaN/Inf loss (each skips its update) that stop the run'),
        Option('channels_last', Boolean(), False, 'G and D weights and the batch in NHWC layout (speed only)'),
        Option('compile', Arguments(torch.compile, 'torch.compile', '{mode: reduce-overhead}', skip=('model',)),
               False, "torch.compile the step's G and D passes with their losses: true, or torch.compile arguments "
               '(static shapes unless dynamic is given); the second step compiles (speed only)'),
        Option('grad_clip', Number(), 0,
               "maximum global gradient norm of G and of D, each clipped to it before its update (the norm before "
               'clipping is logged as grad_norm_g / grad_norm_d); 0: off'),
        Option('adaptive_d', ADAPTIVE_D, None, ADAPTIVE_D.doc),
        Option('accumulate', Integer(), 1,
               'micro-batches per update: each batch is split into this many, whose gradients add up to one update '
               '(less memory, same global batch; the RaGAN averages span a micro-batch)'),
    ),
    inherited={k: v for k, v in basicsr_keys.GAN_TRAIN.items() if k != 'ldl_opt'},
    removed={'ldl_opt': 'is not used by BebyGANModel; remove it'},
    checks=(_grad_clip_not_negative,),
)

KEEP_BEST = Section(
    'keep models/net_g_best.pth: the generator (params and params_ema) of the best validation so far of one '
    'metric, written atomically after each validation that equals or beats it (BebyGANModel)',
    (
        Option('metric', Name(), None, "a key of val.metrics; its 'better' says which way is best",
               required='required: the key of val.metrics to follow, e.g. {metric: psnr}'),
        Option('dataset', Name(), None, 'the validation set that decides (required with several; default: the '
                                        'only one)'),
    ),
)
VAL_KEEP_BEST = Option('keep_best', KEEP_BEST, None, KEEP_BEST.doc)

SKIP_CORRUPT_IMAGES = Option(SKIP_OPTION, Boolean(), False,
                             'training set only: skip (and log) images that cannot be decoded instead of stopping')

DATASET_KEYS = {kind: tuple(keys) + (SKIP_CORRUPT_IMAGES.key,) for kind, keys in basicsr_keys.DATASETS.items()}
