"""``val.keep_best``: keep ``models/net_g_best.pth``, the generator of the best validation so far for one metric.

::

    val:
      keep_best: {metric: lpips}             # a key of val.metrics; its ``better`` says which way is best
      keep_best: {metric: psnr, dataset: Set14}   # with several validation sets: the one that decides

The option and its rules (a key of ``val.metrics``, the validation set, a model that keeps it) are declared in
:mod:`bebygan_plugin.schema.plugin_options`; this is what the model does with it.

After each validation whose value of ``metric`` on ``dataset`` equals or beats the best so far (BasicSR's own
best-metric bookkeeping, logged as "Best: ... @ iter"), the generator is saved as ``net_g_best.pth`` with the same
weight groups as every checkpoint (``params`` and the EMA ``params_ema`` the validation ran), atomically. Kept by
the plugin's models (``BebyGANModel``, through :class:`~.checkpoint_mixin.CrashSafeCheckpointMixin`).
"""
from typing import Optional, Tuple

from ..schema.plugin_options import val_dataset_names

BEST_LABEL = 'best'  # the checkpoint is net_g_<BEST_LABEL>.pth


def keep_best_target(opt: dict) -> Optional[Tuple[str, Optional[str]]]:
    """``(metric, dataset)`` of ``val.keep_best`` (the dataset defaults to the first validation set), or None when
    it is not set."""
    keep = (opt.get('val') or {}).get('keep_best') if isinstance(opt.get('val'), dict) else None
    if not isinstance(keep, dict):
        return None
    names = val_dataset_names(opt)
    return keep.get('metric'), keep.get('dataset') or (names[0] if names else None)


def is_new_best(opt: dict, best_metric_results: dict, dataset: str, metric: str, current_iter: int) -> bool:
    """Whether the validation just logged (``metric`` on ``dataset`` at ``current_iter``) is the one
    ``val.keep_best`` follows and is now the best (BasicSR's ``best_metric_results``)."""
    target = keep_best_target(opt)
    if target is None or (metric, dataset) != target:
        return False
    return best_metric_results.get(dataset, {}).get(metric, {}).get('iter') == current_iter
