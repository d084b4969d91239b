"""The demo's stage 2 is the shipped recipe (options/train_BebyGAN_x4.yml) at demo size, not a recipe of its own, and
a wheel carries that YAML so that ``bebygan-demo`` finds it when installed from the wheel."""
import subprocess
import sys
import zipfile

import yaml

from bebygan_plugin import demo
from devtools.paths import REPO_ROOT

METHOD_KEYS = ('pixel_opt', 'bp_opt', 'gan_opt', 'mask_opt', 'optim_g', 'optim_d', 'amp', 'net_d_iters',
               'net_d_init_iters')


def _recipe() -> dict:
    return yaml.safe_load((REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml').read_text(encoding='utf-8'))


def test_stage_two_is_the_recipe_at_demo_size():
    recipe, stage = _recipe(), demo.bebygan_stage(40, 'demo_RRDB_PSNR_x4')
    assert stage['model_type'] == recipe['model_type']
    for key in METHOD_KEYS:
        assert stage['train'][key] == recipe['train'][key], key
    scheduler = dict(recipe['train']['scheduler'], periods=[40], restart_weights=[1], warmup_iter=4)
    assert stage['train']['scheduler'] == scheduler
    assert stage['train']['total_iter'] == 40 and 'perceptual_opt' not in stage['train']  # no VGG19 weights offline
    assert stage['network_d'] == dict(recipe['network_d'], num_feat=16)
    assert stage['path']['param_key_g'] == recipe['path']['param_key_g']
    assert stage['path']['pretrain_network_g'] == 'experiments/demo_RRDB_PSNR_x4/models/net_g_latest.pth'
    assert yaml.safe_load(yaml.safe_dump(stage)) == stage  # written as a plain YAML option file


def test_a_wheel_ships_the_recipe_and_the_installed_demo_reads_it(tmp_path):
    built = subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(REPO_ROOT), '--no-deps', '--no-build-isolation',
                            '-w', str(tmp_path / 'dist'), '-q'], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / 'dist').glob('bebygan_plugin-*.whl'))
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read('bebygan_plugin/recipes/train_BebyGAN_x4.yml')
        archive.extractall(tmp_path / 'site')
    assert shipped == (REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml').read_bytes()
    code = ('from bebygan_plugin import demo; print(demo.shipped_recipe_file()); '
            'print(demo.bebygan_stage(10, "s1")["train"]["pixel_opt"]["type"])')
    run = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={'PATH': '/usr/bin:/bin', 'PYTHONPATH': str(tmp_path / 'site'), 'HOME': str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines()[-2:] == [str(tmp_path / 'site' / 'bebygan_plugin' / 'recipes' /
                                                 'train_BebyGAN_x4.yml'), 'BestBuddyLoss']
