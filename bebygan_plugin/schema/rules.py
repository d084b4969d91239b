"""The parts of an option declaration: a :class:`Rule` per kind of value (``problems``; ``text`` for messages and
docs), an :class:`Option` and a :class:`Section` (unknown keys with the closest valid one, values, defaults). A
number or boolean written as a string (``lr: 2e-4``: text to YAML) is named with the fix."""
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

from ..problems import Problem, unknown_key_problem

BOOLEAN_WORDS = {'true': True, 'yes': True, 'on': True, 'false': False, 'no': False, 'off': False}


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def quoted_number_fix(value: str, integer: bool = False) -> Optional[str]:
    """The message for a number written as text (``'2e-4'``: PyYAML reads an exponent without a dot as a string)."""
    try:
        number = float(value)
    except ValueError:
        return None
    if integer and not number.is_integer():
        return None
    plain = yaml.safe_load(value.strip()) if value.strip() else None
    if is_number(plain) and not (integer and not isinstance(plain, int)):
        return f'{value!r} is a string; write {value.strip()} without quotes'
    decimal = f'{number:.15f}'.rstrip('0').rstrip('.') if 1e-15 <= abs(number) < 1e15 else repr(number)
    return f'{value!r} is a string; write {value} as !!float {value} or {decimal}'


class Rule:
    """What a value must be. Subclasses set :attr:`text` and implement :meth:`accepts`; the message is
    ``must be <text>, got <value>`` (for a number or boolean written as a string: the fix)."""

    text = 'anything'
    wants = ''  # 'number', 'integer' or 'boolean': a string holding one is named with the fix

    def accepts(self, value) -> bool:
        return True

    def problems(self, value, where: str) -> List[Problem]:
        if self.accepts(value):
            return []
        message = f'must be {self.text}, got {value!r}'
        if isinstance(value, str) and self.wants == 'boolean' and value.strip().lower() in BOOLEAN_WORDS:
            message += f': a string; write {str(BOOLEAN_WORDS[value.strip().lower()]).lower()} without quotes'
        elif isinstance(value, str) and self.wants in ('number', 'integer'):
            message = quoted_number_fix(value, self.wants == 'integer') or message
        return [Problem(where, message)]


class Boolean(Rule):
    text, wants = 'true or false', 'boolean'

    def accepts(self, value) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class Integer(Rule):
    """An integer ``>= minimum`` (None: any), optionally odd; ``meaning`` follows the rule in the message."""

    minimum: Optional[int] = 1
    odd: bool = False
    meaning: str = ''
    label: str = ''  # replaces the kind ('an integer >= 1') in the message
    wants = 'integer'

    @property
    def text(self) -> str:
        at_least = 'an integer' if self.minimum is None else f'an integer >= {self.minimum}'
        return (self.label or ('a positive odd integer' if self.odd else at_least)) + self.meaning

    def accepts(self, value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and \
            (self.minimum is None or value >= self.minimum) and (not self.odd or value % 2 == 1)


@dataclass(frozen=True)
class Number(Rule):
    """A number, optionally ``> 0``, ``>= 0`` or in [0, 1]; ``meaning`` follows the rule in messages."""

    positive: bool = False
    fraction: bool = False
    non_negative: bool = False
    meaning: str = ''
    wants = 'number'

    @property
    def text(self) -> str:
        kind = 'a positive number' if self.positive else 'a number in [0, 1]' if self.fraction else \
            'a number >= 0' if self.non_negative else 'a number'
        return kind + self.meaning

    def accepts(self, value) -> bool:
        return is_number(value) and (not self.positive or value > 0) and (not self.fraction or 0 <= value <= 1) \
            and (not self.non_negative or value >= 0)


@dataclass(frozen=True)
class Numbers(Rule):
    """A list of ``count`` numbers (None: any count); ``meaning`` follows the rule in the message."""

    count: Optional[int] = None
    meaning: str = ''
    wants = 'number'

    @property
    def text(self) -> str:
        words = {2: 'two', 3: 'three', 4: 'four'}
        return f'{words.get(self.count, self.count)} numbers{self.meaning}' if self.count else 'a list of numbers'

    def accepts(self, value) -> bool:
        return isinstance(value, (list, tuple)) and len(value) == (self.count or len(value)) and \
            all(map(is_number, value))

    def problems(self, value, where: str) -> List[Problem]:
        texts = [i for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, (list, tuple)) else []
        if texts and (self.count or len(value)) == len(value):
            return Number().problems(value[texts[0]], f'{where}[{texts[0]}]')
        return super().problems(value, where)


@dataclass(frozen=True)
class Text(Rule):
    """A string (``non_empty``: with some text); ``text`` is its description in messages."""

    text: str = 'text'
    non_empty: bool = True

    def accepts(self, value) -> bool:
        return isinstance(value, str) and (bool(value.strip()) or not self.non_empty)


NAME = Text('a name (text)')


@dataclass(frozen=True)
class OneOf(Rule):
    """One of ``values`` (strings)."""

    values: Tuple[str, ...]

    @property
    def text(self) -> str:
        return f'one of {self.values}'

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value in self.values


@dataclass(frozen=True)
class AnyOf(Rule):
    """A value one of ``rules`` accepts; ``text`` says which in messages (``wants``: as :class:`Rule`)."""

    rules: Tuple[Rule, ...]
    text: str
    wants: str = ''

    def accepts(self, value) -> bool:
        return any(rule.accepts(value) for rule in self.rules)


@dataclass(frozen=True)
class Each(Rule):
    """A mapping of names (``val.metrics``: any name) to values that ``rule`` accepts."""

    rule: Rule

    @property
    def text(self) -> str:
        return f'a mapping of names to {self.rule.text}'

    def problems(self, value, where: str) -> List[Problem]:
        if not isinstance(value, dict):
            return super().problems(value, where)
        return [p for key, item in value.items() for p in self.rule.problems(item, f'{where}.{key}')]


@dataclass(frozen=True)
class Option:
    """One key: its rule, default (None: absent, that feature off), one-line doc, and the message when it is
    required but missing."""

    key: str
    rule: Rule
    default: Any
    doc: str
    required: str = ''


@dataclass(frozen=True)
class Section(Rule):
    """A mapping of options. ``removed``: keys that BasicSR knows but this section refuses (key -> message);
    ``prefixed``: options whose key is a prefix (``pretrain_network_`` + any network label); ``checks``: rules across
    keys, called with the values (defaults filled in) when every key is fine, returning ``(key, message)`` pairs."""

    doc: str
    options: Tuple[Option, ...]
    removed: Mapping[str, str] = field(default_factory=dict)
    checks: Tuple[Callable[[dict], List[Tuple[str, str]]], ...] = ()
    prefixed: Tuple[Option, ...] = ()

    @property
    def text(self) -> str:
        return f'a mapping of {", ".join(self.own_keys)}'

    @property
    def own_keys(self) -> Tuple[str, ...]:
        return tuple(o.key for o in self.options)

    @property
    def keys(self) -> Tuple[str, ...]:
        """Every valid key (a prefix as ``<prefix>g``, e.g. ``pretrain_network_g``)."""
        return tuple(dict.fromkeys(self.own_keys + tuple(f'{o.key}g' for o in self.prefixed)))

    def option(self, key) -> Optional[Option]:
        """The declaration of ``key`` (None: unknown)."""
        return next((o for o in self.options if o.key == key), None) or \
            next((o for o in self.prefixed if str(key).startswith(o.key)), None)

    def accepts(self, value) -> bool:
        return isinstance(value, dict)

    def problems(self, value, where: str, owner: str = '') -> List[Problem]:
        """Unknown and removed keys, each value's rule, missing required keys, then the checks across keys."""
        if not isinstance(value, dict):
            return super().problems(value, where)

        def at(key):  # the top level ('') names its keys alone
            return f'{where}.{key}' if where else str(key)

        problems = [Problem(at(key), self.removed[key]) if key in self.removed else
                    unknown_key_problem(where or 'top level', key, self.keys, owner)
                    for key in value if key in self.removed or self.option(key) is None]
        for key in [o.key for o in self.options if o.key in value] + [k for k in value if k not in self.own_keys]:
            option, given = self.option(key), value[key]
            empty = given is None or (isinstance(getattr(option, 'rule', None), Section) and not given)
            if option and key not in self.removed and not empty:  # ~ or {}: absent
                problems.extend(option.rule.problems(given, at(key)))
        problems += [Problem(at(o.key), o.required) for o in self.options if o.required and not value.get(o.key)]
        if not problems:
            resolved = self.resolve(value)
            problems += [Problem(at(key), message) for check in self.checks for key, message in check(resolved)]
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
