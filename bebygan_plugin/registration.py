"""Registered components: the auto-import of a sub-package's modules so their ``@*_REGISTRY.register()`` decorators
run (BasicSR style), and a component's arguments read from its constructor (names, defaults, JSON types)."""
import collections.abc
import importlib
import inspect
import pkgutil
import typing
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

NO_DEFAULT = object()  # an argument without a default: it must be given
JSON_TYPES = {bool: 'boolean', int: 'integer', float: 'number', str: 'string', dict: 'object', list: 'array',
              tuple: 'array'}
# Arguments BasicSR declares with neither an annotation nor a default: their JSON types.
ARGUMENT_TYPES = {'crop_border': ('integer',), 'milestones': ('array',), 'periods': ('array',),
                  'layer_weights': ('object',)}


def import_modules_with_suffix(package: str, package_dir: str, suffix: str) -> List[ModuleType]:
    """Import every module ``<package>.<name>`` in ``package_dir`` whose name ends with ``suffix``."""
    names = sorted(info.name for info in pkgutil.iter_modules([package_dir]) if info.name.endswith(suffix))
    return [importlib.import_module(f'{package}.{name}') for name in names]


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


@dataclass(frozen=True)
class Argument:
    """One argument of a component: its JSON types and default (:data:`NO_DEFAULT`: must be given)."""

    name: str
    types: Tuple[str, ...]
    default: Any

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


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
