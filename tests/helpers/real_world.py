"""Real-world (Real-ESRGAN-style) training in the tests: RealESRGANDataset over the Set5 photos of ``tests/data``,
seeded batches of it, Real-ESRGAN's own option file (``tests/data/real_esrgan``) and the real-world recipes, shrunk
to CPU size."""
import copy
import random

import numpy as np
import yaml

from devtools.paths import REPO_ROOT, SET5
from devtools.recipe import TINY_D, TINY_G

REALESRGAN_OPTIONS = REPO_ROOT / 'tests' / 'data' / 'real_esrgan' / 'train_realesrgan_x4plus.yml'
KERNEL_KEYS = ('kernel1', 'kernel2', 'sinc_kernel')


def seed_all(seed: int) -> None:
    """Python's ``random``, NumPy's global generator and torch's: everything the degradation draws from."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_meta_info(folder) -> str:
    """A ``meta_info.txt`` naming the images of ``folder`` (RealESRGANDataset's disk layout), beside them."""
    names = sorted(p.name for p in folder.iterdir() if p.suffix == '.png')
    meta = folder / 'meta_info.txt'
    meta.write_text(''.join(f'{name}\n' for name in names), encoding='utf-8')
    return str(meta)


def set5_gt_folder(tmp_path):
    """A copy of the Set5 HR photos with a meta_info file: ``(dataroot_gt, meta_info)``."""
    import shutil

    folder = tmp_path / 'set5_gt'
    shutil.copytree(SET5 / 'HR', folder)
    return str(folder), write_meta_info(folder)


def realesrgan_options() -> dict:
    return yaml.safe_load(REALESRGAN_OPTIONS.read_text(encoding='utf-8'))


def dataset_options(dataroot_gt: str, meta_info: str, batch: int = 4) -> dict:
    """Real-ESRGAN's training set options (kernels as published) over ``dataroot_gt``, sized for the CPU."""
    opt = copy.deepcopy(realesrgan_options()['datasets']['train'])
    opt.update(name='set5', dataroot_gt=dataroot_gt, meta_info=meta_info, io_backend={'type': 'disk'},
               num_worker_per_gpu=0, batch_size_per_gpu=batch, phase='train', scale=4)
    return opt


def gt_batch(dataset, seed: int, batch: int = 4, size: int = 160) -> dict:
    """``batch`` items of ``dataset`` (RealESRGANDataset) drawn after seeding, stacked; the GT cut to its top-left
    ``size`` x ``size`` (the dataset's 400x400 crops cost seconds each through the 51x51 unsharp mask on the CPU)."""
    import torch

    seed_all(seed)
    items = [dataset[i % len(dataset)] for i in range(batch)]
    data = {key: torch.stack([item[key] for item in items]) for key in ('gt',) + KERNEL_KEYS}
    data['gt'] = data['gt'][:, :, :size, :size].contiguous()
    return data


def shrink(opt: dict, name: str, dataroot_gt: str, meta_info: str, *, batch: int = 4, gt_size: int = 128,
           queue_size: int = 8, total_iter: int = 4) -> dict:
    """A real-world option file (ours or Real-ESRGAN's) at CPU size: tiny G and D, the Set5 GT set, no pretrained
    weights, no perceptual loss (ImageNet VGG19), no validation."""
    opt = copy.deepcopy(opt)
    opt.update(name=name, num_gpu=0, gt_size=gt_size, queue_size=queue_size)
    train_set = opt['datasets']['train']
    train_set.update(dataroot_gt=dataroot_gt, meta_info=meta_info, num_worker_per_gpu=0, batch_size_per_gpu=batch,
                     gt_size=gt_size)
    opt['datasets'] = {'train': train_set}
    opt['network_g'].update(TINY_G)
    if 'network_d' in opt:
        opt['network_d'].update(TINY_D)
    for key in [k for k in opt['path'] if k.startswith(('pretrain_network', 'param_key', 'strict_load'))]:
        del opt['path'][key]
    opt['train'].pop('perceptual_opt', None)
    opt['train'].update(total_iter=total_iter)
    opt.pop('val', None)
    opt['logger'].update(print_freq=1, save_checkpoint_freq=2, use_tb_logger=False)
    return opt


def recipe(name: str) -> dict:
    """``options/<name>.yml`` as a plain dict."""
    return yaml.safe_load((REPO_ROOT / 'options' / f'{name}.yml').read_text(encoding='utf-8'))
