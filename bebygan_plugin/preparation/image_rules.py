"""How an input image file becomes the 8-bit, 3-channel BGR array that BasicSR trains on.

BasicSR decodes every LMDB entry with ``cv2.IMREAD_COLOR`` and divides by 255, so whatever a dataset ships is
normalised here once, by these rules (also in docs/data.md, "Input rules"), on top of the one image reader
:func:`bebygan_plugin.files.images.read_image` (its formats, decoding as stored, refusal of unreadable files):

- 8-bit: kept. 16-bit: reduced to 8 bits by ``round(v * 255 / 65535)``. Any other depth is refused.
- Gray (and palette, which OpenCV expands): replicated to three equal channels.
- With alpha (RGBA, gray + alpha): an alpha channel that is fully opaque everywhere is dropped. An image with any
  transparent pixel is refused unless an alpha policy is chosen: ``drop`` (ignore alpha), ``white`` or ``black``
  (composite onto that background).
- ``min_size``: an image whose height or width is below it is refused.

Every refusal is a :class:`~bebygan_plugin.files.images.BadImageError` whose message names the file and the fix.
"""
from typing import Optional

import numpy as np

from ..files.images import BadImageError, encode_image, read_image, to_uint8

ALPHA_POLICIES = ('error', 'drop', 'white', 'black')
SKIP_HINT = 'replace or delete the file, or pass --skip-bad to leave it out'


def _flatten_alpha(bgra: np.ndarray, path: str, alpha: str) -> np.ndarray:
    bgr, a = bgra[..., :3], bgra[..., 3]
    transparent = int(np.count_nonzero(a != 255))
    if transparent == 0 or alpha == 'drop':
        return np.ascontiguousarray(bgr)
    if alpha == 'error':
        share = 100.0 * transparent / a.size
        raise BadImageError(path, f'has transparency ({share:.3g}% of pixels with alpha < 255)',
                            'choose how to flatten it with --alpha drop|white|black, or remove the file')
    background = 255.0 if alpha == 'white' else 0.0
    weight = a.astype(np.float64)[..., None] / 255.0
    flat = bgr.astype(np.float64) * weight + background * (1.0 - weight)
    return np.floor(flat + 0.5).astype(np.uint8)


def normalize_image(img: np.ndarray, path: str, alpha: str = 'error') -> np.ndarray:
    """Apply the module's rules to decoded pixels: an ``HxWx3`` uint8 BGR array (C-contiguous).

    Args:
        img: pixels as stored, BGR(A) (:func:`~bebygan_plugin.files.images.read_image` with ``order='bgr'``).
        path: the file, for error messages.
        alpha: what to do with transparent pixels, one of ``ALPHA_POLICIES``.
    """
    if alpha not in ALPHA_POLICIES:
        raise ValueError(f'alpha must be one of {ALPHA_POLICIES}, got {alpha!r}')
    img = to_uint8(img, path)
    if img.ndim == 2:
        img = img[..., None]
    channels = img.shape[2] if img.ndim == 3 else 0
    if channels == 1:
        return np.ascontiguousarray(np.repeat(img, 3, axis=2))
    if channels == 3:
        return np.ascontiguousarray(img)
    if channels == 4:
        return _flatten_alpha(img, path, alpha)
    raise BadImageError(path, f'has an unsupported pixel layout {img.shape}',
                        'convert it to an RGB or grayscale PNG')


def read_dataset_image(path: str, alpha: str = 'error', min_size: Optional[int] = None) -> np.ndarray:
    """Read ``path`` and normalise it (:func:`normalize_image`): ``HxWx3`` uint8 BGR, as BasicSR trains on.

    Args:
        path: image file.
        alpha: transparency policy, one of ``ALPHA_POLICIES``.
        min_size: refuse images whose height or width is below this.

    Raises:
        BadImageError: the file is unreadable, corrupt, or breaks a rule.
    """
    img = normalize_image(read_image(path, order='bgr', fix=SKIP_HINT), path, alpha)
    if min_size is not None and min(img.shape[:2]) < min_size:
        raise BadImageError(path, f'is {img.shape[0]}x{img.shape[1]} pixels, smaller than the minimum {min_size}',
                            'remove it or pass --skip-bad')
    return img


def encode_png(img: np.ndarray, compress_level: int) -> bytes:
    """PNG bytes of an ``HxWx3`` uint8 BGR array (zlib level ``compress_level``, 0-9), as the data commands store
    every image."""
    return encode_image(img, '.png', order='bgr', png_compression=compress_level)
