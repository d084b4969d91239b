"""Using a trained generator: load it from any supported checkpoint layout or an option YAML, super-resolve
images with streaming tiles, and read / write images as stored (gray, RGB, RGBA; 8 or 16 bits; the package's one
image reader and writer, :mod:`bebygan_plugin.files.images`, in RGB order).

    from bebygan_plugin.inference import load_generator, upscale, read_image, write_image
    net = load_generator('BebyGAN_x4.pth', device='cpu')        # any layout; .safetensors; an option YAML
    write_image('out.png', upscale(net, read_image('in.png'), tile=256))

The console scripts ``bebygan-infer``, ``bebygan-convert``, ``bebygan-interpolate`` and ``bebygan-export`` are thin
wrappers around this package (see docs/inference.md).
"""
from ..files.images import read_image, write_image
from .layouts import rrdb_receptive_radius
from .generators import GeneratorWeights, load_generator, read_generator_weights
from .tiling import DEFAULT_TILE_PAD, upscale

__all__ = ['load_generator', 'upscale', 'read_image', 'write_image', 'read_generator_weights', 'GeneratorWeights',
           'rrdb_receptive_radius', 'DEFAULT_TILE_PAD']
