"""The console scripts end to end on real photos and tiny RRDBs: bebygan-infer (batches, bad inputs, kills),
bebygan-convert, bebygan-interpolate (Beby-GAN-PI), bebygan-export (ONNX parity), and spandrel loading ours."""
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from bebygan_plugin.inference import load_generator, read_image, upscale, write_image
from bebygan_plugin.inference.cli import convert_main, export_main, infer_main, interpolate_main
from tests.helpers.inference import (SimpleSRRRDBNet, assert_same_image, copy_parameters, forward_uint8, photo,
                                     random_rrdbnet, state_dict)
from devtools.paths import REPO_ROOT



def save_basicsr(net, path, ema=None):
    obj = {'params': state_dict(net)}
    if ema is not None:
        obj['params_ema'] = state_dict(ema)
    torch.save(obj, path)
    return str(path)


def run_cli(main, argv):
    """``main(argv)``; returns its exit status (0 when it returns normally)."""
    try:
        main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    net = random_rrdbnet(8, 1, 4)
    return net, save_basicsr(net, tmp_path_factory.mktemp('model') / 'net_g.pth')


def write_inputs(folder: Path):
    folder.mkdir()
    rgb = photo(24, 30)
    write_image(folder / 'photo.png', rgb)
    write_image(folder / 'photo_jpeg.jpg', photo(17, 23, name='astronaut'))
    write_image(folder / 'deep.png', rgb.astype(np.uint16) * 257)
    write_image(folder / 'gray.png', rgb[..., 0])
    write_image(folder / 'alpha.png', np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)]))
    (folder / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 40)
    (folder / 'notes.txt').write_text('not an image')
    return rgb


def test_infer_batch_with_a_corrupt_input(tmp_path, tiny_model, capsys):
    net, model = tiny_model
    rgb = write_inputs(tmp_path / 'in')
    out = tmp_path / 'out'
    code = run_cli(infer_main, ['-i', tmp_path / 'in', '-o', out, '-m', model, '--tile', 16, '--tile-pad', 19])
    report = capsys.readouterr().out
    assert code == 1
    assert '5 written, 0 skipped (already there), 1 failed' in report and 'corrupt.png' in report
    assert sorted(p.name for p in out.iterdir()) == ['alpha.png', 'deep.png', 'gray.png', 'photo.png',
                                                    'photo_jpeg.jpg']
    expected = forward_uint8(net, rgb)
    assert np.abs(read_image(out / 'photo.png').astype(int) - expected).max() <= 1
    deep = read_image(out / 'deep.png')
    assert deep.dtype == np.uint16 and np.abs(deep.astype(int) - expected.astype(int) * 257).max() <= 257
    assert read_image(out / 'gray.png').shape == (96, 120)
    alpha = read_image(out / 'alpha.png')
    assert alpha.shape == (96, 120, 4) and (alpha[..., 3] == 128).all()
    assert read_image(out / 'photo_jpeg.jpg').shape == (68, 92, 3)

    code = run_cli(infer_main, ['-i', tmp_path / 'in' / 'photo.png', tmp_path / 'in' / 'gray.png', '-o', out,
                                '-m', model, '--skip-existing', '--suffix', ''])
    assert code == 0 and '0 written, 2 skipped' in capsys.readouterr().out


def test_infer_refuses_before_any_work(tmp_path, tiny_model, capsys):
    _, model = tiny_model
    write_inputs(tmp_path / 'in')
    cases = [
        (['-i', tmp_path / 'in' / 'photo.png', '-o', tmp_path / 'in', '-m', model], 'would overwrite the input'),
        (['-i', tmp_path / 'in' / 'photo.png', '-o', tmp_path / 'o', '-m', tmp_path / 'none.pth'], 'does not exist'),
        (['-i', tmp_path / 'nothing*.png', '-o', tmp_path / 'o', '-m', model], 'matches no image file'),
        (['-i', tmp_path / 'in' / 'notes.txt', '-o', tmp_path / 'o', '-m', model], 'is not an image file'),
        (['-i', tmp_path / 'in' / 'photo.png', '-o', tmp_path / 'o', '-m', model, '--precision', 'fp16',
          '--device', 'cpu'], 'fp16 runs on CUDA only'),
    ]
    for argv, message in cases:
        assert run_cli(infer_main, argv) == 2
        err = capsys.readouterr().err
        assert message in err, err
    assert not (tmp_path / 'o').exists()
    assert sorted(p.name for p in (tmp_path / 'in').iterdir()) == sorted(
        ['alpha.png', 'corrupt.png', 'deep.png', 'gray.png', 'notes.txt', 'photo.png', 'photo_jpeg.jpg'])


def test_infer_globs_suffix_and_format(tmp_path, tiny_model):
    _, model = tiny_model
    write_inputs(tmp_path / 'in')
    code = run_cli(infer_main, ['-i', str(tmp_path / 'in' / 'photo*'), '-o', tmp_path / 'o', '-m', model,
                                '--suffix', '_x4', '--ext', 'webp', '--tile', 0])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / 'o').iterdir()) == ['photo_jpeg_x4.webp', 'photo_x4.webp']


def test_a_run_killed_mid_write_leaves_no_partial_image(tmp_path, tiny_model):
    """The process is killed (SIGKILL) while the second image is being written: the first image is complete, the
    second does not exist under its name, and the next run cleans up and finishes."""
    _, model = tiny_model
    folder = tmp_path / 'in'
    folder.mkdir()
    for i in range(3):
        write_image(folder / f'img{i}.png', photo(20, 24 + i))
    script = textwrap.dedent(f'''
        import os, signal
        from bebygan_plugin.files import atomic
        from bebygan_plugin.inference.cli import infer_main
        calls = []
        def dying_fsync(fd):
            calls.append(fd)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        atomic._fsync = dying_fsync
        infer_main(['-i', {str(folder)!r}, '-o', {str(tmp_path / 'out')!r}, '-m', {model!r}])
    ''')
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    killed = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    names = sorted(p.name for p in (tmp_path / 'out').iterdir())
    assert names[-1] == 'img0.png' and all(n.startswith('.img1.png.tmp-') for n in names[:-1]), names
    assert read_image(tmp_path / 'out' / 'img0.png').shape == (80, 96, 3)
    assert run_cli(infer_main, ['-i', folder, '-o', tmp_path / 'out', '-m', model, '--skip-existing']) == 0
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['img0.png', 'img1.png', 'img2.png']


# ---------------------------------------------------------------------------------------------------- convert
def test_convert_the_authors_layout_for_fine_tuning(tmp_path, capsys):
    from bebygan_plugin.preflight.weight_files import check_pretrained_networks

    basicsr_net = random_rrdbnet(8, 2, 4, seed=3)
    authors = copy_parameters(basicsr_net, SimpleSRRRDBNet(8, 2, 4))
    torch.save(state_dict(authors), tmp_path / 'RRDB_warmup.pth')
    assert run_cli(convert_main, [tmp_path / 'RRDB_warmup.pth', '-o', tmp_path / 'warmup_basicsr.pth']) == 0
    assert 'num_feat 8, num_block 2, num_grow_ch 4' in capsys.readouterr().out
    converted = torch.load(tmp_path / 'warmup_basicsr.pth', weights_only=True)
    assert list(converted) == ['params']
    from basicsr.archs.rrdbnet_arch import RRDBNet

    plain = RRDBNet(3, 3, num_feat=8, num_block=2, num_grow_ch=4).eval()
    plain.load_state_dict(converted['params'], strict=True)  # BasicSR's own class, BasicSR's keys
    image = photo(16, 20)
    np.testing.assert_array_equal(forward_uint8(plain, image), forward_uint8(authors, image))

    # as path.pretrain_network_g of the training recipe (network_g shrunk to the tiny generator)
    with open(REPO_ROOT / 'options' / 'train_BebyGAN_x4.yml', encoding='utf-8') as f:
        opt = yaml.safe_load(f)
    opt['network_g'].update(num_feat=8, num_block=2, num_grow_ch=4)
    opt['path']['pretrain_network_g'] = str(tmp_path / 'warmup_basicsr.pth')
    assert check_pretrained_networks(opt, str(tmp_path)) == []
    opt['network_g']['num_grow_ch'] = 32
    assert 'does not fit network_g' in str(check_pretrained_networks(opt, str(tmp_path)))

    assert run_cli(convert_main, [tmp_path / 'warmup_basicsr.pth', '-o', tmp_path / 'warmup_basicsr.pth']) == 2


# ------------------------------------------------------------------------------------------------ interpolate
def test_interpolation_endpoints_midpoint_and_mismatch(tmp_path, capsys):
    psnr, psnr_ema = random_rrdbnet(8, 1, 4, seed=4), random_rrdbnet(8, 1, 4, seed=5)
    gan, gan_ema = random_rrdbnet(8, 1, 4, seed=6), random_rrdbnet(8, 1, 4, seed=7)
    save_basicsr(psnr, tmp_path / 'psnr.pth', psnr_ema)
    authors_gan = {k: v for k, v in state_dict(copy_parameters(gan_ema, SimpleSRRRDBNet(8, 1, 4))).items()}
    save_basicsr(gan, tmp_path / 'gan.pth', gan_ema)
    torch.save(authors_gan, tmp_path / 'gan_authors.pth')

    def interpolate(alpha, gan_file='gan.pth'):
        out = tmp_path / f'pi_{alpha}_{gan_file}'
        assert run_cli(interpolate_main, [tmp_path / 'psnr.pth', tmp_path / gan_file, '--alpha', alpha,
                                          '-o', out]) == 0
        return torch.load(out, weights_only=True)

    zero, one, half = interpolate(0), interpolate(1), interpolate(0.5)
    for key, psnr_net, gan_net in (('params', psnr, gan), ('params_ema', psnr_ema, gan_ema)):
        for name, p in psnr_net.state_dict().items():
            g = gan_net.state_dict()[name]
            assert torch.equal(zero[key][name], p) and torch.equal(one[key][name], g)
            assert torch.allclose(half[key][name], (p.double() + g.double()).div(2).float(), atol=1e-7)
    # the authors' layout (one set of weights) pairs with each group of a BasicSR file
    mixed = interpolate(0.8, 'gan_authors.pth')
    assert sorted(mixed) == ['params', 'params_ema']
    for key, psnr_net in (('params', psnr), ('params_ema', psnr_ema)):
        for name, p in psnr_net.state_dict().items():
            expected = 0.2 * p.double() + 0.8 * gan_ema.state_dict()[name].double()
            assert torch.allclose(mixed[key][name].double(), expected, atol=1e-6)

    save_basicsr(random_rrdbnet(8, 2, 4), tmp_path / 'deeper.pth')
    capsys.readouterr()
    code = run_cli(interpolate_main, [tmp_path / 'psnr.pth', tmp_path / 'deeper.pth', '--alpha', 0.5,
                                      '-o', tmp_path / 'never.pth'])
    assert code == 2 and 'different architecture' in capsys.readouterr().err
    assert run_cli(interpolate_main, [tmp_path / 'psnr.pth', tmp_path / 'gan.pth', '--alpha', 1.5,
                                      '-o', tmp_path / 'never.pth']) == 2
    assert not (tmp_path / 'never.pth').exists()


def test_beby_gan_pi_option_file_is_valid():
    from bebygan_plugin.inference.generators import option_file_problems
    from bebygan_plugin.files.option_files import load_option_file

    opt, problems = load_option_file(str(REPO_ROOT / 'options' / 'test_BebyGAN-PI_x4.yml'))
    assert problems == [] and option_file_problems(opt) == []
    assert opt['path']['pretrain_network_g'].endswith('BebyGAN-PI_x4_alpha0.8.pth')


# ----------------------------------------------------------------------------------------------------- export
@pytest.mark.parametrize('fp16', [False, True])
def test_onnx_export_parity(tmp_path, tiny_model, capsys, fp16):
    onnxruntime = pytest.importorskip('onnxruntime')
    net, model = tiny_model
    out = tmp_path / 'model.onnx'
    code = run_cli(export_main, ['-m', model, '-o', out] + (['--fp16'] if fp16 else []))
    assert code == 0 and out.is_file()
    assert 'max difference' in capsys.readouterr().out
    session = onnxruntime.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    batch = np.stack([photo(19, 27), photo(19, 27, name='astronaut')]).transpose(0, 3, 1, 2) / 255.0
    got = session.run(None, {'input': batch.astype(np.float16 if fp16 else np.float32)})[0]
    with torch.no_grad():
        expected = net(torch.from_numpy(batch).float()).numpy()
    assert got.shape == (2, 3, 76, 108)  # dynamic batch, height and width
    assert np.abs(got.astype(np.float32) - expected).max() <= (1e-2 if fp16 else 1e-4)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')]


def test_onnx_export_failing_parity_leaves_no_file(tmp_path, tiny_model, monkeypatch):
    pytest.importorskip('onnxruntime')
    from bebygan_plugin.inference import export

    monkeypatch.setattr(export, 'FP32_TOLERANCE', 0.0)  # no export is that exact: the check must refuse it
    _, model = tiny_model
    assert run_cli(export_main, ['-m', model, '-o', tmp_path / 'model.onnx']) == 1
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------- spandrel
def test_our_checkpoints_load_in_spandrel(tmp_path):
    spandrel = pytest.importorskip('spandrel')
    from bebygan_plugin.inference.spandrel_support import register

    image = photo(16, 20)
    standard = random_rrdbnet(8, 1, 32, seed=8)
    path = save_basicsr(random_rrdbnet(8, 1, 32, seed=9), tmp_path / 'g32.pth', ema=standard)
    descriptor = spandrel.ModelLoader().load_from_file(path)  # stock spandrel: its ESRGAN, growth 32
    assert descriptor.scale == 4
    assert_same_image(forward_uint8(descriptor.model.eval(), image), forward_uint8(standard, image))
    assert_same_image(upscale(load_generator(path), image), forward_uint8(standard, image))

    demo_shape = random_rrdbnet(8, 1, 16, seed=10)  # the demo's growth channels: spandrel's ESRGAN assumes 32
    path16 = save_basicsr(demo_shape, tmp_path / 'g16.pth')
    registry = spandrel.ArchRegistry()
    registry.add(*spandrel.MAIN_REGISTRY)
    assert register(registry)
    descriptor16 = spandrel.ModelLoader(registry=registry).load_from_file(path16)
    assert descriptor16.architecture.id == 'BasicSR-RRDBNet-any-growth' and descriptor16.scale == 4
    assert_same_image(forward_uint8(descriptor16.model.eval(), image), forward_uint8(demo_shape, image))
