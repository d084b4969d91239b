"""Patch 9: BasicSR's wandb logger fails on current wandb (``module 'wandb.util' has no attribute 'generate_id'``).

``basicsr.utils.logger.init_wandb_logger`` names a new run with ``wandb.util.generate_id()``, which wandb no longer
has (0.31 here). The logger BasicSR calls is wrapped: wandb is imported only when the run uses it
(``logger.wandb.project``), and given a ``generate_id`` where it lacks one: 8 random lowercase letters and digits,
wandb's own run-id format. Everything else is BasicSR's (``sync_tensorboard=True``: TensorBoard's scalars and the
validation strips reach the wandb run).
"""
import secrets
import string
import sys

import basicsr.utils
import basicsr.utils.logger


def generate_run_id(length: int = 8) -> str:
    """A wandb run id: ``length`` random lowercase letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return ''.join(secrets.choice(alphabet) for _ in range(length))


def init_wandb_logger(opt):
    """``basicsr.utils.logger.init_wandb_logger`` with ``wandb.util.generate_id`` provided when wandb lacks it."""
    import wandb.util

    if not hasattr(wandb.util, 'generate_id'):
        wandb.util.generate_id = generate_run_id
    return _original(opt)


_original = basicsr.utils.logger.init_wandb_logger


def apply() -> None:
    if getattr(basicsr.utils.logger.init_wandb_logger, '__wrapped_by_bebygan__', False):
        return
    init_wandb_logger.__wrapped_by_bebygan__ = True
    basicsr.utils.logger.init_wandb_logger = basicsr.utils.init_wandb_logger = init_wandb_logger
    if 'basicsr.train' in sys.modules:  # it imported the name before this patch
        sys.modules['basicsr.train'].init_wandb_logger = init_wandb_logger
