"""Helpers for the data preparation tests: generated inputs of every kind, and an independent
reading of the documented rules (OpenCV + BasicSR's own ``imresize``) to compare LMDB contents against."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
import cv2
import numpy as np
from basicsr.data.paired_image_dataset import PairedImageDataset
from basicsr.utils.matlab_functions import imresize as basicsr_imresize
from PIL import Image

from devtools.paths import REPO_ROOT


def smooth_image(height: int, width: int, channels: int, seed: int, dtype=np.uint8) -> np.ndarray:
    """Natural-ish content: smooth random field plus gradients and some noise, full range of ``dtype``."""
    rng = np.random.default_rng(seed)
    low = rng.random((max(2, height // 8), max(2, width // 8), channels)).astype(np.float32)
    field = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC).reshape(height, width, channels)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    img = np.clip(0.6 * field + 0.3 * ramp + 0.1 * rng.random((height, width, channels)), 0, 1)
    top = np.iinfo(dtype).max
    out = np.round(img * top).astype(dtype)
    return out[..., 0] if channels == 1 else out


def write_input_kinds(folder: Path) -> Dict[str, str]:
    """One small file of every supported input kind (odd sizes, to exercise the crop to a multiple of 4).

    Returns:
        key -> description.
    """
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {}

    def save_cv2(name, img, what):
        assert cv2.imwrite(str(folder / name), img)
        kinds[Path(name).stem] = what

    save_cv2('rgb8.png', smooth_image(61, 83, 3, 1), '8-bit color PNG')
    save_cv2('rgb16.png', smooth_image(58, 70, 3, 2, np.uint16), '16-bit color PNG')
    save_cv2('gray8.png', smooth_image(49, 66, 1, 3), '8-bit gray PNG')
    save_cv2('gray16.png', smooth_image(52, 41, 1, 4, np.uint16), '16-bit gray PNG')
    opaque = np.dstack([smooth_image(45, 50, 3, 5), np.full((45, 50), 255, np.uint8)])
    save_cv2('rgba_opaque.png', opaque, 'RGBA PNG, alpha all 255')
    opaque16 = np.dstack([smooth_image(44, 48, 3, 6, np.uint16), np.full((44, 48), 65535, np.uint16)])
    save_cv2('rgba16_opaque.png', opaque16, '16-bit RGBA PNG, opaque')
    Image.fromarray(np.dstack([smooth_image(40, 47, 1, 7), np.full((40, 47), 255, np.uint8)]), 'LA').save(
        folder / 'gray_alpha.png')
    kinds['gray_alpha'] = 'gray + alpha PNG, opaque'
    Image.fromarray(smooth_image(43, 57, 3, 8)[..., ::-1].copy()).convert('P').save(folder / 'palette.png')
    kinds['palette'] = 'palette PNG'
    save_cv2('photo.jpg', smooth_image(64, 72, 3, 9), 'color JPEG')
    save_cv2('photo_gray.jpeg', smooth_image(50, 50, 1, 10), 'gray JPEG')
    save_cv2('bitmap.bmp', smooth_image(47, 39, 3, 11), 'color BMP')
    save_cv2('bitmap_gray.BMP', smooth_image(36, 44, 1, 12), 'gray BMP, upper-case extension')
    return kinds


def expected_hr(path: str, alpha: str = 'error') -> np.ndarray:
    """The documented rules, re-implemented for the tests: HxWx3 uint8 BGR."""
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img.dtype == np.uint16:
        img = np.round(img / 257.0).astype(np.uint8)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=2)
    if img.shape[2] == 4:
        a = img[..., 3:].astype(np.float64) / 255
        if alpha == 'error':
            assert (a == 1).all(), f'{path} is not opaque'
        if alpha in ('white', 'black'):
            bg = 255.0 if alpha == 'white' else 0.0
            img = np.floor(img[..., :3] * a + bg * (1 - a) + 0.5).astype(np.uint8)
        else:
            img = img[..., :3]
    return img


def expected_lr(hr: np.ndarray, scale: int = 4) -> np.ndarray:
    """BasicSR's own MATLAB ``imresize`` (an implementation independent of the plugin's), rounded."""
    out = basicsr_imresize(hr.astype(np.float64) / 255.0, 1 / scale)
    return np.clip(np.round(np.asarray(out) * 255), 0, 255).astype(np.uint8)


def mod_crop(img: np.ndarray, scale: int = 4) -> np.ndarray:
    return img[:img.shape[0] // scale * scale, :img.shape[1] // scale * scale]


def read_pairs(hr_lmdb: Path, lr_lmdb: Path, scale: int = 4) -> Dict[str, Dict[str, np.ndarray]]:
    """Every pair of the LMDBs through BasicSR's ``PairedImageDataset`` (``phase: val``, no cropping), as uint8 BGR."""
    dataset = PairedImageDataset({
        'name': 'lmdb-check', 'type': 'PairedImageDataset', 'phase': 'val', 'scale': scale,
        'dataroot_gt': str(hr_lmdb), 'dataroot_lq': str(lr_lmdb), 'io_backend': {'type': 'lmdb'}})
    pairs = {}
    for index in range(len(dataset)):
        item = dataset[index]
        as_bgr = [np.round(item[k].permute(1, 2, 0).numpy()[..., ::-1] * 255).astype(np.uint8) for k in ('gt', 'lq')]
        pairs[item['gt_path']] = {'gt': as_bgr[0], 'lq': as_bgr[1], 'lq_path': item['lq_path']}
    return pairs


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def assert_lr_close(lr: np.ndarray, ref: np.ndarray, what: str) -> None:
    """Equal up to float rounding at .5 boundaries between two implementations of the same operator."""
    assert lr.shape == ref.shape, f'{what}: {lr.shape} vs {ref.shape}'
    diff = np.abs(lr.astype(int) - ref.astype(int))
    assert diff.max() <= 1 and diff.mean() < 0.01, f'{what}: max {diff.max()}, mean {diff.mean()}'


def run_python(code: str, cwd: Path = REPO_ROOT, timeout: int = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def listing(folder: Path) -> List[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
