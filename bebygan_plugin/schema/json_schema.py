"""``options/bebygan.schema.json``: the JSON Schema (draft-07, what editors' YAML support reads) of every option file,
training and test, generated from the declarations of :mod:`.plugin_options`, BasicSR's keys (:mod:`.basicsr_keys`)
and the registered components' signatures (:mod:`.components`).

It flags unknown keys everywhere (top level, ``path``, ``datasets.<phase>``, ``train`` of the known models, each
component's arguments, ``val``, ``logger``) and checks the values of the plugin's options and the types of the
components' arguments. Values whose rules need the running program (files, the installed torch's
``torch.compile`` and ``torch.optim`` arguments, constructors' own checks) are left to the preflight.
"""
from typing import Any, Callable, Dict

from . import basicsr_keys
from ..models.lr_scheduler import scheduler_classes
from .components import component_schema, registered
from .plugin_options import BEBYGAN_TRAIN, SKIP_CORRUPT_IMAGES, VAL_KEEP_BEST
from .rules import Section

SCHEMA_FILE = 'options/bebygan.schema.json'
DRAFT = 'http://json-schema.org/draft-07/schema#'
PHASE_PATTERN = '^(train|val|test)(_.*)?$'


def ref(name: str) -> Dict[str, Any]:
    return {'$ref': f'#/definitions/{name}'}


def documented(schema: Dict[str, Any], doc: str) -> Dict[str, Any]:
    """``schema`` with a description (draft-07 ignores keywords beside ``$ref``: such a schema is wrapped)."""
    if not doc:
        return schema
    if '$ref' in schema:
        return {'description': doc, 'allOf': [schema]}
    return {**schema, 'description': doc}


def _keys(docs: Dict[str, str]) -> Dict[str, Any]:
    return {key: {'description': doc} for key, doc in docs.items()}


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

    io_backend = {'description': basicsr_keys.IMAGE_SET['io_backend'], 'type': 'object', 'required': ['type'],
                  'properties': {'type': {'enum': list(basicsr_keys.IO_BACKENDS)}}}
    names = list(registered(DATASET_REGISTRY))
    definitions = {'dataset': dispatch('dataset', names, 'a data set: a registered data set type and its options')}
    for name in names:
        keys = basicsr_keys.DATASETS.get(name)
        if keys is None:  # BasicSR's other data sets read options this schema does not list
            definitions[f'dataset.{name}'] = {'type': 'object'}
            continue
        properties = _keys(keys)
        properties.update(type={'const': name}, io_backend=io_backend)
        properties[SKIP_CORRUPT_IMAGES.key] = documented(SKIP_CORRUPT_IMAGES.rule.json(), SKIP_CORRUPT_IMAGES.doc)
        definitions[f'dataset.{name}'] = {'type': 'object', 'properties': properties, 'additionalProperties': False}
    return definitions


def _train_key(key: str, doc: str) -> Dict[str, Any]:
    """A BasicSR ``train`` key: its component, when it builds one."""
    if key in ('optim_g', 'optim_d'):
        return documented(ref('optimizer'), doc)
    if key == 'scheduler':
        return documented(ref('scheduler'), doc)
    if key.endswith('_opt'):
        return {'description': doc, 'anyOf': [{'type': 'null'}, ref('loss')]}
    return {'description': doc}


def train_definition(section: Section) -> Dict[str, Any]:
    """The ``train`` section of a model: BasicSR's keys, then the model's own options."""
    schema = section.json()
    properties = {key: _train_key(key, doc) for key, doc in section.inherited.items()}
    properties.update(schema['properties'])
    return {'description': section.doc, 'type': 'object', 'properties': properties, 'additionalProperties': False}


def build_schema() -> Dict[str, Any]:
    """The JSON Schema of option files, as a dict."""
    from basicsr.utils.registry import ARCH_REGISTRY, LOSS_REGISTRY, METRIC_REGISTRY, MODEL_REGISTRY

    definitions: Dict[str, Any] = {}
    definitions.update(_component_definitions('network', registered(ARCH_REGISTRY),
                                              'a network: a registered network type and its arguments'))
    definitions.update(_component_definitions('loss', registered(LOSS_REGISTRY),
                                              'a loss: a registered loss type and its arguments'))
    definitions.update(_component_definitions('scheduler', scheduler_classes(), 'learning-rate scheduler',
                                              skip=('self', 'optimizer', 'last_epoch')))
    metric_extra = {key: {'description': doc, 'enum': ['higher', 'lower']}
                    for key, doc in basicsr_keys.METRIC_EXTRA.items()}
    definitions.update(_component_definitions('metric', registered(METRIC_REGISTRY),
                                              'a metric: a registered metric function and its arguments',
                                              skip=('img', 'img2'), extra=metric_extra, strict=True))
    definitions['optimizer'] = {
        'description': "optimizer: a torch.optim class (BasicSR 1.4.2's models build Adam only) and its arguments, "
                       'checked against the installed torch by the preflight',
        'type': 'object', 'required': ['type'], 'properties': {'type': {'type': 'string'}}}
    definitions.update(_dataset_definitions())
    trains = {model: Section(f'train section of {model}', (), inherited=keys)
              for model, keys in basicsr_keys.TRAIN_BY_MODEL.items()}
    trains['BebyGANModel'] = BEBYGAN_TRAIN
    for model, section in trains.items():
        definitions[f'train.{model}'] = train_definition(section)

    path_prefixes = '|'.join(basicsr_keys.PATH_NETWORK_PREFIXES)
    properties = {
        **_keys(basicsr_keys.TOP_LEVEL),
        **{key: documented(ref('network'), doc) for key, doc in basicsr_keys.NETWORK_KEYS.items()},
    }
    properties['model_type'] = {'description': basicsr_keys.TOP_LEVEL['model_type'],
                                'enum': list(registered(MODEL_REGISTRY))}
    properties['datasets'] = {'description': basicsr_keys.TOP_LEVEL['datasets'], 'type': 'object',
                              'propertyNames': {'pattern': PHASE_PATTERN}, 'additionalProperties': ref('dataset')}
    properties['path'] = {'description': basicsr_keys.TOP_LEVEL['path'], 'type': 'object',
                          'properties': _keys(basicsr_keys.PATH),
                          'patternProperties': {f'^({path_prefixes})': {'description': ' / '.join(
                              f'{prefix}<x>: {doc}' for prefix, doc in basicsr_keys.PATH_NETWORK_PREFIXES.items())}},
                          'additionalProperties': False}
    properties['train'] = {'description': basicsr_keys.TOP_LEVEL['train'], 'type': 'object'}
    val = _keys(basicsr_keys.VAL)
    val['metrics'] = {'description': basicsr_keys.VAL['metrics'], 'type': 'object',
                      'additionalProperties': ref('metric')}
    val[VAL_KEEP_BEST.key] = dict(VAL_KEEP_BEST.rule.json(), required=['metric'])
    properties['val'] = {'description': basicsr_keys.TOP_LEVEL['val'], 'type': 'object', 'properties': val,
                         'additionalProperties': False}
    logger = _keys(basicsr_keys.LOGGER)
    logger['wandb'] = {'description': basicsr_keys.LOGGER['wandb'], 'type': 'object',
                       'properties': _keys(basicsr_keys.WANDB), 'additionalProperties': False}
    properties['logger'] = {'description': basicsr_keys.TOP_LEVEL['logger'], 'type': 'object',
                            'properties': logger, 'additionalProperties': False}
    properties['dist_params'] = {'description': basicsr_keys.TOP_LEVEL['dist_params'], 'type': 'object',
                                 'properties': _keys(basicsr_keys.DIST_PARAMS), 'additionalProperties': False}
    return {
        '$schema': DRAFT,
        'title': 'BasicSR option file (bebygan-plugin)',
        'description': 'Generated by `python -m bebygan_plugin.schema --write` from bebygan_plugin/schema; do not '
                       'edit. docs/options.md describes every option.',
        'type': 'object',
        'required': ['name', 'model_type', 'scale', 'datasets', 'network_g', 'path'],
        'properties': properties,
        'patternProperties': {f'^{basicsr_keys.NETWORK_PREFIX}(?!(g|d)$)': ref('network')},  # network_g, _d above
        'additionalProperties': False,
        'allOf': [{'if': {'required': ['model_type'], 'properties': {'model_type': {'const': model}}},
                   'then': {'properties': {'train': ref(f'train.{model}')}}} for model in trains],
        'definitions': definitions,
    }
