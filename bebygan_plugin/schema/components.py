"""The arguments of registered components (networks, losses, schedulers, metrics), read from their signatures and
docstrings: a component's constructor is the one declaration of its arguments (names, defaults, checks) and its
docstring's ``Args:`` the one place of their docs. The JSON Schema and ``docs/options.md`` describe them from here;
the preflight checks option files against the same signatures (:func:`.rules.signature_keys`)."""
import collections.abc
import inspect
import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple


# Modules whose registered components the JSON Schema and the reference describe: BasicSR 1.4.2's and the plugin's
# (never those of other installed plugins, so that the generated files are the same on every machine).
DESCRIBED_MODULES = ('basicsr.', 'bebygan_plugin.')
NO_DEFAULT = object()  # an argument without a default: it must be given
_SENTENCE_END = re.compile(r'(?<=\.)\s+(?=[A-Z`])')  # not after 'Eq.' followed by a number
_ARG_LINE = re.compile(r'^(\s*)(\w+)(?:\s*\([^)]*\))?:\s*(.*)$')


@dataclass(frozen=True)
class Argument:
    """One argument of a component: its JSON Schema (type, default), doc, and whether it must be given."""

    name: str
    schema: Dict[str, Any]
    default: Any
    doc: str

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


def registered(registry) -> Dict[str, Callable]:
    """The components of ``registry`` from :data:`DESCRIBED_MODULES`, by name (sorted)."""
    return {name: obj for name, obj in sorted(registry, key=lambda entry: entry[0])
            if obj.__module__.startswith(DESCRIBED_MODULES)}


def summary(component: Callable) -> str:
    """The first sentence of the component's docstring."""
    doc = inspect.getdoc(component) or ''
    first = ' '.join(doc.split('\n\n')[0].split())
    return _SENTENCE_END.split(first)[0] if first else ''


def argument_docs(component: Callable) -> Dict[str, str]:
    """``name -> doc`` from the ``Args:`` section of a docstring (class or ``__init__``), continuation lines joined."""
    docs: Dict[str, str] = {}
    for doc in (inspect.getdoc(component), inspect.getdoc(getattr(component, '__init__', None))):
        lines = (doc or '').splitlines()
        try:
            start = next(i for i, line in enumerate(lines) if line.strip() == 'Args:')
        except StopIteration:
            continue
        indent, name = None, None
        for line in lines[start + 1:]:
            if not line.strip():
                continue
            width = len(line) - len(line.lstrip())
            match = _ARG_LINE.match(line)
            if indent is None:
                indent = width
            if width < indent:  # the section ended
                break
            if width == indent and match:
                name = match.group(2)
                docs.setdefault(name, match.group(3).strip())
            elif name is not None and width > indent and docs.get(name) is not None:
                docs[name] = f'{docs[name]} {line.strip()}'.strip()
    return docs


def _type_schema(annotation, default) -> Dict[str, Any]:
    """JSON Schema type of an argument, from its annotation, else from its default (an unannotated int default
    accepts any number: BasicSR writes ``eta_min=0`` for a float)."""
    names = {bool: 'boolean', int: 'integer', float: 'number', str: 'string', dict: 'object', list: 'array',
             tuple: 'array'}
    if annotation is not inspect.Parameter.empty and not isinstance(annotation, str):
        args = typing.get_args(annotation)
        origin = typing.get_origin(annotation)
        if origin is typing.Union:
            members = [_type_schema(a, NO_DEFAULT) for a in args if a is not type(None)]
            types = [m['type'] for m in members if 'type' in m]
            if len(types) != len(members):
                return {}
            return {'type': sorted(set(types) | ({'null'} if type(None) in args else set()))}
        if origin in (list, tuple, collections.abc.Sequence):
            return {'type': 'array'}
        if annotation in names:
            return {'type': names[annotation]}
        return {}
    if isinstance(default, bool):
        return {'type': 'boolean'}
    if isinstance(default, (int, float)):
        return {'type': 'number'}
    if isinstance(default, (str, list, tuple, dict)):
        return {'type': names[type(default)]}
    return {}


def _json_value(value) -> Tuple[bool, Any]:
    """``(representable, value)`` of a default in JSON."""
    if isinstance(value, (bool, str)) or value is None:
        return True, value
    if isinstance(value, (int, float)):
        return math.isfinite(value), value
    if isinstance(value, (list, tuple)):
        items = [_json_value(v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    return False, None


def arguments(component: Callable, skip: Tuple[str, ...] = ('self',)) -> Tuple[List[Argument], bool]:
    """``(arguments, accepts **kwargs)`` of a component (a class's ``__init__`` or a function)."""
    params = inspect.signature(component).parameters
    docs = argument_docs(component)
    result = []
    for name, param in params.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or name in skip:
            continue
        default = NO_DEFAULT if param.default is inspect.Parameter.empty else param.default
        schema = _type_schema(param.annotation, default)
        if default is None and isinstance(schema.get('type'), str):
            schema['type'] = [schema['type'], 'null']
        if default is not NO_DEFAULT and default is not None:
            representable, value = _json_value(default)
            if representable:
                schema['default'] = value
        if docs.get(name):
            schema['description'] = docs[name]
        result.append(Argument(name, schema, default, docs.get(name, '')))
    return result, any(p.kind == p.VAR_KEYWORD for p in params.values())


def component_schema(component: Callable, name: str, skip: Tuple[str, ...] = ('self',),
                     extra: Optional[Dict[str, dict]] = None, strict: Optional[bool] = None) -> Dict[str, Any]:
    """JSON Schema of ``{type: name, <arguments>}``: unknown keys are refused unless the component takes
    ``**kwargs`` (``strict`` overrides that: BasicSR's metrics take ``**kwargs`` but the preflight checks their
    keys)."""
    args, var_kw = arguments(component, skip)
    properties = {'type': {'const': name}}
    properties.update({a.name: a.schema for a in args})
    properties.update(extra or {})
    schema = {'description': summary(component), 'type': 'object', 'properties': properties}
    required = [a.name for a in args if a.required]
    if required:
        schema['required'] = required
    if (not var_kw) if strict is None else strict:
        schema['additionalProperties'] = False
    return schema
