"""Option files: the one reader of BasicSR option YAML files (training, testing, inference, evaluation), safe.

BasicSR parses option files with PyYAML's full ``Loader``, on which ``!!python/object/apply:os.system [...]`` runs a
command while the file is read. :class:`OptionFileLoader` is PyYAML's ``SafeLoader`` (the C one when available) with
BasicSR's ordered mappings: ``!!float``, ``~``, ``!!int``, anchors and merges load as before, and every
``!!python/...`` tag raises :class:`CodeInOptionFileError` naming the file, the line and the tag, before anything of
the file is constructed. :func:`load_option_file` gives ``(opt, problems)`` for the entry points;
:func:`parse_override_value` reads a ``--force_yml`` value with the same loader (BasicSR ``eval()``-s values starting
with ``[``). BasicSR's own ``parse_options`` is pointed at this loader by
:mod:`bebygan_plugin.compat.basicsr_option_parsing`.
"""
import re
from collections import OrderedDict
from os import path as osp
from typing import Any, List, Optional, TextIO, Tuple, Union

import yaml

from ..problems import Problem

_SafeBase = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
PYTHON_TAG_PREFIX = 'tag:yaml.org,2002:python/'
OVERRIDE_KEY = re.compile(r'^[\w.\-]+(:[\w.\-]+)*$')  # a --force_yml key: plain names (BasicSR exec()-s them)


class CodeInOptionFileError(yaml.constructor.ConstructorError):
    """A ``!!python/...`` tag in an option file: refused, nothing of it was run."""

    def __init__(self, tag: str, mark) -> None:
        self.tag, self.line = _short_tag(tag), mark.line + 1 if mark is not None else None
        self.source = getattr(mark, 'name', None) or '<option file>'
        super().__init__(None, None, f'the tag {self.tag} would run Python code: option files may not run code',
                         mark)

    @property
    def where(self) -> str:
        return f'{self.source} line {self.line}' if self.line else self.source

    @property
    def reason(self) -> str:
        return (f'the tag {self.tag} would run Python code; option files may not run code (refused, nothing was '
                'run): write plain values (numbers, strings, lists, mappings) instead')

    def __str__(self) -> str:
        return f'{self.where}: {self.reason}'


def _short_tag(tag: str) -> str:
    return '!!' + tag[len('tag:yaml.org,2002:'):] if tag.startswith('tag:yaml.org,2002:') else tag


def _refuse_python_tag(loader, tag_suffix, node):
    raise CodeInOptionFileError(PYTHON_TAG_PREFIX + tag_suffix, node.start_mark)


def _ordered_mapping(loader, node):
    loader.flatten_mapping(node)  # '<<' merge keys, as SafeLoader does
    return OrderedDict(loader.construct_pairs(node))


class OptionFileLoader(_SafeBase):
    """``SafeLoader`` with BasicSR's ``OrderedDict`` mappings and named refusals of ``!!python/...`` tags."""


OptionFileLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _ordered_mapping)
OptionFileLoader.add_multi_constructor(PYTHON_TAG_PREFIX, _refuse_python_tag)


def load_option_yaml(stream: Union[str, bytes, TextIO]) -> Any:
    """Parse one YAML document with :class:`OptionFileLoader` (a file object gives its name to error messages).

    Raises:
        CodeInOptionFileError: a ``!!python/...`` tag.
        yaml.YAMLError: the text is not valid YAML.
    """
    return yaml.load(stream, Loader=OptionFileLoader)  # noqa: S506 - OptionFileLoader is a SafeLoader


def load_option_file_text(path: str) -> Any:
    """The YAML document of the file ``path`` (see :func:`load_option_yaml`); errors name ``path``."""
    with open(path, encoding='utf-8') as f:
        return load_option_yaml(f)


NONE_WORDS = ('none', 'None', 'NONE')  # BasicSR's --force_yml reads these as null too


def parse_override_value(text: str) -> Optional[Any]:
    """A ``--force_yml KEY=VALUE`` value read as one YAML value by :class:`OptionFileLoader` (``2``, ``!!float 2e-4``,
    ``true``, ``~``, ``[1, 2]``, ``{a: 1}``, text), plus BasicSR's ``none`` for null; never ``eval()``.

    Raises:
        CodeInOptionFileError: the value carries a ``!!python/...`` tag.
        yaml.YAMLError: the value is not valid YAML (e.g. an unclosed ``[``).
    """
    text = text.strip()
    if text in NONE_WORDS:
        return None
    return load_option_yaml(text) if text else ''


def load_option_file(opt_path: str) -> Tuple[Optional[dict], List[Problem]]:
    """``(opt, problems)``: the YAML parsed like BasicSR does (with :class:`OptionFileLoader`), or the reason it
    cannot be."""
    if not osp.isfile(opt_path):
        return None, [Problem('-opt', f'option file {opt_path!r} does not exist')]
    try:
        opt = load_option_file_text(opt_path)
    except CodeInOptionFileError as err:
        return None, [Problem(err.where, err.reason)]
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = f'{opt_path} line {mark.line + 1}, column {mark.column + 1}' if mark else opt_path
        return None, [Problem(where, f'is not valid YAML: {getattr(err, "problem", None) or err}')]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(opt_path, f'cannot be read: {err}')]
    if not isinstance(opt, dict):
        return None, [Problem(opt_path, f'must hold a mapping of options, got {type(opt).__name__}')]
    return opt, []
