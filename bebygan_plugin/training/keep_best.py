"""``val.keep_best``: keep ``models/net_g_best.pth``, the generator of the best validation so far for one metric.

::

    val:
      keep_best: {metric: lpips}             # a key of val.metrics; its ``better`` says which way is best
      keep_best: {metric: psnr, dataset: Set14}   # with several validation sets: the one that decides

The option is declared in :data:`bebygan_plugin.schema.KEEP_BEST`; the checks here need the whole option file.

After each validation whose value of ``metric`` on ``dataset`` equals or beats the best so far (BasicSR's own
best-metric bookkeeping, logged as "Best: ... @ iter"), the generator is saved as ``net_g_best.pth`` with the same
weight groups as every checkpoint (``params`` and the EMA ``params_ema`` the validation ran), atomically. Kept by
the plugin's models (``BebyGANModel``, through :class:`~.checkpoint_mixin.CrashSafeCheckpointMixin`).
"""
from typing import List, Optional, Tuple

from ..problems import Problem
from ..schema import KEEP_BEST

BEST_LABEL = 'best'  # the checkpoint is net_g_<BEST_LABEL>.pth


def _val_dataset_names(opt: dict) -> List[str]:
    datasets = opt.get('datasets') if isinstance(opt.get('datasets'), dict) else {}
    return [str(d.get('name')) for phase, d in datasets.items()
            if str(phase).split('_')[0] == 'val' and isinstance(d, dict)]


def keep_best_target(opt: dict) -> Optional[Tuple[str, Optional[str]]]:
    """``(metric, dataset)`` of ``val.keep_best`` (the dataset defaults to the first validation set), or None when
    it is not set."""
    keep = (opt.get('val') or {}).get('keep_best') if isinstance(opt.get('val'), dict) else None
    if not isinstance(keep, dict):
        return None
    names = _val_dataset_names(opt)
    return keep.get('metric'), keep.get('dataset') or (names[0] if names else None)


def keep_best_problems(opt: dict) -> List[Problem]:
    """``val.keep_best`` names a computed metric and (with several validation sets) the set, on a model that keeps
    it."""
    val = opt.get('val') if isinstance(opt.get('val'), dict) else {}
    if 'keep_best' not in val or val['keep_best'] is None:
        return []
    keep, where = val['keep_best'], 'val.keep_best'
    problems = KEEP_BEST.problems(keep, where)
    if problems:
        return problems
    metrics = list((val.get('metrics') or {}))
    if keep['metric'] not in metrics:
        problems.append(Problem(f'{where}.metric', f'{keep["metric"]!r} is not a key of val.metrics '
                                                   f'({", ".join(map(str, metrics)) or "none"})'))
    names = _val_dataset_names(opt)
    if keep.get('dataset') is not None and keep['dataset'] not in names:
        problems.append(Problem(f'{where}.dataset', f'{keep["dataset"]!r} is not the name of a validation set '
                                                    f'({", ".join(names) or "none"})'))
    elif keep.get('dataset') is None and len(names) > 1:
        problems.append(Problem(f'{where}.dataset', f'required with several validation sets: one of '
                                                    f'{", ".join(names)}'))
    problems += _model_problems(opt, where)
    return problems


def _model_problems(opt: dict, where: str) -> List[Problem]:
    from basicsr.utils.registry import MODEL_REGISTRY

    from .checkpoint_mixin import CrashSafeCheckpointMixin

    model_type = opt.get('model_type')
    if model_type not in MODEL_REGISTRY:
        return []  # reported by the option checks
    if not issubclass(MODEL_REGISTRY.get(model_type), CrashSafeCheckpointMixin):
        return [Problem(where, f'model_type {model_type} does not keep a best checkpoint (BebyGANModel does); '
                               'remove it and pick the checkpoint afterwards with bebygan-eval --checkpoints')]
    return []


def is_new_best(opt: dict, best_metric_results: dict, dataset: str, metric: str, current_iter: int) -> bool:
    """Whether the validation just logged (``metric`` on ``dataset`` at ``current_iter``) is the one
    ``val.keep_best`` follows and is now the best (BasicSR's ``best_metric_results``)."""
    target = keep_best_target(opt)
    if target is None or (metric, dataset) != target:
        return False
    return best_metric_results.get(dataset, {}).get(metric, {}).get('iter') == current_iter
