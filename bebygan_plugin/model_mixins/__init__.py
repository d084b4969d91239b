"""What the plugin's BasicSR models mix in: crash-safe checkpoints (:mod:`.checkpoint_mixin`, with the generators'
states of :mod:`.rng_states`; the files themselves are written and chosen by :mod:`bebygan_plugin.files`),
``val.keep_best`` (:mod:`.keep_best`), the device-side step records and non-finite skip (:mod:`.step_records`), the
DDP collectives of a training step (:mod:`.distributed`), the stop between iterations on a signal
(:mod:`.stop_on_signal`), the step controls of issue 23 (:mod:`.step_controls`: grad_clip, adaptive_d, accumulate,
named out-of-memory, throughput) and the validation strips for TensorBoard (:mod:`.validation_strips`). The
fail-fast checks of a run are in :mod:`bebygan_plugin.preflight`, the entry points' wrapping of BasicSR's pipeline in
:mod:`bebygan_plugin.run_control`.
"""
