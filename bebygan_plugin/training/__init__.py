"""The training run's machinery around BasicSR's pipeline: fail-fast checks of a run (``preflight``, built on
``option_check``), crash-safe checkpoints (``checkpoint`` for the files, ``checkpoint_mixin`` for the model side,
``resume`` for choosing what to resume from) and DDP helpers (``distributed``)."""
