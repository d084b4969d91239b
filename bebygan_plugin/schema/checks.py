"""Every static problem of an option dict, from the declarations; the preflight and ``BebyGANModel`` (also under
``basicsr/train.py``) both run :func:`check_options`: the same problems, the same messages."""
import inspect
from typing import List, Optional

import torch

from ..problems import Problem, closest
from .basicsr_options import IO_BACKENDS, ITERATIONS, LOSS, OPTIMIZERS, TRAIN_BY_MODEL, TRAIN_REQUIRED_LOADER_KEYS
from ..registration import scheduler_classes
from .components import OPTIMIZER_TYPES, SCHEDULER_SKIP, argument_problems, registry_lookup
from .plugin_options import DATASETS, OPTIONS, keep_best_problems, real_world_problems, skip_corrupt_images_problems
from .rules import Section

SCALE_ARGS = ('scale', 'upscale')  # the factor's name: RRDBNet scale; EDSR / MSRResNet / SwinIR upscale
RRDB_SCALES = (1, 2, 4)  # BasicSR's RRDBNet: x4 upsampling after pixel-unshuffling the input by 1, 2 or 4
X3_GENERATORS = ('EDSR', 'RCAN', 'MSRResNet', 'SRVGGNetCompact_basicsr')  # BasicSR generators whose upsampler does x3


def train_section(model_cls) -> Optional[Section]:
    """A model's declared ``train`` section: its ``train_options``, BasicSR's for BasicSR's SR models, else None."""
    basicsr = model_cls is not None and model_cls.__module__.startswith('basicsr.')
    return getattr(model_cls, 'train_options', None) or (TRAIN_BY_MODEL.get(model_cls.__name__) if basicsr else None)


def check_train(opt: dict, model_cls, problems: List[Problem]) -> None:
    from basicsr.models.base_model import BaseModel

    train = opt.get('train')
    if not isinstance(train, dict):
        problems += [Problem('train', 'must be a mapping')] if 'train' in opt else []
        return
    section = train_section(model_cls)
    if section is not None:
        problems.extend(section.problems(train, 'train', f' of {opt["model_type"]}'))
    else:  # a model type this declaration does not know: its losses and total_iter only
        problems.extend(p for key, value in train.items() if key.endswith('_opt') and key != 'mask_opt' and value
                        for p in LOSS.problems(value, f'train.{key}'))
    if train.get('total_iter') is None or section is None:
        problems.extend(ITERATIONS.problems(train.get('total_iter'), 'train.total_iter'))
    optimizer_keys = ['optim_g'] + (['optim_d'] if 'network_d' in opt else [])
    for key in optimizer_keys if section is not None else [k for k in optimizer_keys if k in train]:
        optimizer = train.get(key)
        if not isinstance(optimizer, dict):
            problems.append(Problem(f'train.{key}', 'required: an optimizer section such as {type: Adam, lr: 1e-4}'))
            continue
        # the types a model builds: its optimizer_types, BasicSR's if it keeps BaseModel.get_optimizer, else its own
        supported = getattr(model_cls, 'optimizer_types', OPTIMIZERS if getattr(
            model_cls, 'get_optimizer', None) is BaseModel.get_optimizer else None)
        if supported is not None and optimizer.get('type') not in supported:
            problems.append(Problem(f'train.{key}.type', f"BasicSR 1.4.2 only supports 'Adam', got "
                                                         f"{optimizer.get('type')!r}"))
        elif optimizer.get('type') == 'Adam':  # a model with its own optimizer types: their arguments are its own
            problems.extend(argument_problems(optimizer, f'train.{key}', torch.optim.Adam, 'torch.optim.Adam',
                                              ('self', 'params'), types=OPTIMIZER_TYPES))
    check_scheduler(train.get('scheduler'), model_cls, problems)


def check_scheduler(section, model_cls, problems: List[Problem]) -> None:
    from basicsr.utils.registry import MODEL_REGISTRY

    if not isinstance(section, dict):
        problems.append(Problem('train.scheduler', 'required: a scheduler section such as '
                                                   '{type: WarmupCosineRestartLR, periods: [...]}'))
        return
    name, classes = section.get('type'), scheduler_classes(model_cls)
    owners = {s: m for m in sorted(MODEL_REGISTRY.keys()) for s in scheduler_classes(MODEL_REGISTRY.get(m))}
    if model_cls is None and name in owners:  # model_type is reported: any model's scheduler is fine
        classes = scheduler_classes(MODEL_REGISTRY.get(owners[name]))
    if not isinstance(name, str) or name not in classes:
        suggestion = closest(name, classes) if isinstance(name, str) else None
        extra = f' ({name} needs model_type: {owners[name]})' if name in owners and name not in classes else ''
        hint = f"did you mean '{suggestion}'?" if suggestion and suggestion != name else f'use one of {tuple(classes)}'
        problems.append(Problem('train.scheduler.type', f'unsupported scheduler {name!r}{extra}; {hint}'))
        return
    bad = argument_problems(section, 'train.scheduler', classes[name], name, SCHEDULER_SKIP)
    problems.extend(bad)
    if not bad:
        try:
            classes[name](torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
                          **{k: v for k, v in section.items() if k != 'type'})
        except (TypeError, ValueError, AssertionError) as err:
            problems.append(Problem('train.scheduler', f'{name} rejects these options: {err}'))


def check_val(opt: dict, problems: List[Problem], is_train: bool) -> None:
    """What BasicSR's training loop and test run read from ``val`` without a default, and ``val.keep_best``."""
    val = opt.get('val')
    if not is_train and 'val' in opt and (not isinstance(val, dict) or 'save_img' not in val):
        problems.append(Problem('val.save_img', 'required by a test run: true to write the output images to '
                                                'results/<name>/visualization, false for the metrics only'))
    if not isinstance(val, dict):
        return
    if is_train and val.get('val_freq') is None:
        problems.append(Problem('val.val_freq', "required by BasicSR's training loop when val is set: iterations "
                                                'between validations, e.g. val_freq: 5000 (or remove val)'))
    if is_train and 'save_img' not in val:
        problems.append(Problem('val.save_img', "required by BasicSR's validation: true to write the output "
                                                'images to experiments/<name>/visualization, or false'))
    if not is_train and val.get('save_img') is True and 'suffix' not in val:
        problems.append(Problem('val.suffix', "required by BasicSR's test run when save_img is true: ~ names the "
                                              'images <image>_<name>.png, or a text such as BebyGAN names them '
                                              '<image>_BebyGAN.png'))
    problems.extend(keep_best_problems(opt))


def check_datasets(opt: dict, problems: List[Problem], is_train: bool, whole_run: bool) -> None:
    from basicsr.utils.registry import DATASET_REGISTRY

    datasets = opt.get('datasets')
    if not isinstance(datasets, dict):
        problems += [Problem('datasets', 'must be a mapping of phases (train, val, ...)')] if 'datasets' in opt else []
        return
    if is_train and whole_run and 'train' not in datasets:
        suggestion = closest('train', datasets)
        problems.append(Problem('datasets.train', 'a training set is required' +
                                (f"; did you mean to name '{suggestion}' train?" if suggestion else '')))
    if not is_train and whole_run and not datasets:
        problems.append(Problem('datasets', "a test run needs at least one test set: 'test_1', 'test_2', ..."))
    for phase, section in datasets.items():
        where = f'datasets.{phase}'
        if whole_run and str(phase).split('_')[0] not in (('train', 'val') if is_train else ('test', 'val')):
            problems.append(Problem(where, f"unknown phase '{phase}': training runs use 'train' and 'val' (or "
                                           "'val_1', 'val_2', ...)" if is_train else f"unknown phase '{phase}' for a "
                                           "test run: name test sets 'test_1', 'test_2', ... (or 'val_*')"))
            continue
        if not isinstance(section, dict):
            problems.append(Problem(where, 'must be a mapping'))
            continue
        if registry_lookup(DATASET_REGISTRY, section.get('type'), f'{where}.type', 'dataset', problems) is None:
            continue
        declared = DATASETS.get(section['type'])
        if declared is not None:
            problems.extend(declared.problems(section, where, f' of {section["type"]}'))
            backend = section.get('io_backend')  # a bad type or value is the declaration's; BasicSR pops the type
            if whole_run and (backend is None or isinstance(backend, dict) and backend.get('type') is None):
                problems.append(Problem(f'{where}.io_backend', f'needs type: one of {IO_BACKENDS}, got {backend!r}'))
        problems.extend(skip_corrupt_images_problems(str(phase), section, where))
        if phase == 'train' and whole_run:
            for key in TRAIN_REQUIRED_LOADER_KEYS + ('gt_size', 'use_hflip', 'use_rot'):
                required = key in TRAIN_REQUIRED_LOADER_KEYS or section['type'] == 'PairedImageDataset'
                if key not in section and required:
                    problems.append(Problem(f'{where}.{key}', 'required for the training set'))


def generator_scale_problems(net_g: dict, scale: Optional[int], where: str = 'network_g') -> List[Problem]:
    """The generator's ``scale`` / ``upscale`` (given or default) equals ``scale`` (None: any); RRDBNet: x1, x2, x4."""
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
    for key, section in (opt.get('train') if isinstance(opt.get('train'), dict) else {}).items():
        if key.endswith('_opt') and isinstance(section, dict) and 'scale' in section and section['scale'] != scale:
            problems.append(Problem(f'train.{key}.scale', f'is {section["scale"]!r} but scale is {scale}; make '
                                                          'them equal'))
    datasets = opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}
    for phase, section in ((k, v) for k, v in datasets.items() if isinstance(v, dict)):
        if 'scale' in section and section['scale'] != scale:
            problems.append(Problem(f'datasets.{phase}.scale', f'is {section["scale"]!r} but scale is {scale} '
                                                               '(BasicSR overwrites it); remove it'))
        gt_size = section.get('gt_size')
        if phase == 'train' and isinstance(gt_size, int) and gt_size % scale:
            problems.append(Problem(f'datasets.{phase}.gt_size', f'{gt_size} is not a multiple of scale {scale}'))


def check_discriminator_input(opt: dict, problems: List[Problem]) -> None:
    """The discriminator accepts the training crops (``gt_size``)."""
    net_d, datasets = opt.get('network_d'), opt.get('datasets')
    train_set = datasets.get('train') if isinstance(datasets, dict) else None
    if not (isinstance(net_d, dict) and isinstance(train_set, dict) and isinstance(train_set.get('gt_size'), int)):
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


def check_options(opt: dict, is_train: bool = True, whole_run: bool = True) -> List[Problem]:
    """Every static problem of ``opt`` (a training or test run's options); ``whole_run``: also required keys and
    sections, phases and sizes that must agree (a model checks values only: it may be built for part of a run)."""
    from basicsr.utils.registry import MODEL_REGISTRY

    if not isinstance(opt, dict):
        return [Problem('options', f'the option file must hold a mapping, got {type(opt).__name__}')]
    problems = OPTIONS.problems(opt, '')
    needed = ('train', 'logger') if is_train else ('val',)
    problems += [Problem(key, 'required key is missing') for key in ('name', 'model_type', 'scale', 'datasets',
                                                                      'network_g', 'path') + needed
                 if key not in opt and whole_run]
    model_cls = None
    if 'model_type' in opt:
        model_cls = registry_lookup(MODEL_REGISTRY, opt['model_type'], 'model_type', 'model', problems)
    section = train_section(model_cls)
    if is_train and whole_run and section is not None and 'optim_d' in section.keys and 'network_d' not in opt:
        problems.append(Problem('network_d', f'{opt["model_type"]} trains a discriminator: add a network_d '
                                             'section (e.g. type: MaskedUNetDiscriminator)'))
    if is_train:
        check_train(opt, model_cls, problems)
        problems.extend(real_world_problems(opt, model_cls, whole_run))
    if is_train and whole_run and isinstance(opt.get('logger'), dict):
        problems += [p for key in ('print_freq', 'save_checkpoint_freq') if opt['logger'].get(key) is None
                     for p in ITERATIONS.problems(None, f'logger.{key}')]
    check_datasets(opt, problems, is_train, whole_run)
    if whole_run:
        if is_train:
            check_discriminator_input(opt, problems)
        check_val(opt, problems, is_train)
        check_scale(opt, problems)
    return problems
