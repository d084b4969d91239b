"""Fail-fast checks of a BasicSR run that touch the machine, before anything is created: the option file's own
problems come from the option declaration (:func:`bebygan_plugin.schema.check_options`), these modules add the
launch and loggers (:mod:`.environment`), data (:mod:`.datasets`) and weight files (:mod:`.weight_files`), composed
for ``bebygan-train`` in :mod:`.training` and for ``bebygan-test`` in :mod:`.testing`: every problem in one report,
in the :mod:`bebygan_plugin.problems` format.
"""
