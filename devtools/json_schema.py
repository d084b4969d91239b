"""``options/bebygan.schema.json``: the JSON Schema (draft-07, what editors' YAML support reads) of every option file,
training and test, generated from the option declaration (:mod:`bebygan_plugin.schema`: BasicSR's keys, the
plugin's options, and the registered components' signatures and docstrings).

It flags unknown keys everywhere (top level, ``path``, ``datasets.<phase>``, ``train`` of the known models, each
component's arguments, ``val``, ``logger``) and checks every declared value's type and rule. Values whose rules need
the running program (files, the installed torch's ``torch.compile`` and ``torch.optim`` arguments, constructors' own
checks) are left to the preflight.
"""
import inspect
import math
import re
from typing import Any, Callable, Dict, Tuple

from bebygan_plugin.schema import rules
from bebygan_plugin.schema.components import (METRIC_SKIP, SCHEDULER_SKIP, Arguments, Component, arguments,
                                              scheduler_classes)
from bebygan_plugin.schema.basicsr_options import TRAIN_BY_MODEL
from bebygan_plugin.schema.plugin_options import DATASETS, OPTIONS

# Modules whose registered components the JSON Schema and the reference describe: BasicSR 1.4.2's and the plugin's
# (never those of other installed plugins, so that the generated files are the same on every machine).
DESCRIBED_MODULES = ('basicsr.', 'bebygan_plugin.')
SCHEMA_FILE = 'options/bebygan.schema.json'
DRAFT = 'http://json-schema.org/draft-07/schema#'
PHASE_PATTERN = '^(train|val|test)(_.*)?$'
_SENTENCE_END = re.compile(r'(?<=\.)\s+(?=[A-Z`])')  # not after 'Eq.' followed by a number
_ARG_LINE = re.compile(r'^(\s*)(\w+)(?:\s*\([^)]*\))?:\s*(.*)$')


def registered(registry) -> Dict[str, Callable]:
    """The components of ``registry`` from :data:`DESCRIBED_MODULES`, by name (sorted)."""
    return {name: registry.get(name) for name in sorted(registry.keys())
            if registry.get(name).__module__.startswith(DESCRIBED_MODULES)}


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


def argument_schema(argument) -> Dict[str, Any]:
    """JSON Schema of one component argument: its types and default."""
    schema: Dict[str, Any] = {}
    if argument.types:
        schema['type'] = argument.types[0] if len(argument.types) == 1 else list(argument.types)
    if not argument.required and argument.default is not None:
        representable, value = _json_value(argument.default)
        if representable:
            schema['default'] = value
    return schema


def component_schema(component: Callable, name: str, skip: Tuple[str, ...] = ('self',), extra=None,
                     strict=None) -> Dict[str, Any]:
    """JSON Schema of ``{type: name, <arguments>}``: unknown keys are refused unless the component takes
    ``**kwargs`` (``strict`` overrides that: BasicSR's metrics take ``**kwargs`` but the preflight checks their
    keys)."""
    args, var_kw = arguments(component, skip)
    docs = argument_docs(component)
    properties = {'type': {'const': name}}
    properties.update({a.name: documented(argument_schema(a), docs.get(a.name, '')) for a in args})
    properties.update(extra or {})
    schema = {'description': summary(component), 'type': 'object', 'properties': properties}
    required = [a.name for a in args if a.required]
    if required:
        schema['required'] = required
    if (not var_kw) if strict is None else strict:
        schema['additionalProperties'] = False
    return schema


def rule_json(rule) -> Dict[str, Any]:
    """JSON Schema of a value following ``rule``."""
    if isinstance(rule, rules.Section):
        return section_json(rule)
    if isinstance(rule, rules.AnyOf):
        return {'anyOf': [rule_json(r) for r in rule.rules]}
    if isinstance(rule, rules.Each):
        return {'type': 'object', 'additionalProperties': rule_json(rule.rule)}
    if isinstance(rule, Component):
        schema = {'allOf': [ref({'arch': 'network'}.get(rule.registry, rule.registry))]}
        if rule.required_type:
            schema['allOf'].append({'properties': {'type': {'const': rule.required_type}}})
        return schema
    if isinstance(rule, Arguments):
        # The keys of a torch function change between torch versions: the preflight checks them against the
        # installed torch, the JSON Schema (one file for every installation) leaves them open.
        return {'anyOf': [{'type': 'boolean'}, {'type': 'object'}]}
    if isinstance(rule, rules.Boolean):
        return {'type': 'boolean'}
    if isinstance(rule, rules.Integer):
        schema = {'type': 'integer'}
        if rule.minimum is not None:
            schema['minimum'] = rule.minimum
        if rule.odd:
            schema['not'] = {'multipleOf': 2}
        return schema
    if isinstance(rule, rules.Number):
        schema = {'type': 'number'}
        if rule.positive:
            schema['exclusiveMinimum'] = 0
        if rule.fraction:
            schema.update(minimum=0, maximum=1)
        return schema
    if isinstance(rule, rules.Numbers):
        schema = {'type': 'array', 'items': {'type': 'number'}}
        if rule.count:
            schema.update(minItems=rule.count, maxItems=rule.count)
        return schema
    if isinstance(rule, rules.Text):
        return {'type': 'string', 'minLength': 1} if rule.non_empty else {'type': 'string'}
    if isinstance(rule, rules.OneOf):
        return {'type': 'string', 'enum': list(rule.values)}
    return {}  # anything (a value set by BasicSR, or one the preflight checks)


def option_json(option: rules.Option) -> Dict[str, Any]:
    schema = dict(rule_json(option.rule))
    if not option.required and not isinstance(option.rule, rules.Section) and schema:
        schema = {'anyOf': [{'type': 'null'}, schema]}  # ~: absent
    if option.default is not None and not isinstance(option.rule, rules.Section):
        schema['default'] = list(option.default) if isinstance(option.default, tuple) else option.default
    return documented(schema, option.doc)


def section_json(section: rules.Section) -> Dict[str, Any]:
    properties = {o.key: option_json(o) for o in section.options}
    schema = {'type': ['object', 'null'], 'description': section.doc, 'properties': properties,
              'additionalProperties': False}
    if section.prefixed:
        schema['patternProperties'] = {f'^{o.key}': option_json(o) for o in section.prefixed}
    return schema


def ref(name: str) -> Dict[str, Any]:
    return {'$ref': f'#/definitions/{name}'}


def documented(schema: Dict[str, Any], doc: str) -> Dict[str, Any]:
    """``schema`` with a description (draft-07 ignores keywords beside ``$ref``: such a schema is wrapped)."""
    if not doc:
        return schema
    if '$ref' in schema:
        return {'description': doc, 'allOf': [schema]}
    return {**schema, 'description': doc}


def dispatch(kind: str, names, doc: str) -> Dict[str, Any]:
    """``{type: <name>, ...}`` checked against the definition ``<kind>.<name>`` of its type."""
    names = list(names)
    return {
        'description': doc, 'type': 'object', 'required': ['type'],
        'properties': {'type': {'enum': names, 'description': f'registered {kind} type'}},
        'allOf': [{'if': {'required': ['type'], 'properties': {'type': {'const': name}}}, 'then': ref(f'{kind}.{name}')}
                  for name in names],
    }


def _component_definitions(kind: str, components: Dict[str, Callable], doc: str, **kwargs) -> Dict[str, Any]:
    definitions = {kind: dispatch(kind, components, doc)}
    for name, component in components.items():
        definitions[f'{kind}.{name}'] = component_schema(component, name, **kwargs)
    return definitions


def _dataset_definitions() -> Dict[str, Any]:
    from basicsr.utils.registry import DATASET_REGISTRY

    names = list(registered(DATASET_REGISTRY))
    definitions = {'dataset': dispatch('dataset', names, 'a data set: a registered data set type and its options')}
    for name in names:
        section = DATASETS.get(name)
        if section is None:  # BasicSR's other data sets read options this schema does not list
            definitions[f'dataset.{name}'] = {'type': 'object'}
            continue
        schema = section_json(section)
        schema['properties'].update(type={'const': name})
        schema['properties']['io_backend']['required'] = ['type']
        definitions[f'dataset.{name}'] = dict(schema, type='object')
    return definitions


def build_schema() -> Dict[str, Any]:
    """The JSON Schema of option files, as a dict."""
    from basicsr.utils.registry import ARCH_REGISTRY, LOSS_REGISTRY, METRIC_REGISTRY, MODEL_REGISTRY

    definitions: Dict[str, Any] = {}
    definitions.update(_component_definitions('network', registered(ARCH_REGISTRY),
                                              'a network: a registered network type and its arguments'))
    definitions.update(_component_definitions('loss', registered(LOSS_REGISTRY),
                                              'a loss: a registered loss type and its arguments'))
    models = registered(MODEL_REGISTRY)
    definitions.update(_component_definitions('scheduler', scheduler_classes(models['BebyGANModel']),
                                              'learning-rate scheduler', skip=SCHEDULER_SKIP))
    metric_extra = {'better': {'description': "'higher' (default) or 'lower': which values are better",
                                'enum': ['higher', 'lower']}}
    definitions.update(_component_definitions('metric', registered(METRIC_REGISTRY),
                                              'a metric: a registered metric function and its arguments',
                                              skip=METRIC_SKIP, extra=metric_extra, strict=True))
    definitions['optimizer'] = {
        'description': "optimizer: a torch.optim class (BasicSR 1.4.2's models build Adam only) and its arguments, "
                       'checked against the installed torch by the preflight',
        'type': 'object', 'required': ['type'], 'properties': {'type': {'type': 'string'}}}
    definitions.update(_dataset_definitions())
    trains = dict(TRAIN_BY_MODEL, BebyGANModel=models['BebyGANModel'].train_options)
    for model, section in trains.items():
        schema = section_json(section)
        for key in ('optim_g', 'optim_d', 'scheduler'):
            if key in schema['properties']:
                schema['properties'][key] = documented(ref('optimizer' if key != 'scheduler' else 'scheduler'),
                                                       schema['properties'][key]['description'])
        definitions[f'train.{model}'] = dict(schema, type='object')

    top = section_json(OPTIONS)
    properties = top['properties']
    properties['model_type'] = dict(properties['model_type'], enum=list(models))
    properties['datasets'] = dict(properties['datasets'], type='object', propertyNames={'pattern': PHASE_PATTERN},
                                  additionalProperties=ref('dataset'))
    properties['train'] = dict(properties['train'], type='object')
    return {
        '$schema': DRAFT,
        'title': 'BasicSR option file (bebygan-plugin)',
        'description': 'Generated by `python -m devtools.option_files --write` from bebygan_plugin/schema; do not '
                       'edit. docs/options.md describes every option.',
        'type': 'object',
        'required': ['name', 'model_type', 'scale', 'datasets', 'network_g', 'path'],
        'properties': properties,
        'patternProperties': top['patternProperties'],
        'additionalProperties': False,
        'allOf': [{'if': {'required': ['model_type'], 'properties': {'model_type': {'const': model}}},
                   'then': {'properties': {'train': ref(f'train.{model}')}}} for model in trains],
        'definitions': definitions,
    }
