"""Fail fast: bad input is reported before iteration 1, naming the culprit and the fix, and nothing is created.

Every case runs ``bebygan_plugin.train.main()`` (the ``bebygan-train`` entry point) in a fresh working directory
with one defect in an otherwise valid CPU-sized BebyGANModel setup on real Set5 crops, and checks: exit status 2,
the message names the culprit (option key or file) and says what to do, and no ``experiments/`` or
``tb_logger/`` folder exists afterwards. Weight files are looked up in a tmp ``TORCH_HOME`` with downloads off
(``BEBYGAN_OFFLINE=1``); where a test needs a loadable weight file it writes a zero-filled placeholder with the
torchvision architecture's keys and shapes: not real ImageNet weights, only a file the checks and BasicSR accept.
"""
import copy
import os
import shutil
import subprocess
import sys
from os import path as osp

import pytest
import torch
import yaml

from tests.helpers import training_runs as support
from tests.helpers.cli import console_exit
from devtools.paths import DIST_VARS
from devtools.recipe import set5_recipe, set_option, tiny_recipe


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('preflight_data')
    support.make_pairs(str(root / 'train'), support.CROP_NAMES[:8])
    support.make_pairs(str(root / 'val'), support.CROP_NAMES[8:10])
    return root


def valid_options(data) -> dict:
    return set5_recipe('preflight', str(data / 'train'), str(data / 'val'), batch=2)


def run_main(opt_path, *extra, monkeypatch, capsys):
    """``bebygan-train -opt opt_path *extra`` in process; returns (exit status, stderr)."""
    from bebygan_plugin import train

    return console_exit(train.main, '-opt', opt_path, *extra, monkeypatch=monkeypatch), capsys.readouterr().err


def placeholder_weights(arch: str, path: str) -> str:
    """A zero-filled state dict with torchvision ``arch``'s keys and shapes (NOT trained weights)."""
    import torchvision

    with torch.device('meta'):
        shapes = {k: v.shape for k, v in getattr(torchvision.models, arch)(weights=None).state_dict().items()}
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({k: torch.zeros(s) for k, s in shapes.items()}, path)
    return path


# ------------------------------------------------------------------------------------------- the bad inputs
_set, _rename = set_option, support.rename_option


def _lmdb_without_meta(opt, ctx):
    for key in ('dataroot_gt', 'dataroot_lq'):
        folder = ctx['work'] / f'{key}.lmdb'
        folder.mkdir()
        (folder / 'data.mdb').write_bytes(b'')
        opt['datasets']['train'][key] = str(folder)
    opt['datasets']['train']['io_backend'] = {'type': 'lmdb'}


def _wrong_pretrain(opt, ctx):
    net = tiny_recipe('x')['network_g']
    net['num_feat'] = 16  # saved by a run with another width
    from basicsr.archs.rrdbnet_arch import RRDBNet

    path = ctx['work'].parent / 'other_run' / 'net_g_1000.pth'
    path.parent.mkdir()
    torch.save({'params': RRDBNet(3, 3, num_feat=16, num_block=1, num_grow_ch=8).state_dict()}, path)
    opt['path']['pretrain_network_g'] = str(path)


def _corrupt_vgg(opt, ctx):
    opt['train']['perceptual_opt'] = {'type': 'PerceptualLoss', 'layer_weights': {'conv5_4': 1.0},
                                      'vgg_type': 'vgg19'}
    path = ctx['torch_home'] / 'hub' / 'checkpoints' / 'vgg19-dcbb9e9d.pth'
    path.parent.mkdir(parents=True)
    path.write_bytes(b'<html>proxy login page</html>')


def _copied_set(opt, ctx, phase):
    """Copy ``datasets.<phase>``'s folders into the work dir (the module's data stay intact); returns (hr, lr)."""
    copies = []
    for key in ('dataroot_gt', 'dataroot_lq'):
        copy = ctx['work'] / phase / key
        shutil.copytree(opt['datasets'][phase][key], copy)
        opt['datasets'][phase][key] = str(copy)
        copies.append(copy)
    return copies


def _truncated_training_image(opt, ctx):
    hr, _ = _copied_set(opt, ctx, 'train')
    support.truncate(hr / 'baby_1.png')


def _truncated_validation_image(opt, ctx):
    _, lr = _copied_set(opt, ctx, 'val')
    support.truncate(lr / 'woman_2.png')


def _corrupt_lmdb_entry(opt, ctx):
    train = opt['datasets']['train']
    for key in ('dataroot_gt', 'dataroot_lq'):
        train[key] = support.write_lmdb(str(ctx['work'] / f'{key}.lmdb'), train[key])
    support.corrupt_lmdb_value(train['dataroot_gt'], 'bird_2')
    train['io_backend'] = {'type': 'lmdb'}


def _pyiqa_metric_without_pyiqa(opt, ctx):
    ctx['monkeypatch'].setitem(sys.modules, 'pyiqa', None)  # as if not installed: importlib finds no spec
    opt['val']['metrics']['pi'] = {'type': 'calculate_pyiqa', 'metric_name': 'pi', 'crop_border': 4, 'better': 'lower'}


def _scale2_everywhere(opt, ctx):
    opt['scale'] = 2
    opt['network_g']['scale'] = 2
    opt['train']['bp_opt']['scale'] = 2


# (id, mutate(opt, ctx), extra argv, extra env, substrings the message must contain)
CASES = [
    ('typo in a train section', lambda o, c: _rename(o, 'train.pixel_opt', 'pixle_opt'), [], {},
     ["train: unknown key 'pixle_opt'; did you mean 'pixel_opt'?"]),
    ('typo in a loss argument', lambda o, c: _rename(o, 'train.pixel_opt.loss_weight', 'loss_wieght'), [], {},
     ["train.pixel_opt: unknown key 'loss_wieght'; did you mean 'loss_weight'?"]),
    ('typo at the top level', lambda o, c: _rename(o, 'manual_seed', 'manual_sed'), [], {},
     ["top level: unknown key 'manual_sed'; did you mean 'manual_seed'?"]),
    ('typo in mask_opt', lambda o, c: _rename(o, 'train.mask_opt.threshold', 'treshold'), [], {},
     ["train.mask_opt: unknown key 'treshold'; did you mean 'threshold'?"]),
    ('typo in a network argument', lambda o, c: _rename(o, 'network_g.num_block', 'num_blocks'), [], {},
     ["network_g: unknown key 'num_blocks'; did you mean 'num_block'?"]),
    ('typo in a metric argument', lambda o, c: _rename(o, 'val.metrics.psnr.test_y_channel', 'test_y_chanel'), [], {},
     ["val.metrics.psnr: unknown key 'test_y_chanel'; did you mean 'test_y_channel'?"]),
    ('typo in --force_yml', lambda o, c: None, ['--force_yml', 'train:total_itr=5'], {},
     ["train: unknown key 'total_itr'; did you mean 'total_iter'?"]),
    ('misspelled network type', lambda o, c: _set(o, 'network_g.type', 'RRDBNett'), [], {},
     ["network_g.type: unknown network type 'RRDBNett'; did you mean 'RRDBNet'?"]),
    ('misspelled model type', lambda o, c: _set(o, 'model_type', 'BebyGanModel'), [], {},
     ["model_type: unknown model type 'BebyGanModel'; did you mean 'BebyGANModel'?", '1 problem(s)']),
    ('non-relativistic GAN loss', lambda o, c: _set(o, 'train.gan_opt', {'type': 'GANLoss', 'gan_type': 'vanilla'}),
     [], {}, ['train.gan_opt.type', 'needs RelativisticAverageGANLoss']),
    ('bad mask source', lambda o, c: _set(o, 'train.mask_opt.source', 'hr'), [], {},
     ['train.mask_opt.source', "('gt', 'lq_bicubic')", "'hr'"]),
    ('even texture-mask window', lambda o, c: _set(o, 'train.mask_opt.kernel_size', 10), [], {},
     ['train.mask_opt.kernel_size', 'positive odd integer', 'got 10']),
    ('texture-mask luma weights not three numbers', lambda o, c: _set(o, 'train.mask_opt.luma_weights', [0.3, 0.6]),
     [], {}, ['train.mask_opt.luma_weights', 'must be three numbers', '[0.3, 0.6]']),
    ('texture-mask unbiased_std not a boolean', lambda o, c: _set(o, 'train.mask_opt.unbiased_std', 'yes'), [], {},
     ["train.mask_opt.unbiased_std: must be true or false, got 'yes'"]),
    ('texture-mask clamp_source not a boolean', lambda o, c: _set(o, 'train.mask_opt.clamp_source', 0), [], {},
     ['train.mask_opt.clamp_source: must be true or false, got 0']),
    ('best-buddy pyramid resize unknown', lambda o, c: _set(o, 'train.pixel_opt.pyramid_resize', 'bilinear'), [],
     {}, ['train.pixel_opt: BestBuddyLoss rejects these options', "('matlab', 'torch_bicubic')", "'bilinear'"]),
    ('best-buddy stride larger than the patch', lambda o, c: _set(o, 'train.pixel_opt.stride', 4), [], {},
     ['train.pixel_opt: BestBuddyLoss rejects these options', 'stride 4 > patch_size 3']),
    ('RaGAN term reduction unknown', lambda o, c: _set(o, 'train.gan_opt.term_reduction', 'avg'), [], {},
     ['train.gan_opt: RelativisticAverageGANLoss rejects these options', "('sum', 'mean')", "'avg'"]),
    ('warm-up start ratio above 1', lambda o, c: _set(o, 'train.scheduler.warmup_start_ratio', 2), [], {},
     ['train.scheduler: WarmupCosineRestartLR rejects these options', 'warmup_start_ratio must be in [0, 1]']),
    ('VGG-style D stages do not divide the crop', lambda o, c: _set(o, 'network_d', {
        'type': 'MaskedVGGStyleDiscriminator', 'num_feat': 4, 'input_size': 32, 'num_stages': 6}), [], {},
     ['network_d: MaskedVGGStyleDiscriminator rejects these options', 'divisible by 64', 'got 32']),
    ('bad AMP dtype', lambda o, c: _set(o, 'train.amp', {'enabled': True, 'dtype': 'fp8'}), [], {},
     ['train.amp.dtype', "('bf16', 'fp16')", "'fp8'"]),
    ('typo in the scheduler', lambda o, c: _rename(o, 'train.scheduler.periods', 'period'), [], {},
     ["train.scheduler: unknown key 'period'; did you mean 'periods'?"]),
    ('scheduler values it rejects', lambda o, c: _set(o, 'train.scheduler.warmup_iter', 5000), [], {},
     ['train.scheduler: WarmupCosineRestartLR rejects these options', 'warmup_iter']),
    ('unsupported optimizer', lambda o, c: _set(o, 'train.optim_d.type', 'SGD'), [], {},
     ['train.optim_d.type', "only supports 'Adam'"]),
    ('generator scale differs', lambda o, c: _set(o, 'network_g.scale', 2), [], {},
     ['network_g.scale: is 2 but scale is 4']),
    ('back-projection scale differs', lambda o, c: _set(o, 'train.bp_opt.scale', 3), [], {},
     ['train.bp_opt.scale: is 3 but scale is 4']),
    ('data are not at the options\' scale', _scale2_everywhere, [], {},
     ['datasets.train', 'is 32x32 and its LQ is 8x8: not x2']),
    ('GT folder missing', lambda o, c: _set(o, 'datasets.train.dataroot_gt', '/nonexistent/DF2K/HR'), [], {},
     ["datasets.train.dataroot_gt: folder '/nonexistent/DF2K/HR' does not exist"]),
    ('LQ names do not follow filename_tmpl', lambda o, c: _set(o, 'datasets.val.filename_tmpl', '{}x4'), [], {},
     ['datasets.val.filename_tmpl', "'woman_1x4.png'", 'is not in', "set filename_tmpl: '{}'"]),
    ('LMDB without meta_info.txt', _lmdb_without_meta, [], {},
     ['datasets.train.dataroot_gt', 'has no meta_info.txt']),
    ('LMDB backend on a plain folder', lambda o, c: _set(o, 'datasets.train.io_backend', {'type': 'lmdb'}), [], {},
     ['datasets.train.dataroot_gt', 'must be an .lmdb folder']),
    ('meta info file missing', lambda o, c: _set(o, 'datasets.train.meta_info_file', 'meta/train_list.txt'), [], {},
     ["datasets.train.meta_info_file: 'meta/train_list.txt' does not exist"]),
    ('crop not fit for the U-Net discriminator', lambda o, c: _set(o, 'datasets.train.gt_size', 20), [], {},
     ['datasets.train.gt_size: 20 is not a multiple of 8', 'MaskedUNetDiscriminator']),
    ('crop larger than the images', lambda o, c: _set(o, 'datasets.train.gt_size', 64), [], {},
     ['datasets.train.gt_size: 64 is larger than the image']),
    ('batch larger than the data set', lambda o, c: _set(o, 'datasets.train.batch_size_per_gpu', 16), [], {},
     ['datasets.train.batch_size_per_gpu: 16 is more than the 8 images']),
    ('unknown dataset phase', lambda o, c: _rename(o, 'datasets.val', 'valid'), [], {},
     ["datasets.valid: unknown phase 'valid'"]),
    ('total_iter missing', lambda o, c: o['train'].pop('total_iter'), [], {},
     ['train.total_iter: must be a positive number']),
    ('VGG weights absent offline', lambda o, c: _set(o, 'train.perceptual_opt', {
        'type': 'PerceptualLoss', 'layer_weights': {'conv3_4': 0.125, 'conv4_4': 0.25, 'conv5_4': 0.5},
        'vgg_type': 'vgg19'}), [], {},
     ['train.perceptual_opt', 'vgg19-dcbb9e9d.pth', 'experiments/pretrained_models/vgg19-dcbb9e9d.pth',
      'hub/checkpoints/vgg19-dcbb9e9d.pth', 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth']),
    ('VGG weights file corrupt', _corrupt_vgg, [], {},
     ['train.perceptual_opt', 'vgg19-dcbb9e9d.pth cannot be loaded', 'not a complete PyTorch weight file',
      'replace it with the original vgg19-dcbb9e9d.pth']),
    ('LPIPS weights absent offline', lambda o, c: _set(o, 'val.metrics.lpips', {
        'type': 'calculate_lpips', 'crop_border': 4, 'net': 'vgg', 'better': 'lower'}), [], {},
     ['val.metrics.lpips', 'LPIPS-vgg', 'vgg16-397923af.pth', 'hub/checkpoints/vgg16-397923af.pth']),
    ('pretrained generator missing', lambda o, c: _set(o, 'path.pretrain_network_g', 'experiments/psnr/net_g.pth'),
     [], {}, ["path.pretrain_network_g: 'experiments/psnr/net_g.pth' does not exist"]),
    ('pretrained generator of another width', _wrong_pretrain, [], {},
     ['path.pretrain_network_g', 'does not fit network_g', 'shapes differ']),
    ('resume state missing', lambda o, c: _set(o, 'path.resume_state', 'experiments/x/training_states/5.state'),
     [], {}, ["path.resume_state: 'experiments/x/training_states/5.state' does not exist"]),
    ('--launcher pytorch without torchrun', lambda o, c: None, ['--launcher', 'pytorch'], {},
     ['--launcher pytorch', 'torch.distributed.run --nproc_per_node=N']),
    ('torchrun without --launcher pytorch', lambda o, c: None, [], {'WORLD_SIZE': '2'},
     ['--launcher', 'WORLD_SIZE=2', 'add --launcher pytorch']),
    ('NCCL for a CPU run', lambda o, c: _set(o, 'dist_params', {'backend': 'nccl'}), ['--launcher', 'pytorch'],
     {'RANK': '0', 'WORLD_SIZE': '1', 'MASTER_ADDR': '127.0.0.1', 'MASTER_PORT': '29999'},
     ['dist_params.backend: nccl needs CUDA GPUs', 'use gloo']),
    ('unknown distributed backend', lambda o, c: _set(o, 'dist_params', {'backend': 'glo'}),
     ['--launcher', 'pytorch'], {'RANK': '0', 'WORLD_SIZE': '1', 'MASTER_ADDR': '127.0.0.1', 'MASTER_PORT': '29999'},
     ["dist_params.backend: must be one of ('nccl', 'gloo', 'mpi'), got 'glo'"]),
    ('nonfinite limit not positive', lambda o, c: _set(o, 'train.max_consecutive_nonfinite', 0), [], {},
     ['train.max_consecutive_nonfinite: must be an integer >= 1, got 0']),
    ('pyiqa metric without pyiqa', _pyiqa_metric_without_pyiqa, [], {},
     ['val.metrics.pi: calculate_pyiqa needs pyiqa', 'pip install']),
    ('truncated training image (header intact)', _truncated_training_image, [], {},
     ['datasets.train.dataroot_gt', "baby_1.png' cannot be decoded", 'replace or delete',
      'datasets.train.skip_corrupt_images: true']),
    ('truncated validation image', _truncated_validation_image, [], {},
     ['datasets.val.dataroot_lq', "woman_2.png' cannot be decoded", 'replace or delete']),
    ('corrupt entry in an LMDB', _corrupt_lmdb_entry, [], {},
     ['datasets.train.dataroot_gt', "key 'bird_2' cannot be decoded", 're-create the LMDB with bebygan-prepare']),
    ('skip_corrupt_images on a validation set', lambda o, c: _set(o, 'datasets.val.skip_corrupt_images', True),
     [], {}, ['datasets.val.skip_corrupt_images: only applies to the training set']),
    ('skip_corrupt_images not a boolean', lambda o, c: _set(o, 'datasets.train.skip_corrupt_images', 'yes'), [], {},
     ["datasets.train.skip_corrupt_images: must be true or false, got 'yes'"]),
    ('channels_last not a boolean', lambda o, c: _set(o, 'train.channels_last', 'yes'), [], {},
     ["train.channels_last: must be true or false, got 'yes'"]),
    ('typo in train.compile', lambda o, c: _set(o, 'train.compile', {'mdoe': 'max-autotune'}), [], {},
     ["train.compile: unknown key 'mdoe'; did you mean 'mode'?"]),
    ('torch.compile mode it rejects', lambda o, c: _set(o, 'train.compile', {'mode': 'fastest'}), [], {},
     ['train.compile: torch.compile rejects these options', 'fastest', 'max-autotune']),
]
if not torch.cuda.is_available():
    CASES.append(('GPU requested on a CPU machine', lambda o, c: _set(o, 'num_gpu', 1), [], {},
                  ['num_gpu: is 1 but no CUDA GPU is visible; set num_gpu: 0']))


@pytest.mark.parametrize('mutate, extra, env, expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_before_anything_is_created(data, workdir, tmp_path, monkeypatch, capsys, mutate, extra,
                                                       env, expected):
    opt = valid_options(data)
    mutate(opt, {'work': workdir, 'torch_home': tmp_path / 'torch_home', 'monkeypatch': monkeypatch})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    opt_path = support.write_options(str(workdir / 'bad.yml'), opt)
    code, err = run_main(opt_path, *extra, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2
    assert 'nothing was created' in err
    for text in expected:
        assert text in err, f'{text!r} not in:\n{err}'
    assert not (workdir / 'experiments').exists() and not (workdir / 'tb_logger').exists()


def test_unreadable_option_files_are_named(workdir, monkeypatch, capsys):
    bad = workdir / 'broken.yml'
    bad.write_text('name: x\ntrain:\n  total_iter: [1, 2\n')
    code, err = run_main(bad, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and 'broken.yml line' in err and 'is not valid YAML' in err
    code, err = run_main(workdir / 'nope.yml', monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "option file" in err and 'nope.yml' in err and 'does not exist' in err
    assert not (workdir / 'experiments').exists()


def test_all_problems_are_reported_at_once(data, workdir, monkeypatch, capsys):
    opt = valid_options(data)
    _rename(opt, 'train.pixel_opt.alpha', 'alfa')
    _set(opt, 'datasets.val.dataroot_lq', str(workdir / 'missing_lr'))
    _set(opt, 'network_g.scale', 8)
    code, err = run_main(support.write_options(str(workdir / 'bad.yml'), opt), monkeypatch=monkeypatch,
                         capsys=capsys)
    assert code == 2 and '3 problem(s)' in err
    assert "did you mean 'alpha'" in err and 'missing_lr' in err and 'network_g.scale' in err


def test_skip_corrupt_images_lets_a_corrupt_training_image_through(data, workdir):
    from bebygan_plugin.preflight.training import run_preflight

    opt = valid_options(data)
    _truncated_training_image(opt, {'work': workdir})
    opt['datasets']['train']['skip_corrupt_images'] = True
    run_preflight(['-opt', support.write_options(str(workdir / 'skip.yml'), opt)], str(workdir))


def test_help_prints_the_usage_and_exits_0(workdir, monkeypatch, capsys):
    from bebygan_plugin import train

    monkeypatch.setattr(sys, 'argv', ['bebygan-train', '--help'])
    with pytest.raises(SystemExit) as exited:
        train.main()
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith('usage: bebygan-train') and '--auto_resume' in out and '--force_yml' in out
    assert not (workdir / 'experiments').exists()


def test_valid_options_pass(data, workdir):
    from bebygan_plugin.preflight.training import run_preflight

    opt_path = support.write_options(str(workdir / 'good.yml'), valid_options(data))
    assert run_preflight(['-opt', opt_path], str(workdir))['name'] == 'preflight'
    assert not (workdir / 'experiments').exists()


def test_placed_vgg_and_lpips_weights_are_accepted_and_basicsr_loads_them(data, workdir, tmp_path):
    """The files the messages ask for, placed where they say, satisfy the checks and BasicSR (zero placeholders)."""
    from bebygan_plugin.preflight.training import run_preflight

    placeholder_weights('vgg19', str(workdir / 'experiments' / 'pretrained_models' / 'vgg19-dcbb9e9d.pth'))
    placeholder_weights('squeezenet1_1', str(tmp_path / 'torch_home' / 'hub' / 'checkpoints' /
                                             'squeezenet1_1-b8a52dc0.pth'))
    opt = valid_options(data)
    opt['train']['perceptual_opt'] = {'type': 'PerceptualLoss', 'layer_weights': {'conv5_4': 1.0},
                                      'vgg_type': 'vgg19', 'perceptual_weight': 1.0, 'style_weight': 0}
    opt['val']['metrics']['lpips'] = {'type': 'calculate_lpips', 'crop_border': 4, 'net': 'squeeze',
                                      'better': 'lower'}
    opt_path = support.write_options(str(workdir / 'good.yml'), opt)
    run_preflight(['-opt', opt_path], str(workdir))
    from basicsr.losses import build_loss

    loss = build_loss(copy.deepcopy(opt['train']['perceptual_opt']))  # loads the placed file, no download
    assert loss.vgg.vgg_net[0].weight.abs().sum() == 0


def test_the_command_line_exits_2_with_the_message_and_creates_nothing(data, tmp_path):
    """The real ``python bebygan_plugin/train.py`` process: one subprocess, two defects."""
    opt = valid_options(data)
    _rename(opt, 'train.gan_opt.loss_weight', 'loss_weigth')
    _set(opt, 'datasets.train.dataroot_lq', str(tmp_path / 'no_such_lr'))
    opt_path = support.write_options(str(tmp_path / 'bad.yml'), opt)
    env = dict(os.environ, BEBYGAN_OFFLINE='1', TORCH_HOME=str(tmp_path / 'th'))
    for var in DIST_VARS:
        env.pop(var, None)
    proc = subprocess.run([sys.executable, support.TRAIN_SCRIPT, '-opt', opt_path], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "train.gan_opt: unknown key 'loss_weigth'; did you mean 'loss_weight'?" in proc.stderr
    assert 'datasets.train.dataroot_lq' in proc.stderr and 'no_such_lr' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'experiments').exists() and not (tmp_path / 'tb_logger').exists()


def test_the_lead_option_files_have_no_key_problems():
    """Shipped option files only fail on what is missing on this machine (data, weights), never on their keys."""
    from bebygan_plugin.schema import check_options

    files = [f for f in os.listdir(osp.join(support.REPO, 'options')) if f.startswith('train_')] \
        if osp.isdir(osp.join(support.REPO, 'options')) else []
    if not files:
        pytest.skip('no options/train_*.yml')
    for name in files:
        with open(osp.join(support.REPO, 'options', name), encoding='utf-8') as f:
            problems = check_options(yaml.safe_load(f))
        assert not problems, (name, [str(p) for p in problems])


def test_option_errors_and_the_weight_problems_of_the_same_sections_in_one_report(data, workdir, monkeypatch, capsys):
    """docs/training.md's example: an option error in a section does not hide that section's weight problems."""
    opt = valid_options(data)
    _rename(opt, 'train.pixel_opt.loss_weight', 'loss_wieght')
    _set(opt, 'train.perceptual_opt',
         {'type': 'PerceptualLoss', 'layer_weights': {'conv5_4': 1.0}, 'vgg_type': 'vgg19'})
    _set(opt, 'path.strict_lod_g', True)
    _set(opt, 'path.pretrain_network_g', 'experiments/psnr/net_g.pth')
    _set(opt, 'val.metrics.lpips', {'type': 'calculate_lpips', 'crop_border': 4, 'net': 'vgg', 'better': 'lower',
                                    'crop_boder': 4})
    code, err = run_main(support.write_options(str(workdir / 'bad.yml'), opt), monkeypatch=monkeypatch,
                         capsys=capsys)
    assert code == 2 and '6 problem(s)' in err, err
    for text in ("train.pixel_opt: unknown key 'loss_wieght'; did you mean 'loss_weight'?",
                 'train.perceptual_opt: PerceptualLoss needs the ImageNet weights vgg19-dcbb9e9d.pth',
                 "path: unknown key 'strict_lod_g'; did you mean 'strict_load_g'?",
                 "path.pretrain_network_g: 'experiments/psnr/net_g.pth' does not exist",
                 "val.metrics.lpips: unknown key 'crop_boder'; did you mean 'crop_border'?",
                 'val.metrics.lpips: LPIPS-vgg'):
        assert text in err, f'{text!r} not in:\n{err}'
    assert not (workdir / 'experiments').exists()


def test_the_fail_fast_example_of_docs_training_md_is_what_a_user_sees(tmp_path):
    """docs/training.md's report: the shipped recipe with one typo, from a folder without data or weights."""
    from devtools.paths import REPO_ROOT

    block = (REPO_ROOT / 'docs' / 'training.md').read_text().split('## Fail-fast checks')[1]
    block = block.split('```text\n')[1].split('```')[0]
    recipe = (REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml').read_text()
    assert recipe.count('    loss_weight: 0.1 ') == 1  # pixel_opt's
    (tmp_path / 'options').mkdir()
    (tmp_path / 'options' / 'train_BebyGAN_x4.yml').write_text(recipe.replace('    loss_weight: 0.1 ',
                                                                              '    loss_wieght: 0.1 '))
    env = dict(os.environ, BEBYGAN_OFFLINE='1', TORCH_HOME=str(tmp_path / 'th'), CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run([sys.executable, '-m', 'bebygan_plugin.train', '-opt', 'options/train_BebyGAN_x4.yml'],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    seen = proc.stderr.replace(str(tmp_path / 'th'), '~/.cache/torch').replace(str(tmp_path), '<cwd>')
    assert proc.returncode == 2 and seen == block
    assert not (tmp_path / 'experiments').exists()
