"""The option declaration: every key of a BasicSR option file that BasicSR (:mod:`.basicsr_options`) and the plugin
(:mod:`.plugin_options`) read, declared once with its rule (:mod:`.rules`; registered components: their
constructors, :mod:`.components`), default and one-line doc; :func:`check_options` (:mod:`.checks`) runs them for
the preflight and the model. ``python -m devtools.option_files --write`` generates ``options/bebygan.schema.json``
and ``docs/options.md`` from them (``--check`` exits 1 when they are stale).
"""
from .basicsr_options import OPTIMIZERS
from .checks import check_options, generator_scale_problems
from .components import constructible
from .plugin_options import AMP_DTYPES, BEBYGAN_TRAIN, MASK_OPT, OPTIONS

__all__ = ['AMP_DTYPES', 'BEBYGAN_TRAIN', 'MASK_OPT', 'OPTIMIZERS', 'OPTIONS',
           'check_options', 'constructible', 'generator_scale_problems']
