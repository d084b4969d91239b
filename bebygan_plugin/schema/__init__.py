"""The option declaration: every key of a BasicSR option file the plugin and BasicSR read, with its rule (type and
allowed values), default and one-line doc, declared once.

- :mod:`.rules`: what a declaration is made of (:class:`Rule` and its kinds, :class:`Option`, :class:`Section`);
- :mod:`.components`: registered components (networks, losses, schedulers, metrics, optimizers) as values, checked
  against their constructors' signatures;
- :mod:`.basicsr_options`: BasicSR 1.4.2's keys;
- :mod:`.plugin_options`: the plugin's (``train`` of ``BebyGANModel``, ``val.keep_best``, ``skip_corrupt_images``),
  and BasicSR's sections with them added (:data:`OPTIONS`, the top level);
- :mod:`.checks`: ``check_options(opt, is_train)``, every static problem, run by the preflight and the model.

``options/bebygan.schema.json`` and ``docs/options.md`` are generated from these declarations by
``python -m devtools.option_files --write`` (``--check`` exits 1 when they are stale).
"""
from .basicsr_options import OPTIMIZERS
from .checks import check_options, generator_scale_problems
from .components import constructible
from .plugin_options import AMP_DTYPES, BEBYGAN_TRAIN, KEEP_BEST, MASK_OPT, OPTIONS
from .rules import OptionError

__all__ = ['AMP_DTYPES', 'BEBYGAN_TRAIN', 'KEEP_BEST', 'MASK_OPT', 'OPTIMIZERS', 'OPTIONS', 'OptionError',
           'check_options', 'constructible', 'generator_scale_problems']
