"""Super-resolving one image with streaming tiles.

The image and the result stay on the host as integer arrays; the device holds one padded tile at a time (on the
CPU an ``RRDBNet`` runs its upsampling tail over bands of the tile: :mod:`.banded`). Each
tile of ``tile`` x ``tile`` input pixels is cut with ``tile_pad`` pixels of context on every side (less at the
image border), run through the network, and only the output of its own pixels is kept, rounded to the image's
depth and written into the result. The whole image (``tile=0``) is the same loop with a single tile.

A tile equals the whole-image result exactly (up to float rounding) when ``tile_pad`` is at least the network's
receptive-field radius (``layouts.rrdb_receptive_radius``: 15 x num_block + 4 input pixels for an x4
``RRDBNet``); in practice far less context suffices because distant pixels contribute almost nothing. The
default pad, ``DEFAULT_TILE_PAD``, and the difference it leaves are measured in docs/performance.md ("Tile
seams").

Fixed windows (``fixed_windows``, on with ``compile``): every tile is cut with the same window, ``tile + 2 *
tile_pad`` pixels a side (or the whole image side, if smaller), shifted inwards at the image border (border tiles
get more context, never less), so the network always sees one input shape. ``compile``: the network through
``torch.compile`` with static shapes, on CUDA in ``reduce-overhead`` mode (CUDA graphs: a tile is one graph replay);
compiled once per network, window shape and precision.
"""
import math
from typing import Callable, Iterator, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..files.images import check_image_array
from ..ops.color import luminance
from .banded import banded_rrdb_forward, is_banded_rrdb

DEFAULT_TILE_PAD = 10
PRECISIONS = {'fp32': torch.float32, 'bf16': torch.bfloat16, 'fp16': torch.float16}
ALPHA_PAD = 4  # the bicubic kernel of the alpha upscaling reaches 2 input pixels


def tile_grid(height: int, width: int, tile: int) -> Iterator[Tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` of the tiles covering the image, rows first (one tile when ``tile`` <= 0)."""
    if tile <= 0:
        yield 0, height, 0, width
        return
    for y0 in range(0, height, tile):
        for x0 in range(0, width, tile):
            yield y0, min(y0 + tile, height), x0, min(x0 + tile, width)


def count_tiles(height: int, width: int, tile: int) -> int:
    return 1 if tile <= 0 else math.ceil(height / tile) * math.ceil(width / tile)


def _network_device(net: torch.nn.Module) -> torch.device:
    param = next(net.parameters(), None)
    return param.device if param is not None else torch.device('cpu')


def check_precision(precision: str, device: torch.device) -> None:
    """``ValueError`` for an unknown precision or fp16 off CUDA."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {", ".join(PRECISIONS)}, got {precision!r}')
    if precision == 'fp16' and device.type != 'cuda':
        raise ValueError('fp16 runs on CUDA only (CPU convolutions have no fp16 kernels); use bf16 or fp32 on the CPU')


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def window(start: int, stop: int, pad: int, length: int, size: int = 0) -> Tuple[int, int]:
    """The input span ``[w0, w1)`` cut for the tile ``[start, stop)`` of an axis of ``length`` pixels: ``pad`` pixels
    of context on each side, clipped at the border; or (``size`` > 0: fixed windows) ``size`` pixels around the
    tile, shifted inwards at the border."""
    if size <= 0:
        return max(start - pad, 0), min(stop + pad, length)
    first = min(max(start - pad, 0), length - size)
    return first, first + size


def compiled_forward(net: torch.nn.Module, device: torch.device, options) -> Callable[[torch.Tensor], torch.Tensor]:
    """``torch.compile(net)`` for fixed-size tiles, made once per network and options (kept on the network): static
    shapes, and CUDA graphs (``mode='reduce-overhead'``) on CUDA; ``options`` (a mapping) replaces these arguments."""
    kwargs = {'dynamic': False, **({'mode': 'reduce-overhead'} if device.type == 'cuda' else {})}
    if isinstance(options, dict):
        kwargs.update(options)
    cache = net.__dict__.setdefault('_bebygan_compiled', {})
    key = tuple(sorted(kwargs.items()))
    if key not in cache:
        cache[key] = torch.compile(net, **kwargs)
    compiled = cache[key]
    if device.type != 'cuda' or kwargs.get('mode') not in ('reduce-overhead', 'max-autotune'):
        return compiled

    def replay(x: torch.Tensor) -> torch.Tensor:
        torch.compiler.cudagraph_mark_step_begin()
        return compiled(x).clone()  # a CUDA graph's output is overwritten by its next replay

    return replay


def _run_tiles(net: torch.nn.Module, planes: np.ndarray, scale: int, tile: int, tile_pad: int, precision: str,
               device: torch.device, to_gray: bool, progress: bool, compile_options=False,
               fixed_windows: bool = False) -> np.ndarray:
    """``planes`` (HxWxC, uint8/uint16) through ``net`` tile by tile; HxWxC_out (HxW when ``to_gray``)."""
    height, width, channels = planes.shape
    max_value = float(np.iinfo(planes.dtype).max)
    in_channels = getattr(net, 'in_channels', 3)
    multiple = getattr(net, 'size_multiple', 1)
    if tile > 0:
        tile, tile_pad = _round_up(tile, multiple), _round_up(tile_pad, multiple)
    result = None
    dtype = PRECISIONS[precision]
    autocast = torch.autocast(device.type, dtype=dtype, enabled=precision != 'fp32')
    # On the CPU, where memory is the limit, an RRDBNet's x4 tail runs in bands (a quarter of the memory, the same
    # time); a GPU runs it whole, faster than many small bands (docs/performance.md, "Inference").
    banded = is_banded_rrdb(net) and device.type == 'cpu' and not compile_options
    forward = (lambda x: banded_rrdb_forward(net, x)) if banded else net
    if compile_options:
        forward = compiled_forward(net, device, compile_options)
    fixed = tile > 0 and (fixed_windows or bool(compile_options))
    window_h, window_w = (min(height, tile + 2 * tile_pad), min(width, tile + 2 * tile_pad)) if fixed else (0, 0)
    bar = tqdm(total=count_tiles(height, width, tile), desc='tiles', unit='tile', leave=False,
               disable=not progress)
    with bar, torch.inference_mode():
        for y0, y1, x0, x1 in tile_grid(height, width, tile):
            pad = tile_pad if tile > 0 else 0
            (py0, py1), (px0, px1) = window(y0, y1, pad, height, window_h), window(x0, x1, pad, width, window_w)
            patch = torch.from_numpy(np.ascontiguousarray(planes[py0:py1, px0:px1])).to(device)
            patch = patch.permute(2, 0, 1).unsqueeze(0).float().div_(max_value)  # a channels-last view
            if channels == 1 and in_channels == 3:
                patch = patch.expand(-1, 3, -1, -1)
            extra_h, extra_w = (-patch.shape[2]) % multiple, (-patch.shape[3]) % multiple
            if extra_h or extra_w:
                patch = F.pad(patch, (0, extra_w, 0, extra_h), mode='replicate')
            patch = patch.contiguous(memory_format=torch.channels_last)  # less memory and time in convolutions
            with autocast:
                out = forward(patch)
            out = out[:, :, (y0 - py0) * scale:(y1 - py0) * scale, (x0 - px0) * scale:(x1 - px0) * scale].float()
            if to_gray and out.shape[1] == 3:
                out = luminance(out)
            out = out.clamp_(0, 1).mul_(max_value).round_().to(torch.int32)[0].permute(1, 2, 0).cpu().numpy()
            if result is None:
                result = np.empty((height * scale, width * scale, out.shape[2]), planes.dtype)
            result[y0 * scale:y1 * scale, x0 * scale:x1 * scale] = out
            bar.update()
    return result[..., 0] if to_gray else result


def upscale(net: torch.nn.Module, image: np.ndarray, tile: int = 0, tile_pad: int = DEFAULT_TILE_PAD,
            precision: str = 'fp32', device: Union[str, torch.device, None] = None, progress: bool = False,
            compile: Union[bool, dict] = False, fixed_windows: bool = False) -> np.ndarray:
    """Super-resolve ``image`` with ``net`` (from :func:`~.models.load_generator`), streaming tiles.

    Args:
        net: the generator; its ``scale`` attribute is the factor (``in_channels`` and ``size_multiple`` are read
            when present).
        image: HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA), uint8 or uint16, as
            :func:`bebygan_plugin.files.images.read_image` returns.
        tile: input pixels per tile side; 0 runs the whole image at once.
        tile_pad: input pixels of context around each tile (see the module docstring).
        precision: ``fp32``, ``bf16`` (autocast, CPU or CUDA) or ``fp16`` (CUDA only).
        device: where the tiles run; default the network's device (they must agree).
        progress: a tqdm bar over the tiles.
        compile: run the network through ``torch.compile`` (``True``, or a mapping of its arguments): static
            shapes, CUDA graphs on CUDA, fixed windows (module docstring). The first tile of a new shape or
            precision compiles (seconds to minutes); worth it for many tiles or images of one size.
        fixed_windows: cut every tile with the same window (module docstring), also without ``compile``.

    Returns:
        The result with the input's layout and dtype, ``net.scale`` times larger: gray in gives gray out (the
        network sees three equal channels; its output is reduced to BT.601 luma,
        :func:`~bebygan_plugin.ops.color.luminance`), RGBA gives RGBA (the colour through the network, the alpha
        channel upscaled separately with MATLAB bicubic, in the same tiles).
    """
    from ..archs.bicubic_arch import MatlabBicubicUpsampler

    check_image_array(image)
    if tile < 0 or tile_pad < 0:
        raise ValueError(f'tile and tile_pad must be >= 0, got {tile} and {tile_pad}')
    scale = int(getattr(net, 'scale', 0) or 0)
    if scale < 1:
        raise ValueError('net has no positive int attribute scale; load it with load_generator()')
    net_device = _network_device(net)
    device = net_device if device is None else torch.device(device)
    if device.type != net_device.type or (device.index is not None and device != net_device):
        raise ValueError(f'net is on {net_device} but device is {device}; load it with load_generator(..., '
                         f'device={str(device)!r})')
    check_precision(precision, device)
    gray = image.ndim == 2
    colour = image[..., None] if gray else image[..., :3]
    if getattr(net, 'in_channels', 3) == 1 and not gray:
        raise ValueError('this network takes gray images; pass an HxW array')
    result = _run_tiles(net, colour, scale, tile, tile_pad, precision, device, gray, progress, compile, fixed_windows)
    if image.ndim == 3 and image.shape[2] == 4:
        bicubic = MatlabBicubicUpsampler(scale).to(device)
        bicubic.in_channels = 1
        alpha = _run_tiles(bicubic, image[..., 3:], scale, tile, max(tile_pad, ALPHA_PAD), 'fp32', device, False,
                           False, fixed_windows=fixed_windows or bool(compile))
        result = np.concatenate([result, alpha], axis=2)
    return result

