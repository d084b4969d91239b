"""Every private name of torch and BasicSR the plugin's code uses, each behind one named function here.

An upgrade that renames or drops one of them breaks exactly one function, and ``tests/unit/compat/
test_private_names.py`` says which upstream change did it. (BasicSR's registries need none: ``Registry`` is iterable
and has ``keys()``.) Outside this package: ``bebygan_autoload.alias_torchvision_functional_tensor`` aliases
torchvision's private ``transforms._functional_tensor`` (it runs before the package may be imported, see
:mod:`.torchvision_functional_tensor`), and ``setup.py`` extends setuptools' ``editable_wheel._install_namespaces``
at install time only.
"""
from typing import Any, Callable, Dict, List, Optional

import torch


def grad_scaler_found_inf(scaler: 'torch.amp.GradScaler', optimizer: torch.optim.Optimizer) -> List[torch.Tensor]:
    """The per-device inf/NaN flags a ``GradScaler`` found for ``optimizer`` in ``unscale_``, which its ``step``
    hands to a fused optimizer as ``found_inf`` (``GradScaler._per_optimizer_states[id(optimizer)]
    ['found_inf_per_device']``; torch has no public access to them)."""
    return list(scaler._per_optimizer_states[id(optimizer)]['found_inf_per_device'].values())


def replace_basicsr_force_yml_parser(parse: Callable[[str], Any]) -> None:
    """Make BasicSR's ``parse_options`` read each ``--force_yml key=text`` value with ``parse``: it calls the private
    ``basicsr.utils.options._postprocess_yml_value``, which ``eval()``-s values starting with ``[``."""
    import basicsr.utils.options as options

    if not callable(getattr(options, '_postprocess_yml_value', None)):
        raise AttributeError('basicsr.utils.options._postprocess_yml_value is gone: BasicSR reads --force_yml '
                             'values otherwise now; check it still runs no eval()')
    options._postprocess_yml_value = parse


def lmdb_paths(file_client) -> Dict[str, str]:
    """``client_key -> LMDB path`` of a BasicSR ``FileClient`` with the ``lmdb`` backend (its ``LmdbBackend`` keeps
    the keys only in the private ``_client`` mapping, in the order of ``db_paths``)."""
    backend = file_client.client
    return dict(zip(backend._client, backend.db_paths))


def is_batch_norm(module: torch.nn.Module) -> bool:
    """Whether ``module`` is a BatchNorm layer of any dimension, synchronised or lazy (their common base class is
    the private ``torch.nn.modules.batchnorm._BatchNorm``)."""
    from torch.nn.modules.batchnorm import _BatchNorm

    return isinstance(module, _BatchNorm)


def after_best_metric_update(mixin: type) -> type:
    """Class decorator for a mixin of BasicSR models: its ``best_metric_updated(dataset_name, metric, value,
    current_iter)`` runs after each validation value BasicSR's ``BaseModel`` books, once its best-so-far record is
    updated (the private hook ``BaseModel._update_best_metric_result``, called by ``SRModel.nondist_validation``)."""

    def _update_best_metric_result(self, dataset_name, metric, val, current_iter):
        super(mixin, self)._update_best_metric_result(dataset_name, metric, val, current_iter)
        self.best_metric_updated(dataset_name, metric, val, current_iter)

    mixin._update_best_metric_result = _update_best_metric_result
    return mixin


def realesrgan_pair_pool(model_cls: type) -> Any:
    """The training-pair pool method of BasicSR's ``RealESRGANModel`` / ``RealESRNetModel``
    (``_dequeue_and_enqueue``)."""
    return model_cls._dequeue_and_enqueue


def set_realesrgan_pair_pool(model_cls: type, method) -> None:
    """Replace that method (:func:`realesrgan_pair_pool`)."""
    model_cls._dequeue_and_enqueue = method


def basicsr_training_loop_epoch() -> Optional[int]:
    """The ``epoch`` of the ``basicsr.train.train_pipeline`` call on this thread's stack (None outside one): BasicSR
    keeps it in a local variable and passes it to ``model.save`` only at its periodic saves, and a save between them
    (the stop on SIGTERM, :mod:`bebygan_plugin.model_mixins.stop_on_signal`) must record it too (a private detail
    of ``train_pipeline``, read through the private ``sys._getframe``)."""
    import sys

    from basicsr.train import train_pipeline

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is train_pipeline.__code__:
            return frame.f_locals.get('epoch')
        frame = frame.f_back
    return None
