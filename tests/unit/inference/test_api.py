"""The inference API: every checkpoint layout gives the reference network's output; streaming tiles equal the whole
image; gray, RGBA, 16-bit, odd and tiny images; image files as stored; clear refusals before any image work."""
import numpy as np
import pytest
import torch
import yaml

from bebygan_plugin.files.images import BadImageError
from bebygan_plugin.inference import load_generator, read_image, rrdb_receptive_radius, upscale, write_image
from bebygan_plugin.ops.imresize import imresize_bicubic
from bebygan_plugin.problems import ProblemsFound
from tests.helpers.inference import (OldESRGAN, SimpleSRRRDBNet, assert_same_image, copy_parameters, forward_uint8,
                                     photo, random_rrdbnet, state_dict)

SHAPES = [(8, 2, 4), (12, 1, 16)]  # (num_feat, num_block, num_grow_ch): growth 16 is the demo's, not spandrel's 32


def save_layouts(tmp_path, num_feat, num_block, grow):
    """The same random weights saved in every layout: BasicSR (EMA and plain groups), the authors' Simple-SR raw
    dict (DataParallel prefixes), the original ESRGAN layout, and .safetensors of each."""
    from safetensors.torch import save_file

    ema = random_rrdbnet(num_feat, num_block, grow, seed=1)
    plain = random_rrdbnet(num_feat, num_block, grow, seed=2)
    authors = copy_parameters(ema, SimpleSRRRDBNet(num_feat, num_block, grow)).eval()
    esrgan = copy_parameters(ema, OldESRGAN(num_feat, num_block, grow)).eval()
    files = {
        'basicsr.pth': {'params': state_dict(plain), 'params_ema': state_dict(ema)},
        'authors.pth': {f'module.{k}': v for k, v in state_dict(authors).items()},
        'esrgan.pth': state_dict(esrgan),
    }
    for name, obj in files.items():
        torch.save(obj, tmp_path / name)
    save_file({f'params_ema.{k}': v for k, v in state_dict(ema).items()}, str(tmp_path / 'basicsr.safetensors'))
    save_file(state_dict(authors), str(tmp_path / 'authors.safetensors'))
    save_file(state_dict(esrgan), str(tmp_path / 'esrgan.safetensors'))
    return ema, {'basicsr': ema, 'authors': authors, 'esrgan': esrgan}


@pytest.mark.parametrize('shape', SHAPES)
def test_every_layout_gives_the_reference_output(tmp_path, shape):
    ema, references = save_layouts(tmp_path, *shape)
    image = photo(20, 26)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    expected = forward_uint8(ema, image)
    for name, reference in references.items():  # the reference networks agree with each other
        with torch.no_grad():
            assert torch.allclose(reference(x), ema(x), atol=1e-6), name
    outputs = []
    for file in sorted(tmp_path.iterdir()):
        net = load_generator(str(file))
        assert net.scale == 4 and net.in_channels == 3
        assert f'num_feat {shape[0]}, num_block {shape[1]}, num_grow_ch {shape[2]}' in net.description
        with torch.no_grad():
            assert torch.allclose(net(x), ema(x), atol=1e-6), file.name  # EMA weights preferred over params
        outputs.append(upscale(net, image))
        assert_same_image(outputs[-1], expected, file.name)
        np.testing.assert_array_equal(outputs[-1], outputs[0], err_msg=file.name)  # identical across layouts


def test_param_key_picks_the_group(tmp_path):
    save_layouts(tmp_path, 8, 1, 4)
    plain = random_rrdbnet(8, 1, 4, seed=2)
    net = load_generator(str(tmp_path / 'basicsr.pth'), param_key='params')
    image = photo(20, 24)
    assert_same_image(upscale(net, image), forward_uint8(plain, image))


@pytest.mark.parametrize('size', [(24, 30), (9, 13)])
def test_tiles_equal_the_whole_image_with_enough_pad(size):
    net = load_generator_from(random_rrdbnet(8, 1, 4))
    image = photo(*size, name='astronaut')
    whole = upscale(net, image, tile=0)
    radius = rrdb_receptive_radius(1)
    for tile in (7, 64):
        tiled = upscale(net, image, tile=tile, tile_pad=radius)
        assert tiled.shape == whole.shape == (size[0] * 4, size[1] * 4, 3)
        assert np.abs(tiled.astype(int) - whole).max() <= 1


def test_tiles_without_enough_pad_differ():
    """The check above can fail: with no context at all the seams show."""
    net = load_generator_from(random_rrdbnet(8, 1, 4))
    image = photo(24, 30, name='astronaut')
    assert np.abs(upscale(net, image, tile=8, tile_pad=0).astype(int) - upscale(net, image)).max() > 1


def load_generator_from(module, tmp=None):
    """Our loader on a BasicSR checkpoint of ``module`` (written to a temporary file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = f'{folder}/net_g.pth'
        torch.save({'params': state_dict(module)}, path)
        return load_generator(path)


def test_sixteen_bit_gray_rgba_and_tiny_images():
    net = load_generator_from(random_rrdbnet(8, 1, 4))
    rgb = photo(21, 17)
    out8 = upscale(net, rgb)
    out16 = upscale(net, rgb.astype(np.uint16) * 257, tile=8, tile_pad=19)
    assert out16.dtype == np.uint16 and out16.shape == out8.shape
    assert np.abs(out16.astype(int) - out8.astype(int) * 257).max() <= 128  # within half an 8-bit level

    gray = rgb[..., 1]
    out_gray = upscale(net, gray)
    assert out_gray.shape == (84, 68) and out_gray.dtype == np.uint8
    colour_of_gray = upscale(net, np.repeat(gray[..., None], 3, axis=2)).astype(float)
    luma = colour_of_gray @ np.array([0.299, 0.587, 0.114])
    assert np.abs(out_gray - luma).max() <= 1.0

    alpha = np.linspace(0, 255, 21 * 17).reshape(21, 17).astype(np.uint8)
    out_rgba = upscale(net, np.dstack([rgb, alpha]), tile=6, tile_pad=19)
    assert out_rgba.shape == (84, 68, 4)
    assert np.abs(out_rgba[..., :3].astype(int) - out8).max() <= 1
    bicubic = imresize_bicubic(torch.from_numpy(alpha)[None, None].float() / 255, 4)[0, 0]
    expected_alpha = (bicubic.clamp(0, 1) * 255).round().numpy()
    assert np.abs(out_rgba[..., 3] - expected_alpha).max() <= 1

    for h, w in ((1, 1), (2, 3), (5, 1)):
        tiny = photo(h, w)
        assert_same_image(upscale(net, tiny, tile=64), forward_uint8(net, tiny))


def test_x2_pixel_unshuffle_network_on_odd_sizes(tmp_path):
    net2 = random_rrdbnet(8, 1, 4, scale=2)
    torch.save({'params_ema': state_dict(net2)}, tmp_path / 'x2.pth')
    net = load_generator(str(tmp_path / 'x2.pth'))
    assert net.scale == 2 and net.size_multiple == 2
    image = photo(15, 21)
    out = upscale(net, image)
    assert out.shape == (30, 42, 3)
    assert np.abs(upscale(net, image, tile=6, tile_pad=20).astype(int) - out).max() <= 1


def test_precision_choices():
    net = load_generator_from(random_rrdbnet(8, 1, 4))
    image = photo(16, 16)
    bf16 = upscale(net, image, precision='bf16')
    assert bf16.shape == (64, 64, 3) and np.abs(bf16.astype(int) - upscale(net, image)).max() <= 16
    with pytest.raises(ValueError, match='fp16 runs on CUDA only'):
        upscale(net, image, precision='fp16')
    with pytest.raises(ValueError, match='precision must be one of'):
        upscale(net, image, precision='int8')


# ---------------------------------------------------------------------------------------------------- image files
@pytest.mark.parametrize('ext', ['.png', '.tif'])
def test_image_files_round_trip_as_stored(tmp_path, ext):
    rgb = photo(12, 10)
    arrays = [rgb, rgb[..., 0], np.dstack([rgb, rgb[..., 2]]), rgb.astype(np.uint16) * 257 + 3,
              (rgb[..., 0].astype(np.uint16) * 250)]
    for i, array in enumerate(arrays):
        path = tmp_path / f'img{i}{ext}'
        write_image(path, array)
        back = read_image(path)
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')]  # no temporary file left


def test_image_channel_order_is_rgb(tmp_path):
    import cv2

    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 200  # red
    write_image(tmp_path / 'red.png', rgb)
    assert cv2.imread(str(tmp_path / 'red.png'))[0, 0].tolist() == [0, 0, 200]  # OpenCV's BGR
    assert read_image(tmp_path / 'red.png')[0, 0].tolist() == [200, 0, 0]


def test_bad_image_files_are_named(tmp_path):
    (tmp_path / 'empty.png').write_bytes(b'')
    (tmp_path / 'junk.png').write_bytes(b'not an image at all')
    write_image(tmp_path / 'cut.jpg', photo(64, 64))
    data = (tmp_path / 'cut.jpg').read_bytes()
    (tmp_path / 'cut.jpg').write_bytes(data[:len(data) // 2])
    for name in ('empty.png', 'junk.png', 'cut.jpg', 'missing.png'):
        with pytest.raises(BadImageError) as err:
            read_image(tmp_path / name)
        assert str(tmp_path / name) in str(err.value)
    with pytest.raises(ValueError, match='cannot hold 16-bit'):
        write_image(tmp_path / 'deep.jpg', np.zeros((4, 4, 3), np.uint16))
    with pytest.raises(ValueError, match='uint8 or uint16'):
        write_image(tmp_path / 'float.png', np.zeros((4, 4, 3), np.float32))


# ------------------------------------------------------------------------------------------------ refusals, YAML
def test_model_refusals_name_the_file(tmp_path):
    cases = {
        'missing.pth': None,
        'truncated.pth': b'PK\x03\x04 truncated',
        'other.pth': {'params': {'encoder.weight': torch.zeros(3, 3)}},
        'not_weights.pth': {'params': {'iter': 3}},
    }
    for name, content in cases.items():
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        elif content is not None:
            torch.save(content, tmp_path / name)
        with pytest.raises(ProblemsFound) as err:
            load_generator(str(tmp_path / name), program='bebygan-infer')
        message = str(err.value)
        assert message.startswith('bebygan-infer: 1 problem(s)') and str(tmp_path / name) in message, message
    with pytest.raises(ProblemsFound, match='unknown key layout'):
        load_generator(str(tmp_path / 'other.pth'))
    with pytest.raises(ProblemsFound, match='does not exist'):
        load_generator(str(tmp_path / 'missing.pth'))


def write_option_file(path, weights, **network_overrides):
    network = {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 8, 'num_block': 2, 'num_grow_ch': 4}
    network.update(network_overrides)
    opt = {'name': 'tiny', 'model_type': 'SRModel', 'scale': 4, 'network_g': network,
           'path': {'pretrain_network_g': str(weights), 'param_key_g': 'params_ema', 'strict_load_g': True}}
    path.write_text(yaml.safe_dump(opt))
    return path


def test_option_file_models(tmp_path):
    ema, _ = save_layouts(tmp_path, 8, 2, 4)
    image = photo(20, 20)
    for weights in ('basicsr.pth', 'authors.pth', 'esrgan.safetensors'):
        net = load_generator(str(write_option_file(tmp_path / 'model.yml', tmp_path / weights)))
        assert net.scale == 4
        assert_same_image(upscale(net, image), forward_uint8(ema, image))

    bad = write_option_file(tmp_path / 'typo.yml', tmp_path / 'basicsr.pth', num_grwo_ch=4)
    with pytest.raises(ProblemsFound, match="unknown key 'num_grwo_ch'; did you mean 'num_grow_ch'"):
        load_generator(str(bad))
    wrong = write_option_file(tmp_path / 'wrong.yml', tmp_path / 'basicsr.pth', num_grow_ch=32)
    with pytest.raises(ProblemsFound, match='does not fit network_g'):
        load_generator(str(wrong))
    missing = write_option_file(tmp_path / 'missing.yml', tmp_path / 'nowhere.pth')
    with pytest.raises(ProblemsFound, match='nowhere.pth does not exist'):
        load_generator(str(missing))
    (tmp_path / 'broken.yml').write_text('network_g: {type: RRDBNet\n')
    with pytest.raises(ProblemsFound, match='not valid YAML'):
        load_generator(str(tmp_path / 'broken.yml'))


def test_bicubic_baseline_from_an_option_file(tmp_path):
    path = tmp_path / 'bicubic.yml'
    path.write_text(yaml.safe_dump({'scale': 4, 'network_g': {'type': 'MatlabBicubicUpsampler', 'scale': 4}}))
    net = load_generator(str(path))
    image = photo(10, 12)
    expected = imresize_bicubic(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255, 4)
    expected = (expected[0].clamp(0, 1).permute(1, 2, 0) * 255).round().numpy()
    assert np.abs(upscale(net, image, tile=4) - expected).max() <= 1


@pytest.mark.parametrize('scale', [4, 2, 1])
def test_banded_tail_equals_the_network_forward(scale, monkeypatch):
    """The x4 tail over several bands of feature rows gives what ``RRDBNet.forward`` gives; with
    less context than the tail's receptive radius the band seams show (the comparison can fail)."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    from bebygan_plugin.inference import banded

    torch.manual_seed(0)
    net = RRDBNet(3, 3, scale=scale, num_feat=8, num_block=1, num_grow_ch=4).eval()
    image = photo(64, 36)  # 64, 32 and 16 feature rows at scale 4, 2 and 1: 7, 4 and 2 bands
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        expected = net(x)
        got = banded.banded_rrdb_forward(net, x, bands=7)
        assert got.shape == expected.shape
        assert (got - expected).abs().max() < 1e-5
        monkeypatch.setattr(banded, 'TAIL_PAD', 1)
        assert (banded.banded_rrdb_forward(net, x, bands=7) - expected).abs().max() > 1e-3
