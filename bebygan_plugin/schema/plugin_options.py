"""Every option the plugin adds to BasicSR's, declared once: rule, default, one-line doc, and the rules across keys
(``val.keep_best``, ``skip_corrupt_images``); at the end, BasicSR's sections with the plugin's options added.
``BebyGANModel`` takes its settings from here. The texture mask's defaults are the paper's Eq. 5 values, defined
beside the operator in :mod:`bebygan_plugin.ops.texture_mask`.
"""
import dataclasses
from typing import List, Tuple

import torch

from ..dataset_guards.corrupt_images import SKIP_OPTION
from ..ops.color import BT601_LUMA
from ..ops.texture_mask import KERNEL_SIZE, THRESHOLD
from ..problems import Problem
from . import basicsr_options
from .basicsr_options import LOSS, needs_a_generator_loss
from .components import Arguments, Component
from .rules import NAME, Boolean, Integer, Number, Numbers, OneOf, Option, Section

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

ADAPTIVE_D = Section(
    "adaptive discriminator (not in the paper): D's update is skipped while the running average of its loss is "
    'below threshold (D is winning), decided on the device; the skipped updates are logged as d_updates_skipped',
    (
        Option('threshold', Number(positive=True), None, 'D loss (l_d) below which its running average skips the '
               'update', required='required: the D loss below which D stops learning, e.g. {threshold: 0.3}'),
        Option('ema_decay', Number(fraction=True), 0.99,
               "weight of the past in the running average of D's loss (0: the current loss alone)"),
    ),
)


BEBYGAN_TRAIN = Section(
    'train section of BebyGANModel: the generator loss of Eq. 10 is the sum of pixel_opt (best-buddy), bp_opt, '
    'perceptual_opt and gan_opt, each weighted by its loss_weight',
    (
        *(o for o in basicsr_options.GAN_TRAIN if o.key not in ('ldl_opt', 'gan_opt')),
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
        Option('grad_clip', Number(non_negative=True, meaning=' (0: off)'), 0,
               "maximum global gradient norm of G and of D, each clipped to it before its update (the norm before "
               'clipping is logged as grad_norm_g / grad_norm_d); 0: off'),
        Option('adaptive_d', ADAPTIVE_D, None, ADAPTIVE_D.doc),
        Option('accumulate', Integer(), 1,
               'micro-batches per update: each batch is split into this many, whose gradients add up to one update '
               '(less memory, same global batch; the RaGAN averages span a micro-batch)'),
    ),
    removed={'ldl_opt': 'is not used by BebyGANModel; remove it'},
)

REAL_WORLD_TRAIN = dataclasses.replace(
    BEBYGAN_TRAIN, doc='train section of RealBebyGANModel: as BebyGANModel\'s; gan_opt may also be BasicSR\'s '
    'GANLoss (Real-ESRGAN\'s option files: the standard GAN terms)', options=tuple(
        Option('gan_opt', LOSS, None, 'RaGAN loss of Eq. 7-9, or GANLoss', required=o.required) if o.key == 'gan_opt'
        else o for o in BEBYGAN_TRAIN.options),
    checks=BEBYGAN_TRAIN.checks + (lambda train: [('gan_opt', f'RealBebyGANModel needs {RAGAN} (Eq. 7-9) or GANLoss, '
                                                              f'got {train["gan_opt"]["type"]!r}')]
                                   if train['gan_opt']['type'] not in (RAGAN, 'GANLoss') else [],))

DISCRIMINATOR_KEYS = ('optim_d', 'gan_opt', 'net_d_iters', 'net_d_init_iters', 'mask_opt', 'adaptive_d')
GENERATOR_ONLY_TRAIN = Section(
    "train section of RealBebyNetModel (stage 1): BebyGANModel's without the discriminator's keys",
    tuple(o for o in BEBYGAN_TRAIN.options if o.key not in DISCRIMINATOR_KEYS), checks=(needs_a_generator_loss,),
    removed={k: 'is for a discriminator; RealBebyNetModel (stage 1) has none: remove it' for k in DISCRIMINATOR_KEYS})

RANGE = Numbers(2, ' [min, max]')
DEGRADATION_PASS = (  # the first pass; the second pass's keys end in 2 (Real-ESRGAN's option files)
    ('resize_prob', Numbers(3, ': up, down, keep'), 'probabilities of up-scaling, down-scaling and keeping the size'),
    ('resize_range', RANGE, 'scale range: up draws in [1, max], down in [min, 1]'),
    ('gaussian_noise_prob', Number(fraction=True), 'probability of Gaussian noise (else Poisson)'),
    ('noise_range', RANGE, 'Gaussian noise sigma range, in 8-bit levels'),
    ('poisson_scale_range', RANGE, 'Poisson noise scale range'),
    ('gray_noise_prob', Number(fraction=True), 'probability that the noise is the same on every channel'),
    ('jpeg_range', RANGE, 'JPEG quality range'))
REAL_WORLD = Section(
    "Real-ESRGAN's second-order degradation and training-pair pool (top level; RealBebyGANModel, RealBebyNetModel)",
    tuple(Option(key + n, rule, None, f'degradation {n or 1}: {doc}') for n in ('', '2')
          for key, rule, doc in DEGRADATION_PASS) + (
        Option('second_blur_prob', Number(fraction=True), None, 'degradation 2: probability of its blur (kernel2)'),
        Option('gt_size', Integer(1), None, 'GT crop taken after degrading (the LR crop is gt_size / scale)'),
        Option('queue_size', Integer(1), 180, 'training-pair pool size (a multiple of batch_size_per_gpu)'),
        Option('high_order_degradation', Boolean(), True, 'synthesise the LQ (false: the data set\'s own pairs)'),
        Option('basicsr_random_stream', Boolean(), False, "BasicSR's exact random stream (one host sync per noise "
                                                          'stage; false: none, same distribution)'),
        Option('gt_usm', Boolean(), True, 'RealBebyNetModel: unsharp-mask the GT (degradation input and target)'),
        Option('l1_gt_usm', Boolean(), True, 'RealBebyGANModel: the pixel loss compares with the unsharp-masked GT'),
        Option('percep_gt_usm', Boolean(), True, 'RealBebyGANModel: so does the perceptual loss'),
        Option('gan_gt_usm', Boolean(), False, 'RealBebyGANModel: D sees the unsharp-masked GT as real')))
REAL_WORLD_NEEDS = tuple(o.key for o in REAL_WORLD.options if o.default is None)


def real_world_problems(opt: dict, model_cls, whole_run: bool) -> List[Problem]:
    """A model that synthesises its pairs (``synthesises_pairs``) needs every degradation key, a training set that
    draws kernels and a pool that holds whole batches."""
    if not getattr(model_cls, 'synthesises_pairs', False) or opt.get('high_order_degradation') is False:
        return []
    problems = [Problem(k, f'required by {opt["model_type"]} to synthesise the LQ (Real-ESRGAN\'s values: '
                           'options/train_RealBebyGAN_x4.yml)') for k in REAL_WORLD_NEEDS if k not in opt]
    train_set = (opt.get('datasets') or {}).get('train') if isinstance(opt.get('datasets'), dict) else None
    if whole_run and isinstance(train_set, dict):
        if train_set.get('type') != 'RealESRGANDataset':
            problems.append(Problem('datasets.train.type', f'{opt["model_type"]} synthesises the LQ from the '
                                                           'kernels of RealESRGANDataset: use it, or set '
                                                           'high_order_degradation: false for paired data'))
        batch, queue = train_set.get('batch_size_per_gpu'), REAL_WORLD.resolve(opt)['queue_size']
        if isinstance(batch, int) and isinstance(queue, int) and batch > 0 and queue % batch:
            problems.append(Problem('queue_size', f'{queue} is not a multiple of datasets.train.batch_size_per_gpu '
                                                  f'{batch}'))
    return problems


KEEP_BEST = Section(
    'keep models/net_g_best.pth: the generator (params and params_ema) of the best validation so far of one '
    'metric, written atomically after each validation that equals or beats it (BebyGANModel)',
    (
        Option('metric', NAME, None, "a key of val.metrics; its 'better' says which way is best",
               required='required: the key of val.metrics to follow, e.g. {metric: psnr}'),
        Option('dataset', NAME, None, 'the validation set that decides (required with several; default: the '
                                        'only one)'),
    ),
)
VAL_KEEP_BEST = Option('keep_best', KEEP_BEST, None, KEEP_BEST.doc)

SKIP_CORRUPT_IMAGES = Option(SKIP_OPTION, Boolean(), False,
                             'training set only: skip (and log) images that cannot be decoded instead of stopping')


def skip_corrupt_images_problems(phase: str, dataset: dict, where: str) -> List[Problem]:
    """``skip_corrupt_images`` is only for the training set (a skipped val / test image would change the averaged
    metrics)."""
    if dataset.get(SKIP_OPTION) is True and phase != 'train':
        return [Problem(f'{where}.{SKIP_OPTION}', f'only applies to the training set: a skipped '
                                                  f'{phase.split("_")[0]} image would change the averaged metrics; '
                                                  'replace or remove the image')]
    return []


def val_dataset_names(opt: dict) -> List[str]:
    """The names of the validation sets (``datasets.val*``), in file order."""
    datasets = opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}
    return [str(d.get('name')) for phase, d in datasets.items()
            if str(phase).split('_')[0] == 'val' and isinstance(d, dict)]


def keep_best_problems(opt: dict) -> List[Problem]:
    """``val.keep_best`` names a computed metric and (with several validation sets) the set, on a model that keeps
    it (``keeps_best``: ``CrashSafeCheckpointMixin``)."""
    from basicsr.utils.registry import MODEL_REGISTRY

    val = opt.get('val') if isinstance(opt.get('val'), dict) else {}
    keep, where = val.get('keep_best'), 'val.keep_best'
    if keep is None or KEEP_BEST.problems(keep, where):
        return []  # reported by the declaration
    metrics, names = list(val.get('metrics') or {}), val_dataset_names(opt)
    problems = []
    if keep['metric'] not in metrics:
        problems.append(Problem(f'{where}.metric', f'{keep["metric"]!r} is not a key of val.metrics '
                                                   f'({", ".join(map(str, metrics)) or "none"})'))
    if keep.get('dataset') is not None and keep['dataset'] not in names:
        problems.append(Problem(f'{where}.dataset', f'{keep["dataset"]!r} is not the name of a validation set '
                                                    f'({", ".join(names) or "none"})'))
    elif keep.get('dataset') is None and len(names) > 1:
        problems.append(Problem(f'{where}.dataset', f'required with several validation sets: one of '
                                                    f'{", ".join(names)}'))
    model_type = opt.get('model_type')
    if model_type in MODEL_REGISTRY and not getattr(MODEL_REGISTRY.get(model_type), 'keeps_best', False):
        problems.append(Problem(where, f'model_type {model_type} does not keep a best checkpoint (BebyGANModel '
                                       'does); remove it and pick the checkpoint afterwards with bebygan-eval '
                                       '--checkpoints'))
    return problems


# The declarations of BasicSR's sections with the plugin's options added.
VAL = Section('validation (training) or evaluation (testing)', basicsr_options.VAL + (VAL_KEEP_BEST,))
DATASETS = {kind: dataclasses.replace(section, options=section.options + (SKIP_CORRUPT_IMAGES,))
            for kind, section in basicsr_options.DATASETS.items()}
OPTIONS = dataclasses.replace(basicsr_options.top_level(VAL),
                              options=basicsr_options.top_level(VAL).options + REAL_WORLD.options)
