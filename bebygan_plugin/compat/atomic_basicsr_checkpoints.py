"""Patch 9: every BasicSR model writes its checkpoints atomically.

BasicSR's ``BaseModel.save_network`` / ``save_training_state`` ``torch.save`` straight onto the final names
(``models/net_g_<iter>.pth``, ``training_states/<iter>.state``), so a process killed mid-save leaves a torn file under
a name that ``--auto_resume`` and ``bebygan-eval --checkpoints`` trust; after three failed tries they log a warning
and train on unprotected. Here both go through the one atomic writer
(:func:`bebygan_plugin.files.checkpoint.save_with_retries`: hidden temporary file, fsync, rename; a save that fails
three times stops the run) for every model built from ``BaseModel`` (``SRModel``, the stage-1 recipe, ``SRGANModel``,
``ESRGANModel``, ...), under the plugin's entry points and BasicSR's own ``basicsr/train.py`` through the ``.pth``
hook. File names, keys and contents are BasicSR's; only rank 0 writes, as with BasicSR's ``master_only``.
"""
from os import path as osp

from basicsr.models.base_model import BaseModel
from basicsr.utils import get_root_logger
from basicsr.utils.dist_util import get_dist_info

from ..files.checkpoint import save_with_retries
from ..files.weights import strip_module_prefix


def save_network(self, net, net_label, current_iter, param_key='params') -> None:
    """``BaseModel.save_network``: ``models/<net_label>_<iter|latest>.pth`` with one state dict per ``param_key``
    (``module.`` prefixes removed, tensors on the CPU), written atomically by rank 0."""
    if get_dist_info()[0] != 0:
        return
    label = 'latest' if current_iter == -1 else current_iter
    nets = net if isinstance(net, list) else [net]
    param_keys = param_key if isinstance(param_key, list) else [param_key]
    if len(nets) != len(param_keys):
        raise ValueError('save_network: the lengths of net and param_key differ')
    save_dict = {}
    for net_, key in zip(nets, param_keys):
        state_dict = self.get_bare_model(net_).state_dict()
        save_dict[key] = {k: v.cpu() for k, v in strip_module_prefix(state_dict).items()}
    save_with_retries(save_dict, osp.join(self.opt['path']['models'], f'{net_label}_{label}.pth'), get_root_logger())


def write_training_state(model, state: dict, current_iter: int) -> None:
    """``training_states/<iter>.state`` of ``model``, written atomically (call on rank 0 only)."""
    save_with_retries(state, osp.join(model.opt['path']['training_states'], f'{current_iter}.state'),
                      get_root_logger())


def save_training_state(self, epoch, current_iter) -> None:
    """``BaseModel.save_training_state``: epoch, iteration, optimizer and scheduler states, written atomically by
    rank 0 (nothing for the final ``current_iter == -1`` save, as in BasicSR)."""
    if current_iter == -1 or get_dist_info()[0] != 0:
        return
    state = {'epoch': epoch, 'iter': current_iter, 'optimizers': [o.state_dict() for o in self.optimizers],
             'schedulers': [s.state_dict() for s in self.schedulers]}
    write_training_state(self, state, current_iter)


def apply() -> None:
    BaseModel.save_network = save_network
    BaseModel.save_training_state = save_training_state
