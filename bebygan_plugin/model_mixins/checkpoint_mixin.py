"""The model side of crash-safe checkpoints: a mixin for BasicSR models that writes and restores them.

File-level machinery (atomic writes, loading) is in :mod:`bebygan_plugin.files.checkpoint`, the RNG states in
:mod:`.rng_states`; choosing what to resume from is in
:mod:`bebygan_plugin.files.training_states`.
"""
from os import path as osp
from typing import Any, Dict

from ..compat.private_names import after_best_metric_update
from ..files.checkpoint import save_with_retries
from ..files.weights import strip_module_prefix
from .distributed import rank_and_world
from .keep_best import BEST_LABEL, is_new_best
from ..files.training_states import pop_resume_warnings
from .rng_states import gather_rng_states, restore_rng_state


@after_best_metric_update
class CrashSafeCheckpointMixin:
    """Atomic, complete checkpoints for a BasicSR model (put it before the BasicSR base class).

    - ``save_network``: the same file layout and ``params`` / ``params_ema`` keys as BasicSR, written atomically
      by rank 0; a save that fails three times raises instead of being ignored.
    - ``save_training_state``: BasicSR's ``epoch`` / ``iter`` / ``optimizers`` / ``schedulers`` plus
      ``grad_scalers`` (``self.grad_scalers``, if any) and ``rng`` (one state per rank, gathered to rank 0),
      written atomically by rank 0 after the networks.
    - ``resume_training``: restores all of it; RNG states only when the world size is unchanged.
    - ``val.keep_best``: ``net_g_best.pth`` after each validation that is the best so far (:mod:`.keep_best`).
    """

    keeps_best = True  # the schema's val.keep_best rule accepts it for this model

    def _generator_groups(self):
        """The generator networks and their weight keys, as every checkpoint stores them."""
        if hasattr(self, 'net_g_ema'):
            return [self.net_g, self.net_g_ema], ['params', 'params_ema']
        return self.net_g, 'params'

    def best_metric_updated(self, dataset_name: str, metric: str, val: float, current_iter: int) -> None:
        """After BasicSR booked a validation value: save ``net_g_best.pth`` when ``val.keep_best`` follows it and it
        is the best so far."""
        if is_new_best(self.opt, self.best_metric_results, dataset_name, metric, current_iter):
            from basicsr.utils import get_root_logger

            nets, keys = self._generator_groups()
            self.save_network(nets, 'net_g', BEST_LABEL, param_key=keys)
            get_root_logger().info(f'Saved net_g_{BEST_LABEL}.pth: {metric} {val:.4f} on {dataset_name} at iteration '
                                   f'{current_iter} (val.keep_best)')

    def save_network(self, net, net_label, current_iter, param_key='params'):
        if rank_and_world()[0] != 0:
            return
        from basicsr.utils import get_root_logger

        label = 'latest' if current_iter == -1 else current_iter
        save_path = osp.join(self.opt['path']['models'], f'{net_label}_{label}.pth')
        nets = net if isinstance(net, list) else [net]
        param_keys = param_key if isinstance(param_key, list) else [param_key]
        if len(nets) != len(param_keys):
            raise ValueError('save_network: the lengths of net and param_key differ')
        save_dict = {}
        for net_, key in zip(nets, param_keys):
            state_dict = self.get_bare_model(net_).state_dict()
            save_dict[key] = {k: v.cpu() for k, v in strip_module_prefix(state_dict).items()}
        save_with_retries(save_dict, save_path, get_root_logger())

    def training_state_dict(self, epoch: int, current_iter: int) -> Dict[str, Any]:
        """Everything ``<iter>.state`` holds except the RNG states (BasicSR's keys plus the GradScalers)."""
        return {
            'epoch': epoch,
            'iter': current_iter,
            'optimizers': [o.state_dict() for o in self.optimizers],
            'schedulers': [s.state_dict() for s in self.schedulers],
            'grad_scalers': [s.state_dict() for s in getattr(self, 'grad_scalers', [])],
        }

    def save_training_state(self, epoch, current_iter):
        if current_iter == -1:
            return
        rng = gather_rng_states()  # collective: before the rank check
        rank, world_size = rank_and_world()
        if rank != 0:
            return
        from basicsr.utils import get_root_logger

        state = self.training_state_dict(epoch, current_iter)
        state.update(rng=rng, world_size=world_size)
        save_path = osp.join(self.opt['path']['training_states'], f'{current_iter}.state')
        save_with_retries(state, save_path, get_root_logger())

    def resume_training(self, resume_state):
        from basicsr.utils import get_root_logger

        logger = get_root_logger()
        for message in pop_resume_warnings():
            logger.warning(message)
        super().resume_training(resume_state)
        scalers = getattr(self, 'grad_scalers', [])
        for scaler, scaler_state in zip(scalers, resume_state.get('grad_scalers', [])):
            if scaler_state and scaler.is_enabled():
                scaler.load_state_dict(scaler_state)
        rng = resume_state.get('rng')
        rank, world_size = rank_and_world()
        if rng and len(rng) == world_size:
            restore_rng_state(rng[rank])
        elif rng:
            logger.warning(f'The checkpoint was saved by {len(rng)} processes and this run has {world_size}: '
                           'random generators keep their fresh seeds instead of the saved states')
