"""Start-up checks of ``val.keep_best`` (:mod:`bebygan_plugin.model_mixins.keep_best`): they need the whole option
file and the model class."""
from typing import List

from ..model_mixins.keep_best import val_dataset_names
from ..problems import Problem
from ..schema import KEEP_BEST


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
    names = val_dataset_names(opt)
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

    from ..model_mixins.checkpoint_mixin import CrashSafeCheckpointMixin

    model_type = opt.get('model_type')
    if model_type not in MODEL_REGISTRY:
        return []  # reported by the option checks
    if not issubclass(MODEL_REGISTRY.get(model_type), CrashSafeCheckpointMixin):
        return [Problem(where, f'model_type {model_type} does not keep a best checkpoint (BebyGANModel does); '
                               'remove it and pick the checkpoint afterwards with bebygan-eval --checkpoints')]
    return []
