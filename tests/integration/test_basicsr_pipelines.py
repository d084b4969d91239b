"""The plugin inside BasicSR: registries, BasicSR's own entry point, stock models, the recipe YAMLs, Set5 eval."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import basicsr
import pytest
import torch
import yaml
from basicsr.data import build_dataset
from basicsr.models import build_model
from basicsr.utils.registry import ARCH_REGISTRY, LOSS_REGISTRY, METRIC_REGISTRY, MODEL_REGISTRY

from devtools.paths import REPO_ROOT, SET5
from tests.helpers.random_weights import use_random_vgg19
from devtools.recipe import run_training, skimage_recipe

OPTIONS = REPO_ROOT / 'options'


def test_every_component_is_registered():
    assert {'BestBuddyLoss', 'BackProjectionLoss', 'RelativisticAverageGANLoss'} <= set(LOSS_REGISTRY.keys())
    assert {'MaskedUNetDiscriminator', 'MaskedVGGStyleDiscriminator', 'MatlabBicubicUpsampler'} <= set(
        ARCH_REGISTRY.keys())
    assert 'BebyGANModel' in MODEL_REGISTRY
    assert 'calculate_lpips' in METRIC_REGISTRY


def _python(code: str, **kwargs) -> str:
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                          **kwargs).stdout.strip()


@pytest.fixture(scope='module')
def autoload_installed():
    if _python('import sys; print(any(type(f).__name__ == "BasicsrImportHook" for f in sys.meta_path))') != 'True':
        pytest.skip('bebygan_plugin_autoload.pth is not active: install the package (pip install -e .)')


@pytest.mark.usefixtures('autoload_installed')
def test_autoload_costs_nothing_without_basicsr():
    loaded = _python('import sys; print(sorted(m for m in ("torch", "basicsr", "bebygan_plugin") if m in sys.modules))')
    assert loaded == '[]'


@pytest.mark.usefixtures('autoload_installed')
def test_plain_import_basicsr_registers_the_plugin(tmp_path):
    code = ('import basicsr\nfrom basicsr.utils.registry import MODEL_REGISTRY, LOSS_REGISTRY\n'
            'print("BebyGANModel" in MODEL_REGISTRY, "BestBuddyLoss" in LOSS_REGISTRY)')
    assert _python(code, cwd=tmp_path) == 'True True'


@pytest.mark.usefixtures('autoload_installed')
def test_basicsrs_own_train_script_resolves_our_names(skimage_pairs, tmp_path):
    """``python basicsr/train.py -opt ...`` from a BasicSR checkout (its own script, our YAML names)."""
    checkout = tmp_path / 'BasicSR'
    (checkout / 'basicsr').mkdir(parents=True)
    shutil.copy(Path(basicsr.__file__).parent / 'train.py', checkout / 'basicsr' / 'train.py')
    opt = skimage_recipe('basicsr_entry', skimage_pairs, total_iter=2)
    result = run_training(opt, checkout, entry=('basicsr/train.py',))
    log = result.stdout + result.stderr
    assert 'Model [BebyGANModel] is created.' in log
    assert (checkout / 'experiments' / 'basicsr_entry' / 'models' / 'net_g_2.pth').is_file()


def _stock_model_options(model_type, train_opts, network_d=None):
    opt = {'model_type': model_type, 'num_gpu': 0, 'is_train': True, 'dist': False, 'scale': 4,
           'network_g': {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 8, 'num_block': 1,
                         'num_grow_ch': 4},
           'path': {}, 'train': {'optim_g': {'type': 'Adam', 'lr': 1e-4},
                                 'scheduler': {'type': 'MultiStepLR', 'milestones': [10], 'gamma': 0.5},
                                 **train_opts}}
    if network_d:
        opt['network_d'] = network_d
        opt['train']['optim_d'] = {'type': 'Adam', 'lr': 1e-4}
    return opt


def test_best_buddy_loss_as_pixel_opt_of_stock_esrgan_model():
    torch.manual_seed(0)
    opt = _stock_model_options('ESRGANModel', {
        'pixel_opt': {'type': 'BestBuddyLoss', 'loss_weight': 0.1},
        'gan_opt': {'type': 'GANLoss', 'gan_type': 'vanilla', 'loss_weight': 0.005}},
        network_d={'type': 'VGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 8, 'input_size': 128})
    model = build_model(opt)
    before = [p.clone() for p in model.net_g.parameters()]
    model.feed_data({'lq': torch.rand(2, 3, 32, 32), 'gt': torch.rand(2, 3, 128, 128)})
    model.optimize_parameters(1)
    assert model.log_dict['l_g_pix'] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.net_g.parameters()))


def test_back_projection_loss_in_stock_sr_model_with_hr_targets():
    opt = _stock_model_options('SRModel', {'pixel_opt': {'type': 'BackProjectionLoss', 'scale': 4}})
    model = build_model(opt)
    model.feed_data({'lq': torch.rand(2, 3, 16, 16), 'gt': torch.rand(2, 3, 64, 64)})
    model.optimize_parameters(1)
    assert model.log_dict['l_pix'] > 0


@pytest.mark.parametrize('name', sorted(p.name for p in OPTIONS.glob('*.yml')))
def test_option_files_use_registered_components(name):
    opt = yaml.safe_load((OPTIONS / name).read_text())
    assert opt['model_type'] in MODEL_REGISTRY
    for key in ('network_g', 'network_d'):
        if key in opt:
            assert opt[key]['type'] in ARCH_REGISTRY
    for key, value in opt.get('train', {}).items():
        if key.endswith('_opt') and key != 'mask_opt':  # mask_opt configures Eq. 5, not a loss
            assert value['type'] in LOSS_REGISTRY, key
    for metric in (opt.get('val') or {}).get('metrics', {}).values():
        assert metric['type'] in METRIC_REGISTRY


def test_paper_recipe_yaml_trains_a_step_with_every_loss_term(skimage_pairs, tmp_path, monkeypatch):
    """options/train_BebyGAN_x4.yml as shipped (full RRDB, 192 crops, U-Net D, perceptual loss) for one step.

    ImageNet VGG19 weights cannot be downloaded here: BasicSR builds a RANDOMLY initialised VGG19, only so that the
    perceptual term is built and wired; its value means nothing perceptually.
    """
    monkeypatch.chdir(tmp_path)
    vgg_built = use_random_vgg19(monkeypatch)

    opt = yaml.safe_load((OPTIONS / 'train_BebyGAN_x4.yml').read_text())
    opt.update(num_gpu=0, is_train=True, dist=False, rank=0, world_size=1)
    opt['path'] = {'pretrain_network_g': None, 'models': str(tmp_path), 'training_states': str(tmp_path)}
    train_set = dict(opt['datasets']['train'], dataroot_gt=str(skimage_pairs / 'train/HR'), phase='train',
                     dataroot_lq=str(skimage_pairs / 'train/LR_x4'), io_backend={'type': 'disk'}, scale=4)
    sample = build_dataset(train_set)[0]
    assert sample['gt'].shape == (3, 192, 192) and sample['lq'].shape == (3, 48, 48)

    torch.manual_seed(0)
    model = build_model(opt)
    model.feed_data({'lq': sample['lq'][None], 'gt': sample['gt'][None]})
    model.optimize_parameters(1)
    logged = model.get_current_log()
    assert len(vgg_built) == 1  # the perceptual term's VGG19
    for term in ('l_g_bb', 'l_g_bp', 'l_g_percep', 'l_g_gan', 'l_d', 'mask_ratio'):
        assert term in logged and torch.isfinite(torch.tensor(logged[term])), term
    assert model.get_current_learning_rate()[0] == pytest.approx(1e-7 + (1e-4 - 1e-7) * 0.1)  # first warm-up step


def test_set5_bicubic_anchor_through_the_test_pipeline(tmp_path):
    """The eval path (bebygan_plugin/test.py, Y channel, border 4) on Set5 reproduces the published bicubic x4."""
    opt = yaml.safe_load((OPTIONS / 'test_BebyGAN_x4.yml').read_text())
    opt['name'] = 'set5_bicubic'
    opt['num_gpu'] = 0
    opt['network_g'] = {'type': 'MatlabBicubicUpsampler', 'scale': 4}
    opt['path'] = {'pretrain_network_g': None}
    set5 = dict(opt['datasets']['test_1'], name='Set5', dataroot_gt=str(SET5 / 'HR'),
                dataroot_lq=str(SET5 / 'LR_bicubic' / 'X4'))  # the shipped YAML's layout and filename_tmpl
    opt['datasets'] = {'test_1': set5}
    del opt['val']['metrics']['lpips']  # needs ImageNet VGG16 weights
    result = run_training(opt, tmp_path, entry=(str(REPO_ROOT / 'bebygan_plugin' / 'test.py'),))
    log = result.stdout + result.stderr
    psnr = float(re.search(r'# psnr: ([0-9.]+)', log).group(1))
    ssim = float(re.search(r'# ssim: ([0-9.]+)', log).group(1))
    assert psnr == pytest.approx(28.4, abs=0.1)
    assert ssim == pytest.approx(0.81, abs=0.005)
    assert len(list((tmp_path / 'results' / 'set5_bicubic' / 'visualization' / 'Set5').glob('*.png'))) == 5
