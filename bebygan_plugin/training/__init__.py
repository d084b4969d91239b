"""The training run's machinery around BasicSR's pipeline: crash-safe checkpoints (``checkpoint`` for the files,
``checkpoint_mixin`` for the model side, ``resume`` for choosing what to resume from) and DDP helpers
(``distributed``). The fail-fast checks of a run are in :mod:`bebygan_plugin.preflight`."""
