"""Shared test fixtures: Set5 (shipped in ``tests/data``), small real photos from scikit-image, and the warnings
BasicSR's logger records."""
import logging
import os
from pathlib import Path

import pytest

os.environ.setdefault('OMP_NUM_THREADS', '2')

import bebygan_plugin  # noqa: E402,F401  (compat + registration before any basicsr import)

REPO_ROOT = Path(__file__).resolve().parents[1]
SET5 = REPO_ROOT / 'tests' / 'data' / 'Set5'  # HR and MATLAB-made LR_bicubic/X4 (see tests/data/README.md)
DIST_VARS = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh working directory for an entry point run in process: offline, a tmp ``TORCH_HOME``, no distributed
    environment."""
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    for var in DIST_VARS:
        monkeypatch.delenv(var, raising=False)
    return work


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_log():
    """The messages of the warnings (and errors) logged to BasicSR's ``basicsr`` logger during the test."""
    handler = _Records()
    logger = logging.getLogger('basicsr')
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty ``TORCH_HOME`` (no ImageNet weights, offline: nothing is downloaded) and a fresh LPIPS model cache."""
    from bebygan_plugin.metrics import lpips_metric

    home = tmp_path / 'torch_home'
    home.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(home))
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    lpips_metric._lpips_model.cache_clear()
    yield home
    lpips_metric._lpips_model.cache_clear()


@pytest.fixture(scope='session')
def random_vgg16_file(tmp_path_factory):
    """A RANDOMLY initialised torchvision VGG16 state dict under the ImageNet file's name, written once: it checks
    the loading and plumbing of LPIPS offline, not LPIPS values (those need the real weights)."""
    import torch
    import torchvision

    path = tmp_path_factory.mktemp('vgg16') / 'vgg16-397923af.pth'
    torch.manual_seed(0)
    torch.save(torchvision.models.vgg16().state_dict(), path)
    return path


def place_random_vgg16(torch_home: Path, random_vgg16_file: Path) -> None:
    """Put the random VGG16 where torchvision looks for the ImageNet file (``$TORCH_HOME/hub/checkpoints``)."""
    checkpoints = torch_home / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True, exist_ok=True)
    (checkpoints / random_vgg16_file.name).symlink_to(random_vgg16_file)


@pytest.fixture(scope='session')
def skimage_pairs(tmp_path_factory):
    """A tiny real-photo x4 dataset (``skimage.data``), written once per session as the demo writes it."""
    from bebygan_plugin.demo import write_pairs

    root = tmp_path_factory.mktemp('skimage_pairs')
    write_pairs(('astronaut', 'coffee', 'rocket'), str(root / 'train' / 'HR'), str(root / 'train' / 'LR_x4'))
    write_pairs(('chelsea',), str(root / 'val' / 'HR'), str(root / 'val' / 'LR_x4'))
    return root


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


def photo_batch(names=('astronaut', 'coffee'), gt_size: int = 64, scale: int = 4) -> dict:
    """Real photo crops (``skimage.data``) as a training batch: GT and its MATLAB-bicubic x``scale`` LR, 8-bit as
    the training data stores it."""
    import numpy as np
    import torch
    from skimage import data

    from bebygan_plugin.ops.imresize import imresize_bicubic

    crops = [np.ascontiguousarray(getattr(data, name)()[64:64 + gt_size, 96:96 + gt_size, :3]) for name in names]
    gt = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div(255)
    return {'gt': gt, 'lq': imresize_bicubic(gt, 1 / scale).mul(255).round().clamp(0, 255).div(255)}


def set5_image(name: str) -> 'torch.Tensor':
    """A Set5 HR photo (``tests/data/Set5/HR/<name>.png``) as an RGB ``(3, H, W)`` float64 tensor in [0, 1]."""
    import cv2
    import numpy as np
    import torch

    img = cv2.imread(str(SET5 / 'HR' / f'{name}.png'), cv2.IMREAD_COLOR)[..., ::-1]
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).double().div(255)


def photo_estimate_pair(batch: int, height: int, width: int, dtype=None, seed: int = 0):
    """``(pred, gt)``: ``batch`` real photo crops of Set5 as GT and, as the estimate, an independent image of the same
    scene: the crop shifted by (1, 2) pixels, halved with the bicubic S and bicubic-upsampled back (blurred and
    misaligned, like an SR output). The best buddies of such an estimate are mostly *other* GT patches, many from
    the coarser pyramid levels (unlike ``pred = gt + noise``, whose buddies are all the own GT patches)."""
    import torch
    from torch.nn import functional as F

    from bebygan_plugin.ops.imresize import imresize_bicubic

    gen = torch.Generator().manual_seed(seed)
    names = ('butterfly', 'bird', 'baby', 'head', 'woman')
    preds, gts = [], []
    for i in range(batch):
        img = set5_image(names[(seed + i) % len(names)])
        top = int(torch.randint(img.shape[1] - height - 2, (1,), generator=gen))
        left = int(torch.randint(img.shape[2] - width - 3, (1,), generator=gen))
        gts.append(img[:, top:top + height, left:left + width])
        shifted = img[None, :, top + 1:top + 1 + height, left + 2:left + 2 + width]
        preds.append(F.interpolate(imresize_bicubic(shifted, 0.5), size=(height, width), mode='bicubic',
                                   align_corners=False)[0])
    dtype = dtype or torch.float64
    return torch.stack(preds).to(dtype), torch.stack(gts).to(dtype)


def assert_buddies_come_from_elsewhere(index: 'torch.Tensor', num_patches: int, min_other: float = 0.25,
                                      min_coarser: float = 0.05) -> None:
    """The data are not trivial for the search: a good share of the buddies are other GT patches than the own one,
    and some come from the coarser pyramid levels (a search returning the own patch fails here)."""
    import torch

    other = (index != torch.arange(num_patches)).double().mean().item()
    coarser = (index >= num_patches).double().mean().item()
    assert other >= min_other and coarser >= min_coarser, (f'{other:.0%} of the buddies are other patches, '
                                                           f'{coarser:.0%} from coarser levels')
