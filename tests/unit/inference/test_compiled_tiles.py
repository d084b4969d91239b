"""``upscale(..., compile=...)`` / ``bebygan-infer --compile``: fixed-size windows (one input shape for every tile) and
the network through ``torch.compile`` (inductor here; CUDA graphs on a GPU) give the eager result, compiled once."""
import pytest
import torch

from bebygan_plugin.inference.tiling import count_tiles, tile_grid, upscale, window
from tests.helpers.inference import assert_same_image, photo


@pytest.mark.parametrize('length, tile, pad', [(50, 16, 4), (40, 16, 6), (20, 16, 4), (12, 16, 4)])
def test_fixed_windows_have_one_size_and_hold_each_tile_with_at_least_its_pad(length, tile, pad):
    size = min(length, tile + 2 * pad)
    for start, stop, *_ in tile_grid(length, 1, tile):
        first, last = window(start, stop, pad, length, size)
        assert last - first == size and 0 <= first <= start and stop <= last <= length
        clipped = window(start, stop, pad, length)  # the default: pad pixels each side, clipped at the border
        assert first <= clipped[0] and clipped[1] <= last


def _net():
    """A small x2 network whose output looks like the photo (so that 8-bit rounding keeps the differences): each
    output pixel is its input pixel plus a random 3x3 convolution of the neighbourhood. Two convolutions and a pixel
    shuffle: the tiling is what is tested, and inductor compiles this in seconds (an RRDB takes a minute here)."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 12, 3, padding=1)
    with torch.no_grad():
        conv.weight.normal_(0, 0.05)
        conv.weight[torch.arange(12), torch.arange(12) // 4, 1, 1] += 1.0
        conv.bias.zero_()
    net = torch.nn.Sequential(conv, torch.nn.PixelShuffle(2), torch.nn.Conv2d(3, 3, 1)).eval().requires_grad_(False)
    with torch.no_grad():
        net[2].weight.copy_(torch.eye(3)[:, :, None, None] + 0.05 * torch.randn(3, 3, 1, 1))
        net[2].bias.zero_()
    net.scale, net.in_channels, net.size_multiple = 2, 3, 1
    return net


def test_compiled_tiles_equal_the_eager_fixed_windows_and_compile_once():
    net, image = _net(), photo(30, 41)
    assert count_tiles(30, 41, 16) == 6  # border tiles of three sizes, one window shape
    eager = upscale(net, image, tile=16, tile_pad=4, fixed_windows=True)
    assert_same_image(eager, upscale(net, image, tile=16, tile_pad=4))  # a 3x3 receptive field: pad 4 is exact
    torch._dynamo.reset()
    compiled = upscale(net, image, tile=16, tile_pad=4, compile=True)
    assert_same_image(compiled, eager, 'inductor vs eager')
    with torch._dynamo.config.patch(error_on_recompile=True):  # every tile and another image reuse the graph
        assert_same_image(upscale(net, photo(30, 41, 'astronaut'), tile=16, tile_pad=4, compile=True),
                          upscale(net, photo(30, 41, 'astronaut'), tile=16, tile_pad=4, fixed_windows=True))
