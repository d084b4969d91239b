"""LPIPS and pyiqa metrics as BasicSR metrics, offline: weights we create, and clear errors without them."""
import sys
import urllib.error

import numpy as np
import pytest
import torch
import torchvision
from basicsr.metrics import calculate_metric

from bebygan_plugin.metrics import pyiqa_metric
from tests.helpers.random_weights import place_random_vgg16


def test_lpips_runs_from_the_torch_hub_cache(torch_home, random_vgg16_file):
    """A RANDOMLY initialised VGG16 is placed where torchvision looks for the ImageNet file: this checks the
    loading and plumbing offline, not LPIPS values (those need the real weights)."""
    place_random_vgg16(torch_home, random_vgg16_file)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    other = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    opt = {'type': 'calculate_lpips', 'crop_border': 4, 'net': 'vgg', 'better': 'lower'}
    assert calculate_metric({'img': img, 'img2': img}, dict(opt)) == pytest.approx(0.0, abs=1e-6)
    assert calculate_metric({'img': img, 'img2': other}, dict(opt)) > 0


def test_lpips_without_weights_says_which_file_to_place_where(torch_home, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', offline)
    monkeypatch.setattr(torchvision.models._api, 'load_state_dict_from_url', offline, raising=False)
    img = np.zeros((16, 16, 3), dtype=np.uint8)
    with pytest.raises(FileNotFoundError, match=r'vgg16-397923af\.pth.*hub/checkpoints'):
        calculate_metric({'img': img, 'img2': img}, {'type': 'calculate_lpips'})


def test_pyiqa_metric_says_how_to_install_pyiqa_when_it_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pyiqa', None)  # as if not installed: ``import pyiqa`` raises ImportError
    pyiqa_metric._pyiqa_metric.cache_clear()
    img = np.zeros((16, 16, 3), dtype=np.uint8)
    with pytest.raises(ImportError, match='pip install pyiqa'):
        calculate_metric({'img': img}, {'type': 'calculate_pyiqa', 'metric_name': 'niqe'})


def _bgr_photo_pair():
    """A real photo crop as BasicSR hands it to metrics (uint8 BGR, HWC) and a copy with noise in blue only."""
    from skimage import data

    img = np.ascontiguousarray(data.astronaut()[100:196, 100:196, ::-1])
    noisy = img.astype(int)
    noisy[..., 0] += np.random.default_rng(0).integers(-20, 21, noisy.shape[:2])
    return img, np.clip(noisy, 0, 255).astype(np.uint8)


def test_pyiqa_full_reference_metric_matches_basicsr_psnr():
    """pyiqa's psnr needs no downloaded weights: the conversion (uint8 BGR -> RGB in [0, 1]) and the crop must give
    BasicSR's PSNR; and the Y channel must weigh the blue channel's noise as blue (a swapped order would not)."""
    pytest.importorskip('pyiqa')
    from basicsr.metrics.psnr_ssim import calculate_psnr

    img, noisy = _bgr_photo_pair()
    opt = {'type': 'calculate_pyiqa', 'metric_name': 'psnr', 'crop_border': 4}
    assert calculate_metric({'img': noisy, 'img2': img}, opt) == pytest.approx(calculate_psnr(noisy, img, 4), abs=1e-3)
    y_opt = dict(opt, metric_name='psnry')
    as_bgr = calculate_metric({'img': noisy, 'img2': img}, y_opt)
    as_if_rgb = calculate_metric({'img': noisy[..., ::-1].copy(), 'img2': img[..., ::-1].copy()}, y_opt)
    assert as_bgr > as_if_rgb + 3  # Y = 0.257 R + 0.504 G + 0.098 B: noise in blue costs less than in red


def test_pyiqa_no_reference_metric_crops_and_ignores_the_reference():
    """PIQE needs no downloaded weights; it must see the cropped RGB image and no reference."""
    pyiqa = pytest.importorskip('pyiqa')
    img, noisy = _bgr_photo_pair()
    opt = {'type': 'calculate_pyiqa', 'metric_name': 'piqe', 'crop_border': 4}
    ours = calculate_metric({'img': img, 'img2': noisy}, opt)
    rgb = torch.from_numpy(img[4:-4, 4:-4, ::-1].astype(np.float32) / 255).permute(2, 0, 1)[None]
    assert ours == pytest.approx(pyiqa.create_metric('piqe', device='cpu')(rgb).item(), rel=1e-6)
    assert calculate_metric({'img': img}, opt) == ours
