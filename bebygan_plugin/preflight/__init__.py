"""Start-up checks of a BasicSR run that touch the machine (launch, loggers, data, weight files, resume), composed
for ``bebygan-train`` (:mod:`.training`) and ``bebygan-test`` (:mod:`.testing`) with the option checks of
:func:`bebygan_plugin.schema.check_options`: every problem in one report."""
