"""Registered components (networks, losses, schedulers, metrics, optimizers) as option values ``{type: ..., <args>}``.

A component's constructor is the one declaration of its arguments: names, defaults, types (from annotations or
defaults; :data:`ARGUMENT_TYPES` where BasicSR gives neither). :class:`Component` checks a section against it: a
registered type (else the closest name), known keys, typed values, and the constructor's own checks (on the meta
device, for components that build without files).
"""
import collections.abc
import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from ..problems import Problem
from .rules import Boolean, Integer, Number, Numbers, Rule, Text, closest, unknown_key_problem

NO_DEFAULT = object()  # an argument without a default: it must be given
# BasicSR modules whose components build without touching files (video archs load SpyNet weights, PerceptualLoss VGG)
CONSTRUCTIBLE_MODULES = ('rrdbnet_arch', 'srresnet_arch', 'edsr_arch', 'rcan_arch', 'swinir_arch', 'discriminator_arch',
                         'srvgg_arch', 'ecbsr_arch', 'ridnet_arch', 'basic_loss', 'gan_loss')
NOT_CONSTRUCTED = ('PerceptualLoss',)  # builds VGG19 from its weight file: the preflight checks that file instead
JSON_TYPES = {bool: 'boolean', int: 'integer', float: 'number', str: 'string', dict: 'object', list: 'array',
              tuple: 'array'}
# Arguments BasicSR declares with neither an annotation nor a default: their JSON types.
ARGUMENT_TYPES = {'crop_border': ('integer',), 'milestones': ('array',), 'periods': ('array',),
                  'layer_weights': ('object',)}
# torch.optim arguments the models pass as numbers (their annotations also allow tensors).
OPTIMIZER_TYPES = {'lr': ('number',), 'betas': ('array',), 'eps': ('number',), 'weight_decay': ('number',),
                   'momentum': ('number',), 'amsgrad': ('boolean',), 'nesterov': ('boolean',)}
SCHEDULER_SKIP = ('self', 'optimizer', 'last_epoch')
METRIC_SKIP = ('img', 'img2')


def _json_types(annotation, default) -> Tuple[str, ...]:
    """JSON types of an argument, from its annotation, else from its default (an unannotated int default accepts any
    number: BasicSR writes ``eta_min=0`` for a float); () when unknown."""
    if annotation is not inspect.Parameter.empty and not isinstance(annotation, str):
        args, origin = typing.get_args(annotation), typing.get_origin(annotation)
        if origin is typing.Union:
            members = [_json_types(a, NO_DEFAULT) for a in args if a is not type(None)]
            if not all(members):
                return ()
            return tuple(sorted({t for m in members for t in m} | ({'null'} if type(None) in args else set())))
        if origin in (list, tuple, collections.abc.Sequence):
            return ('array',)
        return (JSON_TYPES[annotation],) if annotation in JSON_TYPES else ()
    if isinstance(default, bool):
        return ('boolean',)
    if isinstance(default, (int, float)):
        return ('number',)
    return (JSON_TYPES[type(default)],) if type(default) in JSON_TYPES else ()


RULES = {'boolean': Boolean(), 'integer': Integer(minimum=None), 'number': Number(), 'array': Numbers(),
         'string': Text('text', non_empty=False)}


@dataclass(frozen=True)
class Argument:
    """One argument of a component: its JSON types and default (:data:`NO_DEFAULT`: must be given)."""

    name: str
    types: Tuple[str, ...]
    default: Any

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    @property
    def rule(self) -> Optional[Rule]:
        """The rule of a given value (None: not checked); lists are checked when they hold numbers."""
        types = [t for t in self.types if t != 'null']
        if len(types) != 1 or types[0] not in RULES:
            return None
        numeric = self.name in ARGUMENT_TYPES or not isinstance(self.default, (list, tuple)) or \
            all(isinstance(v, (int, float)) for v in self.default)
        return RULES[types[0]] if types[0] != 'array' or numeric else None


def arguments(component: Callable, skip: Tuple[str, ...] = ('self',),
              types: Optional[Dict[str, Tuple[str, ...]]] = None) -> Tuple[List[Argument], bool]:
    """``(arguments, accepts **kwargs)`` of a component (a class's ``__init__`` or a function)."""
    params = inspect.signature(component).parameters
    result = []
    for name, param in params.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or name in skip:
            continue
        default = NO_DEFAULT if param.default is inspect.Parameter.empty else param.default
        kinds = (types or {}).get(name) or ARGUMENT_TYPES.get(name) or _json_types(param.annotation, default)
        if default is None and len(kinds) == 1:
            kinds += ('null',)
        result.append(Argument(name, kinds, default))
    return result, any(p.kind == p.VAR_KEYWORD for p in params.values())


def scheduler_classes(model_cls=None) -> Dict[str, type]:
    """``train.scheduler.type`` -> class: BasicSR 1.4.2's schedulers (``MultiStepLR`` is its alias of
    ``MultiStepRestartLR``), and those a model adds (``BebyGANModel.scheduler_types``: the paper's
    ``WarmupCosineRestartLR``)."""
    from basicsr.models import lr_scheduler

    return {'MultiStepLR': lr_scheduler.MultiStepRestartLR, 'MultiStepRestartLR': lr_scheduler.MultiStepRestartLR,
            'CosineAnnealingRestartLR': lr_scheduler.CosineAnnealingRestartLR,
            **getattr(model_cls, 'scheduler_types', {})}


def registry_lookup(registry, name, where: str, kind: str, problems: List[Problem]):
    """The registered object called ``name``, or None after adding a problem (with the closest registered name)."""
    if not isinstance(name, str) or not name:
        problems.append(Problem(where, f'a {kind} needs a type name, got {name!r}'))
        return None
    if name in registry or f'{name}_basicsr' in registry:  # BasicSR's get() falls back to the _basicsr suffix
        return registry.get(name)
    suggestion = closest(name, sorted(registry.keys()))
    hint = f"did you mean '{suggestion}'?" if suggestion else 'is the module that registers it imported?'
    problems.append(Problem(where, f"unknown {kind} type '{name}'; {hint}"))
    return None


def constructible(cls) -> bool:
    """Whether building ``cls`` (on the meta device) for a check is harmless: no file or network access."""
    module = cls.__module__
    return cls.__name__ not in NOT_CONSTRUCTED and \
        (module.startswith('bebygan_plugin.') or module.rsplit('.', 1)[-1] in CONSTRUCTIBLE_MODULES)


def argument_problems(section: dict, where: str, cls: Callable, name: str, skip: Tuple[str, ...] = ('self',),
                      extra: Tuple[str, ...] = (), types=None, strict: bool = False) -> List[Problem]:
    """Unknown keys (unless ``cls`` takes ``**kwargs`` and not ``strict``: BasicSR's metrics take ``**kwargs`` and
    ignore a misspelled key; ``extra``: keys valid beside the arguments) and the type of every number, boolean and
    list of numbers given."""
    args, var_kw = arguments(cls, skip, types)
    by_name = {a.name: a for a in args}
    valid = ['type', *extra, *by_name]
    problems = [] if var_kw and not strict else [unknown_key_problem(where, key, valid, f' of {name}')
                                  for key in section if key not in by_name and key not in ('type', *extra)]
    for key, value in section.items():
        rule = by_name[key].rule if key in by_name else None
        if rule is not None and value is not None:
            problems += rule.problems(value, f'{where}.{key}')
    return problems


@dataclass(frozen=True)
class Component(Rule):
    """A section building a registered component (``{type: ..., <arguments>}``) of ``registry`` (``arch``,
    ``loss``, ``metric``): type, keys, values, and the constructor's own checks. ``required_type`` restricts the
    type, with the message ``why``."""

    registry: str
    required_type: str = ''
    why: str = ''

    @property
    def text(self) -> str:
        return f'type: {self.required_type}' if self.required_type else f'any {self.registry}'

    def problems(self, value, where: str) -> List[Problem]:
        from basicsr.utils import registry

        if not isinstance(value, dict):
            return [Problem(where, f'must be a mapping with a type, got {value!r}')]
        problems: List[Problem] = []
        kind = {'arch': 'network'}.get(self.registry, self.registry)
        cls = registry_lookup(getattr(registry, f'{self.registry.upper()}_REGISTRY'), value.get('type'),
                              f'{where}.type', kind, problems)
        if cls is None:
            return problems
        if self.required_type and value['type'] != self.required_type:
            return [Problem(f'{where}.type', f'{self.why}, got {value["type"]!r}')]
        metric = self.registry == 'metric'
        problems += argument_problems(value, where, cls, value['type'], METRIC_SKIP if metric else ('self',),
                                      ('better',) if metric else (), strict=metric)
        if metric and value.get('better', 'higher') not in ('higher', 'lower'):
            problems.append(Problem(f'{where}.better', f"must be 'higher' or 'lower', got {value['better']!r}"))
        if not problems and not metric and constructible(cls):
            try:
                with torch.device('meta'):
                    cls(**{k: v for k, v in value.items() if k != 'type'})
            except (TypeError, ValueError, AssertionError, KeyError) as err:
                problems.append(Problem(where, f'{value["type"]} rejects these options: {err}'))
        return problems


@dataclass(frozen=True)
class Arguments(Rule):
    """``true`` / ``false``, or a mapping of the keyword arguments of ``function`` that ``function`` accepts
    (``torch.compile``: it checks ``backend`` and ``mode`` when called on a module)."""

    function: Callable
    name: str
    example: str
    skip: Tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f'true, false or a mapping of {self.name} arguments (e.g. {self.example})'

    def problems(self, value, where: str) -> List[Problem]:
        if not isinstance(value, dict):
            return [] if isinstance(value, bool) else [Problem(where, f'must be {self.text}, got {value!r}')]
        problems = argument_problems(value, where, self.function, self.name, self.skip)
        if not problems:
            try:
                self.function(torch.nn.Identity(), **value)
            except (RuntimeError, TypeError, ValueError) as err:  # torch.compile: InvalidBackend is a RuntimeError
                problems.append(Problem(where, f'{self.name} rejects these options: {err}'))
        return problems
