"""LPIPS and pyiqa metrics as BasicSR metrics, offline: weights we create, and clear errors without them."""
import urllib.error

import numpy as np
import pytest
import torch
import torchvision
from basicsr.metrics import calculate_metric

from conftest import place_random_vgg16


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


def test_pyiqa_metric_names_the_extra_when_pyiqa_is_missing():
    try:
        import pyiqa  # noqa: F401
        pytest.skip('pyiqa is installed')
    except ImportError:
        pass
    img = np.zeros((16, 16, 3), dtype=np.uint8)
    with pytest.raises(ImportError, match=r'bebygan-plugin\[metrics\]'):
        calculate_metric({'img': img}, {'type': 'calculate_pyiqa', 'metric_name': 'niqe'})
