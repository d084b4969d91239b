"""``docs/options.md``: the options reference page, generated from the same declarations as the JSON Schema."""
import json
from typing import Any, Callable, Dict, Iterable, List

from bebygan_plugin.schema import basicsr_options
from bebygan_plugin.registration import arguments, scheduler_classes
from bebygan_plugin.schema.components import METRIC_SKIP, SCHEDULER_SKIP, Arguments, Component
from bebygan_plugin.schema.plugin_options import (BEBYGAN_TRAIN, DISCRIMINATOR_KEYS, KEEP_BEST, OPTIONS,
                                                  SKIP_CORRUPT_IMAGES, VAL)
from bebygan_plugin.schema.rules import (AnyOf, Boolean, Each, Integer, Number, Numbers, OneOf, Option, Rule, Section,
                                         Text)

from .json_schema import SCHEMA_FILE, argument_docs, registered, summary

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


def type_text(rule: Rule) -> str:
    """The "type" column of a rule."""
    if isinstance(rule, (Section, Each)):
        return 'mapping'
    if isinstance(rule, Component):
        return f'{rule.registry} mapping'
    if isinstance(rule, Arguments):
        return 'bool or mapping'
    if isinstance(rule, Numbers):
        return f'list of {rule.count} floats' if rule.count else 'list of floats'
    if isinstance(rule, AnyOf):
        return ' or '.join(type_text(r) for r in rule.rules)
    return {Boolean: 'bool', Integer: 'int', Number: 'float', Text: 'str', OneOf: 'str'}.get(type(rule), 'any')


def _option_row(option: Option, suffix: str = '') -> List[str]:
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
    return [f'`{option.key}{suffix}`', type_text(rule), default, allowed, option.doc]


def _section(title: str, section: Section, level: str = '##', prefix: str = 'train.') -> List[str]:
    lines = [f'{level} {title}', '', section.doc[0].upper() + section.doc[1:] + '.', '']
    rows = [_option_row(o) for o in section.options] + [_option_row(o, '<x>') for o in section.prefixed]
    lines += _table(('Key', 'Type', 'Default', 'Allowed', 'Description'), rows)
    for check in section.checks:
        lines += [f'Also: {check.__doc__.strip()}', '']
    for key, message in section.removed.items():
        lines += [f'`{key}` {message}.', '']
    for option in section.options:
        if isinstance(option.rule, Section) and option.rule.options and level == '##':
            lines += _section(f'`{prefix}{option.key}`', option.rule, level + '#', f'{prefix}{option.key}.')
    return lines


def _type_text(types) -> str:
    return ' or '.join(JSON_TYPES.get(k, k) for k in types) if types else 'any'


def _components(title: str, components: Dict[str, Callable], skip=('self',)) -> List[str]:
    lines = [f'### {title}', '']
    for name, component in components.items():
        args, _ = arguments(component, skip)
        docs = argument_docs(component)
        lines += [f'#### `{name}`', '', summary(component), '']
        rows = [[f'`{a.name}`', _type_text(a.types), 'required' if a.required else _value(a.default),
                 docs.get(a.name, '')] for a in args]
        lines += _table(('Argument', 'Type', 'Default', 'Description'), rows)
    return lines


def _basicsr_keys() -> List[str]:
    sections = [('top level', OPTIONS), ('`path`', basicsr_options.PATH),
                ('`datasets.<phase>` (PairedImageDataset)', basicsr_options.DATASETS['PairedImageDataset']),
                ('`datasets.train` (RealESRGANDataset)', basicsr_options.DATASETS['RealESRGANDataset']),
                ('`io_backend`', basicsr_options.IO_BACKEND), ('`val`', VAL), ('`logger`', basicsr_options.LOGGER),
                ('`dist_params`', basicsr_options.DIST_PARAMS)]
    lines = ['## BasicSR\'s keys', '',
             'The keys BasicSR 1.4.2 reads, with the rules the preflight and the models check (any other key is '
             'reported with the closest valid one; a number or boolean written as text, such as `lr: 2e-4`, which '
             'YAML reads as a string, is named with the fix). See also BasicSR\'s docs/Config.md.', '']
    for title, section in sections:
        lines += _section(title, section, '###')
    return lines


def build_reference() -> str:
    """The text of ``docs/options.md``."""
    from basicsr.utils.registry import ARCH_REGISTRY, LOSS_REGISTRY, METRIC_REGISTRY, MODEL_REGISTRY

    def plugin(registry) -> Dict[str, Callable]:
        return {n: c for n, c in registered(registry).items() if c.__module__.startswith(PLUGIN_MODULES)}

    schedulers = {n: c for n, c in scheduler_classes(MODEL_REGISTRY.get('BebyGANModel')).items()
                  if c.__module__.startswith(PLUGIN_MODULES)}
    lines = [
        '# Options reference', '',
        '<!-- Generated by `python -m devtools.option_files --write` from bebygan_plugin/schema/: edit the '
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
    lines += ['`RealBebyGANModel` takes this section as it is, `gan_opt` also BasicSR\'s `GANLoss` (Real-ESRGAN\'s '
              'option files). `RealBebyNetModel` (stage 1, no discriminator) takes it without '
              f'{", ".join(f"`{k}`" for k in DISCRIMINATOR_KEYS)}; it needs `pixel_opt` or `perceptual_opt`.', '']
    lines += _section('`val.keep_best`', KEEP_BEST)
    lines += ['## Data set options', '']
    lines += _table(('Key', 'Type', 'Default', 'Allowed', 'Description'),
                    [[f'`datasets.<phase>.{SKIP_CORRUPT_IMAGES.key}`'] + _option_row(SKIP_CORRUPT_IMAGES)[1:]])
    lines += ['## Components the plugin registers', '',
              'Their arguments, from each constructor\'s signature and docstring; BasicSR\'s own components are in '
              'the JSON Schema too.', '']
    lines += _components('Losses (`train.pixel_opt`, `train.bp_opt`, `train.gan_opt`, ...)', plugin(LOSS_REGISTRY))
    lines += _components('Networks (`network_g`, `network_d`)', plugin(ARCH_REGISTRY))
    lines += _components('Learning-rate scheduler (`train.scheduler`)', schedulers, skip=SCHEDULER_SKIP)
    lines += _components('Metrics (`val.metrics.<name>`)', plugin(METRIC_REGISTRY), skip=METRIC_SKIP)
    lines += _basicsr_keys()
    while lines[-1] == '':
        lines.pop()
    return '\n'.join(lines) + '\n'

