"""The option declaration: every key BasicSR (:mod:`.basicsr_options`) and the plugin (:mod:`.plugin_options`) read,
with its rule, default and doc, run by :func:`check_options`; ``python -m devtools.option_files --write`` regenerates
``options/bebygan.schema.json`` and ``docs/options.md``."""
from .basicsr_options import OPTIMIZERS
from .checks import check_options, generator_scale_problems
from .components import constructible
from .plugin_options import (AMP_DTYPES, BEBYGAN_TRAIN, GENERATOR_ONLY_TRAIN, MASK_OPT, OPTIONS, REAL_WORLD,
                             REAL_WORLD_TRAIN)

__all__ = ['AMP_DTYPES', 'BEBYGAN_TRAIN', 'GENERATOR_ONLY_TRAIN', 'MASK_OPT', 'OPTIMIZERS', 'OPTIONS', 'REAL_WORLD',
           'REAL_WORLD_TRAIN', 'check_options', 'constructible', 'generator_scale_problems']
