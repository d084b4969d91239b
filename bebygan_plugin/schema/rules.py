"""The parts an option declaration is made of: a rule per kind of value, an option, a section of options.

A :class:`Rule` says what a value must be three ways, all from the same fields: ``problems`` (why a value is not
fine, for the preflight and the model), ``json`` (the JSON Schema of the value, for editors) and ``text`` (the
"allowed" column of ``docs/options.md``). An :class:`Option` is a key with its rule, default and one-line doc; a
:class:`Section` is a mapping of options (``train.mask_opt``, the ``train`` section of ``BebyGANModel``): it
reports unknown keys with the closest valid one, checks every value, and fills in the defaults. Every problem is a
:class:`~bebygan_plugin.problems.Problem` naming its option key.
"""
import difflib
import inspect
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ..problems import Problem, ProblemsFound

def closest(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name closest to ``name`` (case-insensitive), or None if nothing is close."""
    lowered = {v.lower(): v for v in valid}
    match = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def unknown_key_problem(where: str, key: str, valid: Iterable[str], owner: str = '') -> Problem:
    """``<where>: unknown key '<key>'; did you mean '<closest>'?`` (or the list of valid keys)."""
    valid = sorted(set(valid))
    suggestion = closest(key, valid)
    hint = f"did you mean '{suggestion}'?" if suggestion else f'valid keys{owner}: {", ".join(valid)}'
    return Problem(where, f"unknown key '{key}'; {hint}")


def check_keys(section: Mapping, where: str, valid: Iterable[str], owner: str = '') -> List[Problem]:
    """A problem for each key of ``section`` that is not in ``valid``."""
    valid = tuple(valid)
    return [unknown_key_problem(where, key, valid, owner) for key in section if key not in valid]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Rule:
    """What a value must be. Subclasses set :attr:`text` and implement :meth:`accepts` and :meth:`json`; the message
    is ``must be <text>, got <value>``."""

    text = 'anything'
    type_name = 'any'

    def accepts(self, value) -> bool:
        return True

    def problems(self, value, where: str) -> List[Problem]:
        return [] if self.accepts(value) else [Problem(where, f'must be {self.text}, got {value!r}')]

    def json(self) -> dict:
        return {}


class Boolean(Rule):
    text, type_name = 'true or false', 'bool'

    def accepts(self, value) -> bool:
        return isinstance(value, bool)

    def json(self) -> dict:
        return {'type': 'boolean'}


@dataclass(frozen=True)
class Integer(Rule):
    """An integer ``>= minimum``, optionally odd; ``meaning`` follows the rule in the message."""

    minimum: int = 1
    odd: bool = False
    meaning: str = ''
    type_name = 'int'

    @property
    def text(self) -> str:
        kind = 'a positive odd integer' if self.odd and self.minimum == 1 else f'an integer >= {self.minimum}'
        return kind + self.meaning

    def accepts(self, value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum and \
            (not self.odd or value % 2 == 1)

    def json(self) -> dict:
        schema = {'type': 'integer', 'minimum': self.minimum}
        if self.odd:
            schema['not'] = {'multipleOf': 2}
        return schema


class Number(Rule):
    text, type_name = 'a number', 'float'

    def accepts(self, value) -> bool:
        return _is_number(value)

    def json(self) -> dict:
        return {'type': 'number'}


@dataclass(frozen=True)
class Numbers(Rule):
    """A list of ``count`` numbers; ``meaning`` follows the rule in the message."""

    count: int
    meaning: str = ''

    @property
    def text(self) -> str:
        words = {2: 'two', 3: 'three', 4: 'four'}
        return f'{words.get(self.count, self.count)} numbers{self.meaning}'

    @property
    def type_name(self) -> str:
        return f'list of {self.count} floats'

    def accepts(self, value) -> bool:
        return isinstance(value, (list, tuple)) and len(value) == self.count and all(map(_is_number, value))

    def json(self) -> dict:
        return {'type': 'array', 'items': {'type': 'number'}, 'minItems': self.count, 'maxItems': self.count}


class Name(Rule):
    """A non-empty string naming something of the option file (a metric, a data set)."""

    text, type_name = 'a name (text)', 'str'

    def accepts(self, value) -> bool:
        return isinstance(value, str) and bool(value)

    def json(self) -> dict:
        return {'type': 'string', 'minLength': 1}


@dataclass(frozen=True)
class OneOf(Rule):
    """One of ``values`` (strings)."""

    values: Tuple[str, ...]
    type_name = 'str'

    @property
    def text(self) -> str:
        return f'one of {self.values}'

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value in self.values

    def json(self) -> dict:
        return {'type': 'string', 'enum': list(self.values)}


@dataclass(frozen=True)
class Arguments(Rule):
    """``true`` / ``false``, or a mapping of the keyword arguments of ``function`` that ``function`` accepts
    (``torch.compile``: it checks ``backend`` and ``mode`` when called on a module)."""

    function: Callable
    name: str
    example: str
    skip: Tuple[str, ...] = ()
    type_name = 'bool or mapping'

    @property
    def text(self) -> str:
        return f'true, false or a mapping of {self.name} arguments (e.g. {self.example})'

    def problems(self, value, where: str) -> List[Problem]:
        if isinstance(value, bool):
            return []
        if not isinstance(value, dict):
            return super().problems(value, where)
        names, _ = signature_keys(self.function, skip=self.skip)
        problems = check_keys(value, where, names, f' of {self.name}')
        if not problems:
            import torch

            try:
                self.function(torch.nn.Identity(), **value)
            except (RuntimeError, TypeError, ValueError) as err:  # torch.compile: InvalidBackend is a RuntimeError
                problems.append(Problem(where, f'{self.name} rejects these options: {err}'))
        return problems

    def accepts(self, value) -> bool:
        return isinstance(value, (bool, dict))

    def json(self) -> dict:
        # The keys of a torch function change between torch versions: the preflight checks them against the
        # installed torch, the JSON Schema (one file for every installation) leaves them open.
        return {'anyOf': [{'type': 'boolean'}, {'type': 'object'}]}


@dataclass(frozen=True)
class Component(Rule):
    """A section building a registered component (``{type: ..., <arguments>}``); the component check of the
    preflight validates its type and arguments. ``required_type`` restricts the type (checked where the type is
    registered: an unknown type is reported, with the closest name, by that component check) with the message
    ``why``."""

    registry: str
    required_type: str = ''
    why: str = ''

    @property
    def text(self) -> str:
        return f'type: {self.required_type}' if self.required_type else f'any {self.registry}'

    @property
    def type_name(self) -> str:
        return f'{self.registry} mapping'

    def problems(self, value, where: str) -> List[Problem]:
        kind = value.get('type') if isinstance(value, dict) else None
        if not self.required_type or kind == self.required_type or not isinstance(kind, str):
            return []
        from basicsr.utils import registry

        if kind not in getattr(registry, f'{self.registry.upper()}_REGISTRY'):
            return []
        return [Problem(f'{where}.type', f'{self.why}, got {kind!r}')]

    def json(self) -> dict:
        schema = {'allOf': [{'$ref': f'#/definitions/{self.registry}'}]}
        if self.required_type:
            schema['allOf'].append({'properties': {'type': {'const': self.required_type}}})
        return schema


@dataclass(frozen=True)
class Option:
    """One key: its rule, default (None: absent, that feature off), one-line doc, and the message when it is
    required but missing."""

    key: str
    rule: Rule
    default: Any
    doc: str
    required: str = ''


def _json_default(value):
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Section(Rule):
    """A mapping of options. ``inherited``: BasicSR's keys also valid here (key -> doc); ``removed``: keys that
    BasicSR knows but this section refuses (key -> message); ``checks``: rules across keys, called with the values
    (defaults filled in) when every key is fine, returning ``(key, message)`` pairs."""

    doc: str
    options: Tuple[Option, ...]
    inherited: Mapping[str, str] = field(default_factory=dict)
    removed: Mapping[str, str] = field(default_factory=dict)
    checks: Tuple[Callable[[dict], List[Tuple[str, str]]], ...] = ()
    type_name = 'mapping'

    @property
    def text(self) -> str:
        return f'a mapping of {", ".join(self.own_keys)}'

    @property
    def own_keys(self) -> Tuple[str, ...]:
        return tuple(o.key for o in self.options)

    @property
    def keys(self) -> Tuple[str, ...]:
        """Every valid key, BasicSR's first."""
        return tuple(dict.fromkeys(tuple(self.inherited) + self.own_keys))

    def accepts(self, value) -> bool:
        return isinstance(value, dict)

    def problems(self, value, where: str, owner: str = '') -> List[Problem]:
        """Unknown and removed keys, missing required keys, each value's rule, then the checks across keys."""
        if not isinstance(value, dict):
            return super().problems(value, where)
        problems = [Problem(f'{where}.{key}', self.removed[key]) if key in self.removed else
                    unknown_key_problem(where, key, self.keys, owner) for key in value if key not in self.keys]
        for option in self.options:
            given = value.get(option.key)
            if option.required and not given:
                problems.append(Problem(f'{where}.{option.key}', option.required))
            elif given is not None and (given or not isinstance(option.rule, Section)):
                problems.extend(option.rule.problems(given, f'{where}.{option.key}'))
        if not problems:
            resolved = self.resolve(value)
            problems += [Problem(f'{where}.{key}', message) for check in self.checks
                         for key, message in check(resolved)]
        return problems

    def resolve(self, value: Optional[Mapping]) -> Dict[str, Any]:
        """The section's own options, each given value or its default (a sub-section resolved in turn; an empty or
        absent sub-section takes the sub-section's default, None meaning "off")."""
        value = value or {}
        resolved = {}
        for option in self.options:
            given = value.get(option.key)
            if isinstance(option.rule, Section):
                given = given or option.default
                resolved[option.key] = None if given is None else option.rule.resolve(given)
            else:
                resolved[option.key] = option.default if given is None else given
        return resolved

    def settings(self, value: Mapping, where: str, program: str, owner: str = '') -> Dict[str, Any]:
        """:meth:`resolve` after :meth:`problems`; raises :class:`~bebygan_plugin.problems.ProblemsFound` listing
        every problem (``program`` was not built)."""
        problems = self.problems(value, where, owner)
        if problems:
            raise ProblemsFound(program, problems, 'the options', f'{program} was not built')
        return self.resolve(value)

    def json(self) -> dict:
        properties = {}
        for option in self.options:
            schema = dict(option.rule.json())
            if isinstance(option.rule, Component) and not option.required:  # absent or ~: no such component
                schema = {'anyOf': [{'type': 'null'}, schema]}
            if option.doc:
                schema['description'] = option.doc
            if option.default is not None and not isinstance(option.rule, Section):
                schema['default'] = _json_default(option.default)
            properties[option.key] = schema
        return {'type': ['object', 'null'], 'description': self.doc, 'properties': properties,
                'additionalProperties': False}


def signature_keys(func: Callable, skip: Iterable[str] = ('self',)) -> Tuple[List[str], bool]:
    """``(parameter names, accepts **kwargs)`` of a function or a class's ``__init__``."""
    params = inspect.signature(func).parameters
    names = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n not in skip]
    return names, any(p.kind == p.VAR_KEYWORD for p in params.values())
