"""The training run's machinery around BasicSR's pipeline: crash-safe checkpoints (``checkpoint_mixin`` for the model
side, ``rng_states`` for the generators' states they hold, ``resume`` for choosing what to resume from; the files
themselves are written by :mod:`bebygan_plugin.files.checkpoint`), DDP helpers (``distributed``) and the console
(``console``). The fail-fast checks of a run are in :mod:`bebygan_plugin.preflight`."""
