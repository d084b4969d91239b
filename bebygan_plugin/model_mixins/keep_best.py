"""``val.keep_best``: keep ``models/net_g_best.pth``, the generator of the best validation so far for one metric.

::

    val:
      keep_best: {metric: lpips}             # a key of val.metrics; its ``better`` says which way is best
      keep_best: {metric: psnr, dataset: Set14}   # with several validation sets: the one that decides

The option is declared in :data:`bebygan_plugin.schema.KEEP_BEST`; its start-up checks, which need the whole option
file and the model class, are in :mod:`bebygan_plugin.preflight.keep_best`.

After each validation whose value of ``metric`` on ``dataset`` equals or beats the best so far (BasicSR's own
best-metric bookkeeping, logged as "Best: ... @ iter"), the generator is saved as ``net_g_best.pth`` with the same
weight groups as every checkpoint (``params`` and the EMA ``params_ema`` the validation ran), atomically. Kept by
the plugin's models (``BebyGANModel``, through :class:`~.checkpoint_mixin.CrashSafeCheckpointMixin`).
"""
from typing import List, Optional, Tuple

BEST_LABEL = 'best'  # the checkpoint is net_g_<BEST_LABEL>.pth


def val_dataset_names(opt: dict) -> List[str]:
    datasets = opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}
    return [str(d.get('name')) for phase, d in datasets.items()
            if str(phase).split('_')[0] == 'val' and isinstance(d, dict)]


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
