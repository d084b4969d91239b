"""Registered components (networks, losses, schedulers, metrics, optimizers) as option values ``{type: ..., <args>}``:
the constructor declares the arguments (names, defaults, types from annotations or defaults, else
:data:`ARGUMENT_TYPES`); :class:`Component` checks type, keys, values and the constructor's own checks (meta device)."""
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import torch

from ..problems import Problem, closest, unknown_key_problem
from ..registration import ARGUMENT_TYPES, Argument, arguments
from .rules import Boolean, Integer, Number, Numbers, Rule, Text

# BasicSR modules whose components build without touching files (video archs load SpyNet weights, PerceptualLoss VGG)
CONSTRUCTIBLE_MODULES = ('rrdbnet_arch', 'srresnet_arch', 'edsr_arch', 'rcan_arch', 'swinir_arch', 'discriminator_arch',
                         'srvgg_arch', 'ecbsr_arch', 'ridnet_arch', 'basic_loss', 'gan_loss')
NOT_CONSTRUCTED = ('PerceptualLoss',)  # builds VGG19 from its weight file: the preflight checks that file instead
# torch.optim arguments the models pass as numbers (their annotations also allow tensors).
OPTIMIZER_TYPES = {'lr': ('number',), 'betas': ('array',), 'eps': ('number',), 'weight_decay': ('number',),
                   'momentum': ('number',), 'amsgrad': ('boolean',), 'nesterov': ('boolean',)}
SCHEDULER_SKIP = ('self', 'optimizer', 'last_epoch')
METRIC_SKIP = ('img', 'img2')
RULES = {'boolean': Boolean(), 'integer': Integer(minimum=None), 'number': Number(), 'array': Numbers(),
         'string': Text('text', non_empty=False)}


def argument_rule(argument: Argument) -> Optional[Rule]:
    """The rule of a given value of ``argument`` (None: not checked); lists are checked when they hold numbers."""
    types = [t for t in argument.types if t != 'null']
    if len(types) != 1 or types[0] not in RULES:
        return None
    numeric = argument.name in ARGUMENT_TYPES or not isinstance(argument.default, (list, tuple)) or \
        all(isinstance(v, (int, float)) for v in argument.default)
    return RULES[types[0]] if types[0] != 'array' or numeric else None


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
        rule = argument_rule(by_name[key]) if key in by_name else None
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
