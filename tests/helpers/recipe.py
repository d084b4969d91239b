"""The tiny BebyGANModel option dict, and building or training a model from it."""
from pathlib import Path


def tiny_bebygan_options(name: str, data_root, total_iter: int, **overrides) -> dict:
    """A complete, CPU-sized BebyGANModel option dict over the ``skimage_pairs`` dataset."""
    adam = {'type': 'Adam', 'lr': 1e-4, 'weight_decay': 0, 'betas': [0.9, 0.999]}
    metrics = {m: {'type': f'calculate_{m}', 'crop_border': 4, 'test_y_channel': True} for m in ('psnr', 'ssim')}
    opt = {
        'name': name, 'model_type': 'BebyGANModel', 'scale': 4, 'num_gpu': 0, 'manual_seed': 0,
        'datasets': {
            'train': {'name': 'photos', 'type': 'PairedImageDataset', 'dataroot_gt': f'{data_root}/train/HR',
                      'dataroot_lq': f'{data_root}/train/LR_x4', 'io_backend': {'type': 'disk'}, 'gt_size': 32,
                      'use_hflip': True, 'use_rot': True, 'num_worker_per_gpu': 0, 'batch_size_per_gpu': 2,
                      'dataset_enlarge_ratio': 10, 'prefetch_mode': None},
            'val': {'name': 'chelsea', 'type': 'PairedImageDataset', 'dataroot_gt': f'{data_root}/val/HR',
                    'dataroot_lq': f'{data_root}/val/LR_x4', 'io_backend': {'type': 'disk'}},
        },
        'network_g': {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 8, 'num_block': 1,
                      'num_grow_ch': 4},
        'network_d': {'type': 'MaskedUNetDiscriminator', 'num_in_ch': 3, 'num_feat': 8},
        'path': {'pretrain_network_g': None, 'strict_load_g': True, 'resume_state': None},
        'train': {
            'ema_decay': 0.9, 'optim_g': dict(adam), 'optim_d': dict(adam),
            'scheduler': {'type': 'WarmupCosineRestartLR', 'periods': [total_iter * 4], 'warmup_iter': 2},
            'total_iter': total_iter, 'warmup_iter': -1,
            'pixel_opt': {'type': 'BestBuddyLoss', 'loss_weight': 0.1},
            'bp_opt': {'type': 'BackProjectionLoss', 'loss_weight': 1.0, 'scale': 4},
            'gan_opt': {'type': 'RelativisticAverageGANLoss', 'loss_weight': 0.005},
            'mask_opt': {'source': 'gt', 'kernel_size': 11, 'threshold': 0.025},
        },
        'val': {'val_freq': 2, 'save_img': True, 'metrics': metrics},
        'logger': {'print_freq': 1, 'save_checkpoint_freq': 2, 'use_tb_logger': False},
    }
    for dotted, value in overrides.items():
        node = opt
        *parents, leaf = dotted.split('.')
        for key in parents:
            node = node[key]
        node[leaf] = value
    return opt


def run_training(opt: dict, cwd, *extra_args: str, entry=('-m', 'bebygan_plugin.train'), timeout: int = 300):
    """Write ``opt`` as YAML in ``cwd`` and train it in a subprocess; returns the CompletedProcess (output text)."""
    import subprocess
    import sys

    import yaml

    opt_path = Path(cwd) / f"{opt['name']}.yml"
    opt_path.write_text(yaml.safe_dump(opt, sort_keys=False))
    cmd = [sys.executable, *entry, '-opt', str(opt_path), *extra_args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}')
    return result


def build_in_process(opt: dict):
    """The model ``train_pipeline`` builds from ``opt`` (completed as BasicSR's ``parse_options`` does), seeded."""
    import copy
    import logging

    import torch
    from basicsr.models import build_model

    opt = copy.deepcopy(opt)
    opt.update(is_train=True, dist=False, rank=0, world_size=1, auto_resume=False)
    torch.manual_seed(0)
    logging.disable(logging.CRITICAL)
    try:
        return build_model(opt)
    finally:
        logging.disable(logging.NOTSET)
