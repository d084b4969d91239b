"""Image files for inference, pixels as stored: gray (HxW), RGB (HxWx3) or RGBA (HxWx4), 8 or 16 bits.

Reading decodes with OpenCV (``IMREAD_UNCHANGED``: no EXIF rotation, no colour management, palette images expand
to RGB) and turns BGR(A) into RGB(A). Writing goes through a hidden temporary file in the target folder and a
rename (``training.checkpoint.atomic_write``), so a killed run never leaves a partial image under the final name.
"""
import os
from typing import Union

import cv2
import numpy as np

from ..data.image_rules import BadImageError, decode_image

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
SIXTEEN_BIT_EXTENSIONS = ('.png', '.tif', '.tiff')  # formats that hold 16-bit pixels
SKIP_HINT = 'the other images go on; replace or remove this one'
DTYPES = (np.uint8, np.uint16)
JPEG_QUALITY = 95
WEBP_QUALITY = 95


def is_image_path(path: str) -> bool:
    """A visible file with an extension this module reads and writes."""
    name = os.path.basename(path)
    return not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS)


def check_image_array(image: np.ndarray, what: str = 'image') -> None:
    """Raise ``ValueError`` unless ``image`` is HxW, HxWx3 or HxWx4 of uint8 or uint16."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f'{what} must be a numpy array, got {type(image).__name__}')
    if image.dtype not in DTYPES:
        raise ValueError(f'{what} must be uint8 or uint16, got {image.dtype}')
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))) or 0 in image.shape[:2]:
        raise ValueError(f'{what} must be HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA), got shape {image.shape}')


def _swap_red_blue(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    order = [2, 1, 0, 3][:image.shape[2]]
    return np.ascontiguousarray(image[..., order])


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """The pixels of ``path`` as stored: HxW, HxWx3 (RGB) or HxWx4 (RGBA), uint8 or uint16.

    Raises:
        BadImageError: the file is missing, unreadable, corrupt or truncated, or holds another pixel type; the
            message names the file.
    """
    path = os.fspath(path)
    image = decode_image(path, SKIP_HINT)
    if image.dtype not in DTYPES:
        raise BadImageError(path, f'has {image.dtype} pixels; only 8-bit and 16-bit images are supported',
                            'convert it to an 8- or 16-bit PNG')
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[2] == 2:  # gray + alpha, where a decoder keeps it so
        image = np.dstack([image[..., 0]] * 3 + [image[..., 1]])
    if image.ndim == 3 and image.shape[2] not in (3, 4):
        raise BadImageError(path, f'has an unsupported pixel layout {image.shape}', 'convert it to RGB or RGBA')
    return _swap_red_blue(image)


def encode_image(image: np.ndarray, ext: str) -> bytes:
    """``image`` (RGB order) encoded as ``ext`` (``.png``, ``.jpg``, ...)."""
    check_image_array(image)
    ext = ext.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ValueError(f'cannot write {ext!r} images; use one of {", ".join(IMAGE_EXTENSIONS)}')
    if image.dtype == np.uint16 and ext not in SIXTEEN_BIT_EXTENSIONS:
        raise ValueError(f'{ext} cannot hold 16-bit pixels; write PNG or TIFF, or reduce the image to 8 bits')
    params = []
    if ext in ('.jpg', '.jpeg'):
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    elif ext == '.webp':
        params = [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY]
    ok, buffer = cv2.imencode(ext, _swap_red_blue(image), params)
    if not ok:
        raise ValueError(f'OpenCV could not encode a {image.shape} {image.dtype} image as {ext}')
    return buffer.tobytes()


def write_image(path: Union[str, os.PathLike], image: np.ndarray) -> None:
    """Write ``image`` (RGB order, any layout of :func:`read_image`) to ``path``, format from the extension,
    atomically: the file appears complete or not at all."""
    from ..training.checkpoint import atomic_write

    path = os.fspath(path)
    data = encode_image(image, os.path.splitext(path)[1])
    atomic_write(path, lambda f: f.write(data))
