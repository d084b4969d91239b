"""``docs/options.md``: the options reference page, generated from the same declarations as the JSON Schema."""
import json
from typing import Any, Callable, Dict, Iterable, List

from . import basicsr_keys
from ..models.lr_scheduler import scheduler_classes
from .components import arguments, registered, summary
from .json_schema import SCHEMA_FILE
from .plugin_options import BEBYGAN_TRAIN, KEEP_BEST, SKIP_CORRUPT_IMAGES
from .rules import Option, Section

REFERENCE_FILE = 'docs/options.md'
PLUGIN_MODULES = 'bebygan_plugin.'
JSON_TYPES = {'integer': 'int', 'number': 'float', 'boolean': 'bool', 'string': 'str', 'array': 'list',
              'object': 'mapping', 'null': '~'}


def _cell(text: str) -> str:
    """Table-cell text: ``|`` escaped, and ``<`` outside code spans (Markdown would read ``<name>`` as HTML)."""
    parts = str(text).replace('|', '\\|').replace('\n', ' ').split('`')
    return '`'.join(p if i % 2 else p.replace('<', '&lt;') for i, p in enumerate(parts))


def _value(value: Any) -> str:
    """A default as it is written in YAML."""
    if value is None:
        return '`~`'
    if isinstance(value, str):
        return f'`{value}`'
    if isinstance(value, tuple):
        value = list(value)
    return f'`{json.dumps(value)}`'


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> List[str]:
    header = list(header)
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(_cell(c) for c in row) + ' |' for row in rows]
    return lines + ['']


def _option_row(option: Option) -> List[str]:
    rule = option.rule
    if option.required:
        default = 'required'
    elif isinstance(rule, Section):
        default = 'absent (off)' if option.default is None else 'see below'
    elif option.default is None:
        default = 'absent'
    else:
        default = _value(option.default)
    allowed = 'see below' if isinstance(rule, Section) else rule.text
    return [f'`{option.key}`', rule.type_name, default, allowed, option.doc]


def _section(title: str, section: Section, level: str = '##') -> List[str]:
    lines = [f'{level} {title}', '', section.doc[0].upper() + section.doc[1:] + '.', '']
    lines += _table(('Key', 'Type', 'Default', 'Allowed', 'Description'), map(_option_row, section.options))
    for check in section.checks:
        lines += [f'Also: {check.__doc__.strip()}', '']
    if section.inherited:
        keys = ', '.join(f'`{k}`' for k in section.inherited)
        lines += [f"BasicSR's keys, also valid here: {keys}.", '']
    for key, message in section.removed.items():
        lines += [f'`{key}` {message}.', '']
    for option in section.options:
        if isinstance(option.rule, Section):
            lines += _section(f'`train.{option.key}`', option.rule, level + '#')
    return lines


def _type_text(schema: Dict[str, Any]) -> str:
    kind = schema.get('type')
    if kind is None:
        return 'any'
    kinds = kind if isinstance(kind, list) else [kind]
    return ' or '.join(JSON_TYPES.get(k, k) for k in kinds)


def _components(title: str, components: Dict[str, Callable], skip=('self',)) -> List[str]:
    lines = [f'### {title}', '']
    for name, component in components.items():
        args, _ = arguments(component, skip)
        lines += [f'#### `{name}`', '', summary(component), '']
        rows = [[f'`{a.name}`', _type_text(a.schema), 'required' if a.required else _value(a.default), a.doc]
                for a in args]
        lines += _table(('Argument', 'Type', 'Default', 'Description'), rows)
    return lines


def _basicsr_keys() -> List[str]:
    sections = [('top level', {**basicsr_keys.TOP_LEVEL, **basicsr_keys.NETWORK_KEYS}),
                ('`path`', {**basicsr_keys.PATH, **{f'{p}<x>': d for p, d in
                                                    basicsr_keys.PATH_NETWORK_PREFIXES.items()}}),
                ('`datasets.<phase>` (PairedImageDataset)', basicsr_keys.DATASETS['PairedImageDataset']),
                ('`val`', basicsr_keys.VAL), ('`logger`', basicsr_keys.LOGGER),
                ('`logger.wandb`', basicsr_keys.WANDB), ('`dist_params`', basicsr_keys.DIST_PARAMS)]
    lines = ['## BasicSR\'s keys', '',
             'The keys BasicSR 1.4.2 reads, which the preflight and the JSON Schema accept (any other key is '
             'reported with the closest valid one). Their values are BasicSR\'s; see its docs/Config.md.', '']
    for title, keys in sections:
        lines += [f'### {title}', '']
        lines += _table(('Key', 'Description'), ([f'`{k}`', d] for k, d in keys.items()))
    return lines


def build_reference() -> str:
    """The text of ``docs/options.md``."""
    from basicsr.utils.registry import ARCH_REGISTRY, LOSS_REGISTRY, METRIC_REGISTRY

    def plugin(registry) -> Dict[str, Callable]:
        return {n: c for n, c in registered(registry).items() if c.__module__.startswith(PLUGIN_MODULES)}

    schedulers = {n: c for n, c in scheduler_classes().items() if c.__module__.startswith(PLUGIN_MODULES)}
    lines = [
        '# Options reference', '',
        '<!-- Generated by `python -m bebygan_plugin.schema --write` from bebygan_plugin/schema/: edit the '
        'declarations there, not this page. -->', '',
        'Every option the plugin adds to BasicSR\'s option files, with its type, default and allowed values, and '
        'the arguments of the components it registers. One declaration per option (`bebygan_plugin/schema/`) '
        'makes the preflight\'s checks (`bebygan-train`, `bebygan-test`), `BebyGANModel`\'s own checks (also '
        'under BasicSR\'s `basicsr/train.py`, which runs no preflight), this page and '
        f'[`{SCHEMA_FILE}`](../{SCHEMA_FILE}), the JSON Schema of the option files.', '',
        'Editors built on yaml-language-server (VS Code\'s YAML extension, Neovim, Emacs lsp-mode, ...) read the '
        'schema from the first line of every shipped option file and then complete keys, show these docs and flag '
        'unknown keys such as `train.mask_opt.treshold`:', '',
        '```yaml', '# yaml-language-server: $schema=bebygan.schema.json', '```', '',
        'Copy an option file elsewhere and the path is relative to the copy: point it at this repository\'s '
        f'`{SCHEMA_FILE}`.', '',
    ]
    lines += _section('`train` of `BebyGANModel`', BEBYGAN_TRAIN)
    lines += _section('`val.keep_best`', KEEP_BEST)
    lines += ['## Data set options', '']
    lines += _table(('Key', 'Type', 'Default', 'Allowed', 'Description'),
                    [[f'`datasets.<phase>.{SKIP_CORRUPT_IMAGES.key}`'] + _option_row(SKIP_CORRUPT_IMAGES)[1:]])
    lines += ['## Components the plugin registers', '',
              'Their arguments, from each constructor\'s signature and docstring; BasicSR\'s own components are in '
              'the JSON Schema too.', '']
    lines += _components('Losses (`train.pixel_opt`, `train.bp_opt`, `train.gan_opt`, ...)', plugin(LOSS_REGISTRY))
    lines += _components('Networks (`network_g`, `network_d`)', plugin(ARCH_REGISTRY))
    lines += _components('Learning-rate scheduler (`train.scheduler`)', schedulers,
                         skip=('self', 'optimizer', 'last_epoch'))
    lines += _components('Metrics (`val.metrics.<name>`)', plugin(METRIC_REGISTRY), skip=('img', 'img2'))
    lines += _basicsr_keys()
    while lines[-1] == '':
        lines.pop()
    return '\n'.join(lines) + '\n'

