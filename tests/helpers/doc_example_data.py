"""The files the documentation's command examples name, made tiny so that each example runs as written (issue 24).

Every block runs in a fresh folder that stands for the repository root a user runs from. It holds a copy of
``options/``, the shipped ``tests/data/`` and, at the paths the examples name, stand-ins for what the user would
have:

==========================================================  =========================================================
path the examples name                                      stand-in
==========================================================  =========================================================
``datasets/DIV2K/DIV2K_train_HR``, ``datasets/Flickr2K/     2 real photo crops each (scikit-image, 100x120 and
Flickr2K_HR``                                               96x128), named as the downloads name them
``datasets/DIV2K/DIV2K_train_LR_bicubic/X4_sub``            the MATLAB-bicubic x4 LR of those HR images, under the
                                                            sub-image keys ``extract_subimages.py`` gives them
``datasets/Set5/HR``, ``LR_bicubic/X4``                     48x48 crops of 2 real Set5 images (tests/data) and the
                                                            aligned 12x12 crops of their MATLAB-made LR (too small
                                                            for NIQE, which bebygan-eval then leaves empty)
``datasets/Set14``, ``datasets/BSDS100``, ``datasets/DIV2K/  1 such pair each, cut from other Set5 images, under the
DIV2K_valid_*``                                             names of those sets (``baboon``, ``101085``, ``0801``)
``released/<method>/<dataset>/``                            an SR image per GT (the bicubic of its LR), named as
                                                            released SR images are (``baboon_x4_SR.png``)
``experiments/{RRDB_PSNR,BebyGAN}_x4_DF2K/models/           RANDOMLY initialised RRDBNets in BasicSR's layout
net_g_latest.pth``, ``experiments/pretrained_models/        (``params``, ``params_ema``): tiny (8 features, 2 blocks)
BebyGAN-PI_x4_alpha0.8.pth``                                except for blocks that run ``bebygan-test``, whose
                                                            shipped YAMLs build the paper's generator (64 features,
                                                            23 blocks, growth 32) and load these paths strictly
``experiments/BebyGAN_x4_DF2K/models/net_g_{5000,10000}     tiny random RRDBNets (``params`` != ``params_ema``), the
.pth``                                                      checkpoints of a running training
``RRDB_warmup.pth``, ``BebyGAN_x4.pth`` and the same in      tiny random RRDBNets in the authors' Simple-SR layout
``experiments/pretrained_models/``                          (their released weights cannot be downloaded here)
``photos/``, ``shots/*.png``, ``frame.tif``                 small real photo crops (PNG, JPEG, TIFF)
``$TORCH_HOME``                                             a RANDOMLY initialised VGG16 under the ImageNet file's
                                                            name (LPIPS plumbing, not LPIPS values)
==========================================================  =========================================================
"""
import os
import shutil
from pathlib import Path
from typing import Optional

import bebygan_plugin  # noqa: F401  (before basicsr)
import cv2
import numpy as np
import torch

from basicsr.archs.rrdbnet_arch import RRDBNet

from devtools.paths import REPO_ROOT, SET5
from tests.helpers.inference import SimpleSRRRDBNet, copy_parameters, photo, state_dict

TINY = dict(num_feat=8, num_block=2, num_grow_ch=4)
PAPER = dict(num_feat=64, num_block=23, num_grow_ch=32)
GENERATORS = ('experiments/RRDB_PSNR_x4_DF2K/models/net_g_latest.pth',
              'experiments/BebyGAN_x4_DF2K/models/net_g_latest.pth',
              'experiments/pretrained_models/BebyGAN-PI_x4_alpha0.8.pth')
AUTHORS_FILES = ('RRDB_warmup.pth', 'BebyGAN_x4.pth', 'experiments/pretrained_models/RRDB_warmup.pth',
                 'experiments/pretrained_models/BebyGAN_x4.pth')
# (folder, name, Set5 image, GT side): the benchmark sets of the test YAMLs and bebygan-eval's examples
PAIRS = (('datasets/Set5', 'bird', 'bird'), ('datasets/Set5', 'butterfly', 'butterfly'),
         ('datasets/Set14', 'baboon', 'woman'), ('datasets/BSDS100', '101085', 'head'))
GT_SIDE = 48  # LR 12x12: the paper's 23-block generator takes a second on it


def _write(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))


def _random_generator(seed: int, shape: dict):
    """A random RRDBNet's state dict, initialised as BasicSR initialises it (the examples' outputs are not judged,
    only that the commands run)."""
    torch.manual_seed(seed)
    return state_dict(RRDBNet(3, 3, **shape))


def _save_basicsr(path: Path, seed: int, shape: dict, ema_seed: int = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = _random_generator(seed, shape)
    ema = params if ema_seed is None else _random_generator(ema_seed, shape)
    torch.save({'params': params, 'params_ema': ema}, path)


def _set5_pair(name: str, side: int):
    """An aligned (HR side x side, LR side/4) crop of a real Set5 image and its MATLAB-made LR."""
    hr = cv2.imread(str(SET5 / 'HR' / f'{name}.png'))[..., ::-1]
    lr = cv2.imread(str(SET5 / 'LR_bicubic' / 'X4' / f'{name}x4.png'))[..., ::-1]
    top, left = (hr.shape[0] - side) // 8 * 4, (hr.shape[1] - side) // 8 * 4  # centred, on the LR grid
    return hr[top:top + side, left:left + side], lr[top // 4:(top + side) // 4, left // 4:(left + side) // 4]


def make_world(root: Path) -> None:
    """Write every stand-in of the module docstring under ``root``, with tiny generators."""
    from bebygan_plugin.preparation.lr_bicubic import bicubic_downsample

    shutil.copytree(REPO_ROOT / 'options', root / 'options')
    for folder, names, sizes in (('datasets/DIV2K/DIV2K_train_HR', ('0001', '0002'), ((100, 120), (96, 128))),
                                 ('datasets/Flickr2K/Flickr2K_HR', ('000001', '000002'), ((100, 120), (96, 128)))):
        for index, (name, (h, w)) in enumerate(zip(names, sizes)):
            hr = photo(h, w, ('astronaut', 'coffee')[index])
            _write(root / folder / f'{name}.png', hr)
            if folder.startswith('datasets/DIV2K'):
                _write(root / 'datasets/DIV2K/DIV2K_train_LR_bicubic/X4_sub' / f'{name}_s001.png',
                       bicubic_downsample(hr, 4))
    side = GT_SIDE
    for folder, name, source in PAIRS + (('datasets/DIV2K', '0801', 'baby'),):
        hr, lr = _set5_pair(source, side)
        if folder == 'datasets/DIV2K':
            _write(root / folder / 'DIV2K_valid_HR' / f'{name}.png', hr)
            _write(root / folder / 'DIV2K_valid_LR_bicubic/X4' / f'{name}x4.png', lr)
            continue
        _write(root / folder / 'HR' / f'{name}.png', hr)
        _write(root / folder / 'LR_bicubic/X4' / f'{name}x4.png', lr)
        upscaled = cv2.resize(np.ascontiguousarray(lr), (side, side), interpolation=cv2.INTER_CUBIC)
        for method in ('ESRGAN', 'BebyGAN'):
            _write(root / 'released' / method / Path(folder).name / f'{name}_x4_SR.png', upscaled)
    for index, path in enumerate(GENERATORS):
        _save_basicsr(root / path, seed=index, shape=TINY)
    for index, iteration in enumerate((5000, 10000)):
        _save_basicsr(root / f'experiments/BebyGAN_x4_DF2K/models/net_g_{iteration}.pth', seed=10 + index,
                      shape=TINY, ema_seed=20 + index)
    for index, path in enumerate(AUTHORS_FILES):
        torch.manual_seed(30 + index)
        authors = copy_parameters(RRDBNet(3, 3, **TINY),
                                  SimpleSRRRDBNet(TINY['num_feat'], TINY['num_block'], TINY['num_grow_ch']))
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(state_dict(authors), root / path)
    for path, name in (('photos/street.png', 'astronaut'), ('photos/cat.jpg', 'chelsea'),
                       ('shots/001.png', 'coffee'), ('shots/002.png', 'rocket'), ('frame.tif', 'astronaut')):
        _write(root / path, photo(24, 32, name))


def make_paper_generator(path: Path) -> Path:
    """One random generator of the paper's shape in BasicSR's layout (the test YAMLs' ``network_g``)."""
    _save_basicsr(path, seed=0, shape=PAPER)
    return path


def copy_world(world: Path, to: Path, paper_generator: Optional[Path] = None, made_by_block=()) -> None:
    """A fresh copy of ``world`` at ``to``: weight files linked (the examples only read them; a command that writes
    one replaces the link), the rest copied; ``paper_generator`` linked at every path of ``GENERATORS``; the files
    in ``made_by_block`` (what the block's own commands write, e.g. ``-o`` of bebygan-interpolate) left out."""
    def link_or_copy(src, dst):
        if src.endswith('.pth'):
            os.symlink(src, dst)
        else:
            shutil.copy2(src, dst)
    shutil.copytree(world, to, copy_function=link_or_copy, dirs_exist_ok=True)
    (to / 'tests').mkdir(exist_ok=True)
    (to / 'tests' / 'data').symlink_to(REPO_ROOT / 'tests' / 'data')  # the shipped Set5, as in a checkout
    if paper_generator is not None:
        for path in GENERATORS:
            (to / path).unlink()
            (to / path).symlink_to(paper_generator)
    for path in made_by_block:
        if (to / path).is_symlink() or (to / path).is_file():
            (to / path).unlink()
