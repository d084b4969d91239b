"""The tiny recipe: ``options/train_BebyGAN_x4.yml`` shrunk to CPU size, and building or training a model from it.

Everything the YAML says about the method (losses and their weights, Eq. 1-10 options, texture mask, RaGAN form,
optimizers, schedule shape, AMP / speed switches) is kept; only the size is changed: a tiny RRDB and U-Net D, small
crops and batches, few iterations (the schedule's period shrinks with them), no pretrained G, disk datasets given
by the caller, no perceptual loss unless asked (its ImageNet VGG19 weights are not available offline) and no LPIPS
validation metric (ImageNet VGG16).
"""
import copy
from pathlib import Path
from typing import Optional, Tuple

import yaml

from .paths import REPO_ROOT

RECIPE_FILE = REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml'
TINY_G = {'num_feat': 8, 'num_block': 1, 'num_grow_ch': 4}
TINY_D = {'num_feat': 8}


def load_recipe() -> dict:
    """``options/train_BebyGAN_x4.yml`` as a plain dict."""
    return yaml.safe_load(RECIPE_FILE.read_text(encoding='utf-8'))


def set_option(opt: dict, dotted: str, value) -> None:
    """``opt['a']['b'] = value`` for ``'a.b'``."""
    *parents, leaf = dotted.split('.')
    for key in parents:
        opt = opt[key]
    opt[leaf] = value


def _paired_set(base: dict, name: str, roots: Tuple[str, str], **values) -> dict:
    gt, lq = roots
    dataset = dict(base, name=name, dataroot_gt=str(gt), dataroot_lq=str(lq), io_backend={'type': 'disk'}, **values)
    dataset.pop('filename_tmpl', None)  # the tiny datasets give the LR the HR's file name
    return dataset


def tiny_recipe(name: str, train: Optional[Tuple[str, str]] = None, val: Optional[Tuple[str, str]] = None, *,
                total_iter: int = 4, batch: int = 2, gt_size: int = 32, flips: bool = False, enlarge: int = 1,
                save_freq: int = 2, val_freq: int = 2, save_img: bool = False, perceptual: bool = False,
                **overrides) -> dict:
    """The recipe at CPU size (module doc), complete for ``bebygan-train`` / ``build_model``.

    Args:
        name: experiment name.
        train, val: ``(dataroot_gt, dataroot_lq)`` folders of the training / validation pairs (same file names);
            without ``train`` the dataset paths are placeholders (for models built in process), without ``val``
            there is no validation.
        total_iter, batch, gt_size, flips, enlarge: iterations, batch per GPU, HR crop, random flips / rotations,
            ``dataset_enlarge_ratio``.
        save_freq, val_freq, save_img: checkpoint and validation frequencies, validation images written or not.
        perceptual: keep the YAML's ``perceptual_opt`` (the caller provides VGG19 weights).
        overrides: dotted option paths and values, e.g. ``**{'train.ema_decay': 0, 'network_g.num_block': 2}``.
    """
    recipe = load_recipe()
    opt = copy.deepcopy(recipe)
    opt.update(name=name, num_gpu=0)
    opt['datasets'] = {'train': _paired_set(
        recipe['datasets']['train'], 'tiny_train', train or ('unused/hr', 'unused/lr'), gt_size=gt_size,
        use_hflip=flips, use_rot=flips, num_worker_per_gpu=0, batch_size_per_gpu=batch,
        dataset_enlarge_ratio=enlarge)}
    opt['network_g'].update(TINY_G)
    opt['network_d'].update(TINY_D)
    opt['path'].update(pretrain_network_g=None)
    train_opt = opt['train']
    train_opt.update(total_iter=total_iter, ema_decay=0.9)  # a short run: a short EMA memory
    train_opt['scheduler'].update(periods=[total_iter * 4], restart_weights=[1], warmup_iter=2)
    if not perceptual:
        del train_opt['perceptual_opt']
    if val:
        opt['datasets']['val'] = _paired_set(recipe['datasets']['val'], 'tiny_val', val)
        opt['val'].update(val_freq=val_freq, save_img=save_img)
        del opt['val']['metrics']['lpips']  # ImageNet VGG16 weights
    else:
        del opt['val']
    opt['logger'].update(print_freq=1, save_checkpoint_freq=save_freq, use_tb_logger=False)
    for dotted, value in overrides.items():
        set_option(opt, dotted, value)
    return opt


def skimage_recipe(name: str, data_root, total_iter: int, **overrides) -> dict:
    """:func:`tiny_recipe` over the ``skimage_pairs`` fixture's dataset (``train/HR``, ``train/LR_x4``, ``val/...``):
    32x32 crops with flips, enlarged x10, validation images written."""
    return tiny_recipe(name, (f'{data_root}/train/HR', f'{data_root}/train/LR_x4'),
                       (f'{data_root}/val/HR', f'{data_root}/val/LR_x4'), total_iter=total_iter, flips=True,
                       enlarge=10, save_img=True,
                       **{'datasets.train.name': 'photos', 'datasets.val.name': 'chelsea', **overrides})


def set5_recipe(name: str, train_dir: str, val_dir: Optional[str] = None, **kwargs) -> dict:
    """:func:`tiny_recipe` over folders of :func:`devtools.runs.make_pairs` (``<dir>/hr``,
    ``<dir>/lr``)."""
    def pairs(folder):
        return (f'{folder}/hr', f'{folder}/lr') if folder else None

    return tiny_recipe(name, pairs(train_dir), pairs(val_dir), **kwargs)


def run_training(opt: dict, cwd, *extra_args: str, entry=('-m', 'bebygan_plugin.train'), timeout: int = 300):
    """Write ``opt`` as YAML in ``cwd`` and train it in a subprocess; returns the CompletedProcess (output text)."""
    import subprocess
    import sys

    opt_path = Path(cwd) / f"{opt['name']}.yml"
    opt_path.write_text(yaml.safe_dump(opt, sort_keys=False))
    cmd = [sys.executable, *entry, '-opt', str(opt_path), *extra_args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}')
    return result


def build_in_process(opt: dict, **paths):
    """The model ``train_pipeline`` builds from ``opt`` (completed as BasicSR's ``parse_options`` does), seeded;
    ``paths`` (e.g. ``models=..., training_states=...``) are added to ``opt['path']``."""
    import logging

    import torch
    from basicsr.models import build_model

    opt = copy.deepcopy(opt)
    opt.update(is_train=True, dist=False, rank=0, world_size=1, auto_resume=False)
    opt['path'].update({key: str(value) for key, value in paths.items()})
    torch.manual_seed(0)
    logging.disable(logging.CRITICAL)
    try:
        return build_model(opt)
    finally:
        logging.disable(logging.NOTSET)
