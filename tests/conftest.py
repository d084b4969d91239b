"""Shared test fixtures: working directories, offline weight homes, small real photos from scikit-image, and the
warnings BasicSR's logger records. Plain helpers (paths, photos, the tiny recipe, references) live in
``tests/helpers``."""
import logging
import os

import pytest

os.environ.setdefault('OMP_NUM_THREADS', '2')

import bebygan_plugin  # noqa: E402,F401  (compat + registration before any basicsr import)

from devtools.paths import DIST_VARS  # noqa: E402


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



@pytest.fixture(scope='session')
def skimage_pairs(tmp_path_factory):
    """A tiny real-photo x4 dataset (``skimage.data``), written once per session as the demo writes it."""
    from bebygan_plugin.demo import write_pairs

    root = tmp_path_factory.mktemp('skimage_pairs')
    write_pairs(('astronaut', 'coffee', 'rocket'), str(root / 'train' / 'HR'), str(root / 'train' / 'LR_x4'))
    write_pairs(('chelsea',), str(root / 'val' / 'HR'), str(root / 'val' / 'LR_x4'))
    return root






