"""What the plugin's BasicSR models mix in: crash-safe checkpoints (:mod:`.checkpoint_mixin`, with the generators'
states of :mod:`.rng_states`; the files themselves are written and chosen by :mod:`bebygan_plugin.files`),
``val.keep_best`` (:mod:`.keep_best`), the device-side step records and non-finite skip (:mod:`.step_records`) and
the DDP collectives of a training step (:mod:`.distributed`). The fail-fast checks of a run are in
:mod:`bebygan_plugin.preflight`, the entry points' wrapping of BasicSR's pipeline in :mod:`bebygan_plugin.run_control`.
"""
