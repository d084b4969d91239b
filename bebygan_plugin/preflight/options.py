"""Static checks of a BasicSR option dict: unknown keys (with the closest valid one), component types, values.

Valid keys and the rules of the plugin's options come from their declarations in :mod:`bebygan_plugin.schema`
(BasicSR's keys; ``BebyGANModel``'s ``train`` section, which the model checks the same way), and for components
(losses, networks, schedulers, optimizers, metrics) from the signature of the registered class or function, so a
misspelled ``loss_wieght`` is reported as ``train.pixel_opt: unknown key 'loss_wieght'; did you mean
'loss_weight'?`` instead of a ``TypeError`` (or silence) hours later. Each problem names the option key it is about.
Training runs (``is_train``) and test runs differ in the sections they need (``train`` / ``logger`` and a
``datasets.train`` set, or ``val.save_img`` and ``test_*`` sets). Nothing here touches files or the network; the
other modules of :mod:`bebygan_plugin.preflight` do that.
"""
import inspect
import numbers
from typing import Iterable, List, Optional

import torch

from ..models.lr_scheduler import scheduler_classes
from ..problems import Problem
from ..schema import (BEBYGAN_TRAIN, DATASET_KEYS, DIST_PARAMS_KEYS, GAN_TRAIN_KEYS, LOGGER_KEYS, NETWORK_KEYS,
                      PATH_KEYS, PATH_NETWORK_PREFIXES, SKIP_CORRUPT_IMAGES, SR_TRAIN_KEYS, TOP_LEVEL_KEYS, VAL_KEYS,
                      WANDB_KEYS, basicsr_keys, check_keys, closest, signature_keys, unknown_key_problem)
from .keep_best import keep_best_problems

# BasicSR modules whose components build without touching files (video archs load SpyNet weights, PerceptualLoss VGG)
CONSTRUCTIBLE_MODULES = ('rrdbnet_arch', 'srresnet_arch', 'edsr_arch', 'rcan_arch', 'swinir_arch', 'discriminator_arch',
                         'srvgg_arch', 'ecbsr_arch', 'ridnet_arch', 'basic_loss', 'gan_loss')
SCALE_ARGS = ('scale', 'upscale')  # the factor's name: RRDBNet scale; EDSR / MSRResNet / SwinIR upscale
RRDB_SCALES = (1, 2, 4)  # BasicSR's RRDBNet: x4 upsampling after pixel-unshuffling the input by 1, 2 or 4
X3_GENERATORS = ('EDSR', 'RCAN', 'MSRResNet', 'SRVGGNetCompact_basicsr')  # BasicSR generators whose upsampler does x3


def registry_lookup(registry, name, where: str, kind: str, problems: List[Problem]):
    """The registered object called ``name``, or None after adding a problem (with the closest registered name)."""
    if not isinstance(name, str) or not name:
        problems.append(Problem(where, f'a {kind} needs a type name, got {name!r}'))
        return None
    if name in registry:
        return registry.get(name)
    names = sorted(registry.keys())
    suggestion = closest(name, names)
    hint = f"did you mean '{suggestion}'?" if suggestion else 'is the module that registers it imported?'
    problems.append(Problem(where, f"unknown {kind} type '{name}'; {hint}"))
    return None


def check_component(section, where: str, registry, kind: str, problems: List[Problem], construct: bool = False,
                    fixed: Iterable[str] = ()):
    """Type, keys (from the constructor's signature) and, with ``construct``, the constructor's own validation."""
    if not isinstance(section, dict):
        problems.append(Problem(where, f'must be a mapping with a type, got {section!r}'))
        return None
    cls = registry_lookup(registry, section.get('type'), f'{where}.type', kind, problems)
    if cls is None:
        return None
    names, var_kw = signature_keys(cls, skip=('self',) + tuple(fixed))
    args = {k: v for k, v in section.items() if k != 'type'}
    if not var_kw:
        bad = [unknown_key_problem(where, key, ['type'] + names, f' of {section["type"]}') for key in args
               if key not in names]
        problems.extend(bad)
        if bad:
            return cls
    if construct and constructible(cls):
        try:
            with torch.device('meta'):
                cls(**args)
        except (TypeError, ValueError, AssertionError, KeyError) as err:
            problems.append(Problem(where, f'{section["type"]} rejects these options: {err}'))
    return cls


def constructible(cls) -> bool:
    """Whether building ``cls`` (on the meta device) for a check is harmless: no file or network access."""
    module = cls.__module__
    return module.startswith('bebygan_plugin.') or module.rsplit('.', 1)[-1] in CONSTRUCTIBLE_MODULES


def is_bebygan(model_cls) -> bool:
    from ..models.bebygan_model import BebyGANModel

    return model_cls is not None and issubclass(model_cls, BebyGANModel)


def model_train_keys(model_cls) -> Optional[tuple]:
    """The ``train`` keys a model type reads (None for model types this check does not know)."""
    from basicsr.models.esrgan_model import ESRGANModel
    from basicsr.models.sr_model import SRModel
    from basicsr.models.srgan_model import SRGANModel

    if is_bebygan(model_cls):
        return BEBYGAN_TRAIN.keys
    if model_cls in (SRGANModel, ESRGANModel):
        return GAN_TRAIN_KEYS
    if model_cls is SRModel:
        return SR_TRAIN_KEYS
    return None


def _positive_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0


def check_top_level(opt: dict, problems: List[Problem], is_train: bool = True):
    from basicsr.utils.registry import MODEL_REGISTRY

    for key in opt:
        if key not in TOP_LEVEL_KEYS and not str(key).startswith(basicsr_keys.NETWORK_PREFIX):
            problems.append(unknown_key_problem('top level', key, TOP_LEVEL_KEYS + NETWORK_KEYS))
    needed = ('train', 'logger') if is_train else ('val',)
    for key in ('name', 'model_type', 'scale', 'datasets', 'network_g', 'path') + needed:
        if key not in opt:
            problems.append(Problem(key, 'required key is missing'))
    if 'name' in opt and (not isinstance(opt['name'], str) or not opt['name'].strip()):
        problems.append(Problem('name', f'must be a non-empty experiment name, got {opt["name"]!r}'))
    scale = opt.get('scale')
    if 'scale' in opt and (not isinstance(scale, int) or isinstance(scale, bool) or scale < 1):
        problems.append(Problem('scale', f'must be a positive integer (4 for Beby-GAN), got {scale!r}'))
    num_gpu = opt.get('num_gpu', 0)
    if num_gpu != 'auto' and (not isinstance(num_gpu, int) or isinstance(num_gpu, bool) or num_gpu < 0):
        problems.append(Problem('num_gpu', f"must be 'auto' or an integer >= 0 (0 = CPU), got {num_gpu!r}"))
    seed = opt.get('manual_seed')
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        problems.append(Problem('manual_seed', f'must be an integer (or ~ for a random seed), got {seed!r}'))
    model_cls = None
    if 'model_type' in opt:
        model_cls = registry_lookup(MODEL_REGISTRY, opt['model_type'], 'model_type', 'model', problems)
    return model_cls


def check_networks(opt: dict, model_cls, problems: List[Problem], is_train: bool = True) -> None:
    from basicsr.utils.registry import ARCH_REGISTRY

    for key in [k for k in opt if str(k).startswith('network_')]:
        check_component(opt[key], key, ARCH_REGISTRY, 'network', problems, construct=True)
    gan_model = is_train and model_cls is not None and \
        model_train_keys(model_cls) in (GAN_TRAIN_KEYS, BEBYGAN_TRAIN.keys)
    if gan_model and 'network_d' not in opt:
        problems.append(Problem('network_d', f'{opt["model_type"]} trains a discriminator: add a network_d '
                                             'section (e.g. type: MaskedUNetDiscriminator)'))


def check_train(opt: dict, model_cls, problems: List[Problem]) -> None:
    from basicsr.models.base_model import BaseModel
    from basicsr.utils.registry import LOSS_REGISTRY

    train = opt.get('train')
    if not isinstance(train, dict):
        if 'train' in opt:
            problems.append(Problem('train', 'must be a mapping'))
        return
    known = model_train_keys(model_cls) if model_cls is not None else None
    if is_bebygan(model_cls):  # keys and the values of the plugin's options, as BebyGANModel checks them
        problems.extend(BEBYGAN_TRAIN.problems(train, 'train', f' of {opt["model_type"]}'))
    elif known is not None:
        problems.extend(check_keys(train, 'train', known, f' of {opt["model_type"]}'))
    if not _positive_number(train.get('total_iter')):
        problems.append(Problem('train.total_iter', f'must be a positive number of iterations, got '
                                                    f'{train.get("total_iter")!r}'))
    for key, section in train.items():
        if key.endswith('_opt') and key != 'mask_opt' and section:
            check_component(section, f'train.{key}', LOSS_REGISTRY, 'loss', problems,
                            construct=isinstance(section, dict) and section.get('type') != 'PerceptualLoss')
    optimizer_keys = ['optim_g'] + (['optim_d'] if 'network_d' in opt else [])
    if known is None:
        optimizer_keys = [k for k in optimizer_keys if k in train]
    for key in optimizer_keys:
        section = train.get(key)
        if not isinstance(section, dict):
            problems.append(Problem(f'train.{key}', 'required: an optimizer section such as {type: Adam, lr: 1e-4}'))
            continue
        supported = optimizer_types(model_cls, BaseModel) if model_cls is not None else None
        if supported is not None and section.get('type') not in supported:
            problems.append(Problem(f'train.{key}.type', f"BasicSR 1.4.2 only supports 'Adam', got "
                                                         f"{section.get('type')!r}"))
            continue
        if section.get('type') != 'Adam':  # a model with its own optimizer types: their arguments are its business
            continue
        names, _ = signature_keys(torch.optim.Adam, skip=('self', 'params'))
        problems.extend(check_keys({k: v for k, v in section.items() if k != 'type'}, f'train.{key}', names,
                                   ' of torch.optim.Adam'))
    check_scheduler(opt, model_cls, problems)
    if known == SR_TRAIN_KEYS and not train.get('pixel_opt') and not train.get('perceptual_opt'):
        problems.append(Problem('train', 'SRModel needs train.pixel_opt or train.perceptual_opt'))


def optimizer_types(model_cls, base_model) -> Optional[tuple]:
    """The ``train.optim_*.type`` values a model builds: its ``optimizer_types``, BasicSR's for a model that keeps
    ``BaseModel.get_optimizer``, None (not checked) for a model with a ``get_optimizer`` of its own."""
    if hasattr(model_cls, 'optimizer_types'):
        return model_cls.optimizer_types
    return basicsr_keys.OPTIMIZERS if model_cls.get_optimizer is base_model.get_optimizer else None


def check_scheduler(opt: dict, model_cls, problems: List[Problem]) -> None:
    section = opt['train'].get('scheduler')
    if not isinstance(section, dict):
        problems.append(Problem('train.scheduler', 'required: a scheduler section such as '
                                                   '{type: WarmupCosineRestartLR, periods: [...]}'))
        return
    name = section.get('type')
    cls = scheduler_classes(with_plugin=model_cls is None or is_bebygan(model_cls)).get(name)
    if cls is None:
        valid = tuple(scheduler_classes(with_plugin=is_bebygan(model_cls)))
        suggestion = closest(name, valid) if isinstance(name, str) else None
        extra = (' (WarmupCosineRestartLR needs model_type: BebyGANModel)' if name == 'WarmupCosineRestartLR'
                 else '')
        hint = f"did you mean '{suggestion}'?" if suggestion and suggestion != name else f'use one of {valid}'
        problems.append(Problem('train.scheduler.type', f'unsupported scheduler {name!r}{extra}; {hint}'))
        return
    names, _ = signature_keys(cls, skip=('self', 'optimizer', 'last_epoch'))
    args = {k: v for k, v in section.items() if k != 'type'}
    bad = [unknown_key_problem('train.scheduler', k, ['type'] + names, f' of {name}') for k in args if k not in names]
    problems.extend(bad)
    if not bad:
        try:
            cls(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), **args)
        except (TypeError, ValueError, AssertionError) as err:
            problems.append(Problem('train.scheduler', f'{name} rejects these options: {err}'))


def check_path_section(opt: dict, problems: List[Problem]) -> None:
    """Keys of the ``path`` section (``pretrain_network_<x>``, ``param_key_<x>``, ``strict_load_<x>`` and BasicSR's
    folders)."""
    path = opt.get('path')
    if isinstance(path, dict):
        for key in path:
            if key not in PATH_KEYS and not str(key).startswith(PATH_NETWORK_PREFIXES):
                problems.append(unknown_key_problem('path', key, PATH_KEYS + tuple(f'{p}g' for p in
                                                                                   PATH_NETWORK_PREFIXES)))
    elif 'path' in opt:
        problems.append(Problem('path', 'must be a mapping (it may be empty: {})'))


def check_sections(opt: dict, problems: List[Problem], is_train: bool = True) -> None:
    """Keys of the logger, path, val, dist_params and dataset sections."""
    from basicsr.utils.registry import DATASET_REGISTRY, METRIC_REGISTRY

    logger = opt.get('logger')
    if isinstance(logger, dict):
        problems.extend(check_keys(logger, 'logger', LOGGER_KEYS))
        for key in ('print_freq', 'save_checkpoint_freq') if is_train else ():
            if not _positive_number(logger.get(key)):
                problems.append(Problem(f'logger.{key}', f'must be a positive number of iterations, got '
                                                         f'{logger.get(key)!r}'))
        if isinstance(logger.get('wandb'), dict):
            problems.extend(check_keys(logger['wandb'], 'logger.wandb', WANDB_KEYS))
    check_path_section(opt, problems)
    dist_params = opt.get('dist_params')
    if isinstance(dist_params, dict):
        problems.extend(check_keys(dist_params, 'dist_params', DIST_PARAMS_KEYS))
    val = opt.get('val')
    if not is_train and 'val' in opt and (not isinstance(val, dict) or 'save_img' not in val):
        problems.append(Problem('val.save_img', 'required by a test run: true to write the output images to '
                                                'results/<name>/visualization, false for the metrics only'))
    if isinstance(val, dict):
        problems.extend(check_keys(val, 'val', VAL_KEYS))
        problems.extend(keep_best_problems(opt))
        for name, metric in (val.get('metrics') or {}).items():
            where = f'val.metrics.{name}'
            if not isinstance(metric, dict):
                problems.append(Problem(where, f'must be a mapping with a type, got {metric!r}'))
                continue
            func = registry_lookup(METRIC_REGISTRY, metric.get('type'), f'{where}.type', 'metric', problems)
            if func is not None:
                names, _ = signature_keys(func, skip=('img', 'img2'))
                problems.extend(check_keys(metric, where, ['type', *basicsr_keys.METRIC_EXTRA] + names,
                                           f' of {metric["type"]}'))
            if metric.get('better', 'higher') not in ('higher', 'lower'):
                problems.append(Problem(f'{where}.better', f"must be 'higher' or 'lower', got {metric['better']!r}"))
    datasets = opt.get('datasets')
    if not isinstance(datasets, dict):
        if 'datasets' in opt:
            problems.append(Problem('datasets', 'must be a mapping of phases (train, val, ...)'))
        return
    if is_train and 'train' not in datasets:
        suggestion = closest('train', datasets)
        problems.append(Problem('datasets.train', 'a training set is required' +
                                (f"; did you mean to name '{suggestion}' train?" if suggestion else '')))
    if not is_train and not datasets:
        problems.append(Problem('datasets', "a test run needs at least one test set: 'test_1', 'test_2', ..."))
    for phase, section in datasets.items():
        where = f'datasets.{phase}'
        kind = str(phase).split('_')[0]
        if is_train and kind not in ('train', 'val'):
            problems.append(Problem(where, f"unknown phase '{phase}': training runs use 'train' and 'val' "
                                           "(or 'val_1', 'val_2', ...)"))
            continue
        if not is_train and kind not in ('test', 'val'):
            problems.append(Problem(where, f"unknown phase '{phase}' for a test run: name test sets 'test_1', "
                                           "'test_2', ... (or 'val_*')"))
            continue
        if not isinstance(section, dict):
            problems.append(Problem(where, 'must be a mapping'))
            continue
        cls = registry_lookup(DATASET_REGISTRY, section.get('type'), f'{where}.type', 'dataset', problems)
        if cls is None:
            continue
        if section['type'] in DATASET_KEYS:
            problems.extend(check_keys(section, where, DATASET_KEYS[section['type']], f' of {section["type"]}'))
        backend = (section.get('io_backend') or {}).get('type') if isinstance(section.get('io_backend'), dict) \
            else None
        if 'io_backend' in DATASET_KEYS.get(section['type'], ('io_backend',)) and \
                backend not in basicsr_keys.IO_BACKENDS:
            problems.append(Problem(f'{where}.io_backend', f'needs type: one of {basicsr_keys.IO_BACKENDS}, got '
                                                           f'{section.get("io_backend")!r}'))
        skip_key = SKIP_CORRUPT_IMAGES.key
        skip = section.get(skip_key)
        if skip is not None and not SKIP_CORRUPT_IMAGES.rule.accepts(skip):
            problems.extend(SKIP_CORRUPT_IMAGES.rule.problems(skip, f'{where}.{skip_key}'))
        elif skip and phase != 'train':
            problems.append(Problem(f'{where}.{skip_key}', 'only applies to the training set: a skipped '
                                                           f'{kind} image would change the averaged metrics; '
                                                           'replace or remove the image'))
        if phase == 'train':
            required = basicsr_keys.TRAIN_REQUIRED_LOADER_KEYS
            for key in required + ('gt_size', 'use_hflip', 'use_rot'):
                if key not in section and (key in required or section['type'] == 'PairedImageDataset'):
                    problems.append(Problem(f'{where}.{key}', 'required for the training set'))
            batch = section.get('batch_size_per_gpu')
            if batch is not None and (not isinstance(batch, int) or batch < 1):
                problems.append(Problem(f'{where}.batch_size_per_gpu', f'must be an integer >= 1, got {batch!r}'))


def generator_scale_problems(net_g: dict, scale: Optional[int], where: str = 'network_g') -> List[Problem]:
    """The generator upsamples by ``scale`` (None: any): its ``scale`` / ``upscale`` argument, given or by default,
    equals it, and RRDBNet is asked for a factor it has (x1, x2, x4)."""
    from basicsr.utils.registry import ARCH_REGISTRY

    if net_g.get('type') not in ARCH_REGISTRY:
        return []
    params = inspect.signature(ARCH_REGISTRY.get(net_g['type'])).parameters
    for arg in SCALE_ARGS:
        if arg not in params:
            continue
        given = net_g.get(arg, params[arg].default)
        if net_g['type'] == 'RRDBNet' and given not in RRDB_SCALES:
            which = f': {", ".join(X3_GENERATORS)} (upscale: 3)' if given == 3 else ''
            return [Problem(f'{where}.{arg}', f'is {given!r}: RRDBNet supports x1, x2 and x4 only (BasicSR\'s '
                                              'RRDBNet always upsamples x4, reaching x2 and x1 by pixel-unshuffling '
                                              f'its input; at x{given} it would make x4 images). For x{given} use a '
                                              f'generator with an x{given} upsampler{which}')]
        if scale is not None and given is not inspect.Parameter.empty and given != scale:
            told = f'is {given!r}' if arg in net_g else f'is not set, so {net_g["type"]} upsamples x{given},'
            return [Problem(f'{where}.{arg}', f'{told} but scale is {scale}; set {where}.{arg}: {scale}')]
    return []


def check_scale(opt: dict, problems: List[Problem]) -> None:
    """The SR factor agrees between ``scale``, the generator, losses that take one, and the datasets."""
    scale = opt.get('scale')
    if not isinstance(scale, int):
        return
    net_g = opt.get('network_g') if isinstance(opt.get('network_g'), dict) else {}
    problems.extend(generator_scale_problems(net_g, scale))
    for key, section in (opt.get('train') or {}).items():
        if key.endswith('_opt') and isinstance(section, dict) and 'scale' in section and section['scale'] != scale:
            problems.append(Problem(f'train.{key}.scale', f'is {section["scale"]!r} but scale is {scale}; make '
                                                          'them equal'))
    for phase, section in (opt.get('datasets') or {}).items():
        if not isinstance(section, dict):
            continue
        if 'scale' in section and section['scale'] != scale:
            problems.append(Problem(f'datasets.{phase}.scale', f'is {section["scale"]!r} but scale is {scale} '
                                                               '(BasicSR overwrites it); remove it'))
        gt_size = section.get('gt_size')
        if phase == 'train' and isinstance(gt_size, int) and gt_size % scale:
            problems.append(Problem(f'datasets.{phase}.gt_size', f'{gt_size} is not a multiple of scale {scale}'))


def check_discriminator_input(opt: dict, problems: List[Problem]) -> None:
    """The discriminator accepts the training crops (``gt_size``)."""
    net_d = opt.get('network_d')
    train_set = (opt.get('datasets') or {}).get('train')
    if not isinstance(net_d, dict) or not isinstance(train_set, dict) or not isinstance(train_set.get('gt_size'),
                                                                                        int):
        return
    gt_size, kind = train_set['gt_size'], net_d.get('type')
    if kind in ('MaskedUNetDiscriminator', 'UNetDiscriminatorSN', 'UNetDiscriminatorSN_basicsr') and gt_size % 8:
        problems.append(Problem('datasets.train.gt_size', f'{gt_size} is not a multiple of 8, which {kind} needs'))
    if kind in ('MaskedVGGStyleDiscriminator', 'VGGStyleDiscriminator'):
        default = 192 if kind == 'MaskedVGGStyleDiscriminator' else 128
        size = net_d.get('input_size', default)
        if size != gt_size:
            problems.append(Problem('network_d.input_size', f'is {size} but datasets.train.gt_size is {gt_size}; '
                                                            f'{kind} only accepts crops of input_size'))


def check_options(opt: dict, is_train: bool = True) -> List[Problem]:
    """Every static problem of ``opt`` (a BasicSR option dict of a training run, or of a test run), in option
    order."""
    problems: List[Problem] = []
    if not isinstance(opt, dict):
        return [Problem('options', f'the option file must hold a mapping, got {type(opt).__name__}')]
    model_cls = check_top_level(opt, problems, is_train)
    check_networks(opt, model_cls, problems, is_train)
    if is_train:
        check_train(opt, model_cls, problems)
        check_discriminator_input(opt, problems)
    check_sections(opt, problems, is_train)
    check_scale(opt, problems)
    return problems

