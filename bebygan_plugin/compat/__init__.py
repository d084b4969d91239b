"""Every adaptation of BasicSR 1.4.2 to current torch / torchvision and to the plugin's guarantees, one module per
patch, named for what it fixes. ``import bebygan_plugin`` calls :func:`apply`; every patch is idempotent and edits
no file on disk.

1. :mod:`.torchvision_functional_tensor`: ``import basicsr`` fails on torchvision >= 0.17.
2. :mod:`.weights_only_scheduler_states`: torch >= 2.6 cannot load BasicSR's resume states (``weights_only``).
3. :mod:`.resume_state_loading`: BasicSR's resume fails on a CPU-only machine and loads torn checkpoints.
4. The ``.pth`` import hook (the root module ``bebygan_autoload``): BasicSR's own ``basicsr/train.py`` does not
   find the plugin's components. It is not in this package, so that it imports nothing of it at start-up.
5. :mod:`.distributed_on_cpu`: BasicSR's distributed start-up needs NCCL and GPUs; CPU models get no DDP.
6. :mod:`.undecodable_images`: a corrupt image stops training with ``'NoneType' object has no attribute
   'astype'``, naming no file.
7. :mod:`.prefetch_loader_errors`: with ``prefetch_mode: cpu`` a loader error hangs the training loop.
8. :mod:`.basicsr_option_parsing`: option files can run code (full YAML loader, ``eval`` of ``--force_yml``), and
   a second run under the same name archives the folder of a running one.
9. :mod:`.atomic_basicsr_checkpoints`: BasicSR's models (``SRModel``...) write checkpoints in place.
10. :mod:`.realesrgan_on_cpu`: BasicSR's ``RealESRGANModel`` / ``RealESRNetModel`` need a GPU (``.cuda()``) and
    fail at their second blur (``.view()`` on a non-contiguous tensor).
11. :mod:`.worker_stop_signals`: DataLoader workers die of the SIGTERM / SIGINT meant for the training process.
12. :mod:`.wandb_run_id`: BasicSR's wandb logger calls ``wandb.util.generate_id``, which current wandb lacks.
"""
import importlib

PATCHES = ('torchvision_functional_tensor', 'weights_only_scheduler_states', 'resume_state_loading',  # (1) first
           'distributed_on_cpu', 'undecodable_images', 'prefetch_loader_errors', 'basicsr_option_parsing',
           'atomic_basicsr_checkpoints', 'realesrgan_on_cpu', 'worker_stop_signals', 'wandb_run_id')


def apply() -> None:
    """Apply every patch of :data:`PATCHES` (the alias first: the others import basicsr)."""
    for name in PATCHES:
        importlib.import_module(f'{__name__}.{name}').apply()
