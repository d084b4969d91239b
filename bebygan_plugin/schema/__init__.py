"""One declaration per option the plugin adds (type, default, allowed values, one-line doc), and BasicSR's keys.

- :mod:`.plugin_options`: ``train.mask_opt``, ``train.amp``, ``channels_last``, ``compile``,
  ``max_consecutive_nonfinite``, the ``train`` section of ``BebyGANModel`` (:data:`BEBYGAN_TRAIN`), the data sets'
  ``skip_corrupt_images``, ``val.keep_best``;
- :mod:`.basicsr_keys`: the keys BasicSR 1.4.2 reads, with one-line docs;
- :mod:`.components`: the registered components' arguments, from their signatures and docstrings;
- :mod:`.rules`: what a declaration is made of (:class:`Rule`, :class:`Option`, :class:`Section`) and the
  unknown-key report with the closest valid key.

The preflight (:mod:`bebygan_plugin.preflight.options`) and ``BebyGANModel`` check against these declarations, and
``options/bebygan.schema.json`` (:mod:`.json_schema`) and ``docs/options.md`` (:mod:`.reference`) are generated
from them: ``python -m bebygan_plugin.schema --write`` (``--check`` exits 1 when they are stale).
"""
import json
from typing import Dict

from . import basicsr_keys
from .components import NO_DEFAULT, registered
from .plugin_options import (AMP, AMP_DTYPES, BEBYGAN_TRAIN, DATASET_KEYS, KEEP_BEST, MASK_OPT, MASK_SOURCES, RAGAN,
                             SKIP_CORRUPT_IMAGES, VAL_KEEP_BEST)
from .rules import Option, Rule, Section, check_keys, closest, signature_keys, unknown_key_problem

TOP_LEVEL_KEYS = tuple(basicsr_keys.TOP_LEVEL)
NETWORK_KEYS = tuple(basicsr_keys.NETWORK_KEYS)
LOGGER_KEYS = tuple(basicsr_keys.LOGGER)
WANDB_KEYS = tuple(basicsr_keys.WANDB)
VAL_KEYS = tuple(basicsr_keys.VAL) + (VAL_KEEP_BEST.key,)
PATH_KEYS = tuple(basicsr_keys.PATH)
PATH_NETWORK_PREFIXES = tuple(basicsr_keys.PATH_NETWORK_PREFIXES)
DIST_PARAMS_KEYS = tuple(basicsr_keys.DIST_PARAMS)
SR_TRAIN_KEYS = tuple(basicsr_keys.SR_TRAIN)
GAN_TRAIN_KEYS = tuple(basicsr_keys.GAN_TRAIN)
BEBYGAN_TRAIN_KEYS = BEBYGAN_TRAIN.keys


def generated_files() -> Dict[str, str]:
    """``{path relative to the repository root: text}`` of the files generated from the declarations."""
    from .json_schema import SCHEMA_FILE, build_schema
    from .reference import REFERENCE_FILE, build_reference

    return {SCHEMA_FILE: json.dumps(build_schema(), indent=2) + '\n', REFERENCE_FILE: build_reference()}


__all__ = ['AMP', 'AMP_DTYPES', 'BEBYGAN_TRAIN', 'BEBYGAN_TRAIN_KEYS', 'DATASET_KEYS', 'DIST_PARAMS_KEYS',
           'GAN_TRAIN_KEYS', 'KEEP_BEST', 'LOGGER_KEYS', 'MASK_OPT', 'MASK_SOURCES', 'NETWORK_KEYS', 'NO_DEFAULT',
           'Option', 'PATH_KEYS', 'PATH_NETWORK_PREFIXES', 'RAGAN', 'Rule', 'SKIP_CORRUPT_IMAGES',
           'SR_TRAIN_KEYS', 'Section', 'TOP_LEVEL_KEYS', 'VAL_KEEP_BEST', 'VAL_KEYS', 'WANDB_KEYS', 'basicsr_keys',
           'check_keys', 'closest', 'generated_files', 'registered', 'signature_keys',
           'unknown_key_problem']
