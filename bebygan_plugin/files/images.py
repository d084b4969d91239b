"""Image files: the one module that reads and writes them, with the channel order named by every caller.

- Formats, by extension (case-insensitive): PNG, JPEG (``.jpg``/``.jpeg``), BMP, TIFF (``.tif``/``.tiff``) and
  WebP (``IMAGE_EXTENSIONS``); PNG and TIFF also hold 16-bit pixels.
- Reading decodes with OpenCV as stored (``IMREAD_UNCHANGED``: no EXIF rotation, no colour management; palette
  images expand to colour, gray + alpha to colour + alpha): HxW (gray), HxWx3 (colour) or HxWx4 (colour + alpha),
  uint8 or uint16. A file that cannot be read or decoded (missing, empty, corrupt, truncated, not an image) or that
  holds other pixels is refused with a :class:`BadImageError` naming it and the fix.
- Channel order: ``order='rgb'`` reads and writes RGB(A) (the default: the public inference API, PIL,
  scikit-image); ``order='bgr'`` OpenCV's BGR(A), the order BasicSR trains on (data preparation, evaluation).
  The package's own callers always name the order.
- Writing goes through a hidden temporary file and a rename (:func:`~.atomic.atomic_write`), so a killed run never
  leaves a partial image under the final name.

How a dataset image becomes BasicSR's 8-bit BGR (16 bits reduced, gray replicated, alpha flattened) is decided on
top of this reader, in :mod:`bebygan_plugin.preparation.image_rules`.
"""
import os
from typing import Optional, Union

import cv2
import numpy as np

from .atomic import atomic_write

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
FORMAT_NAMES = 'PNG/JPEG/BMP/TIFF/WebP'  # IMAGE_EXTENSIONS, for messages
SIXTEEN_BIT_EXTENSIONS = ('.png', '.tif', '.tiff')  # formats that hold 16-bit pixels
ORDERS = ('rgb', 'bgr')
DTYPES = (np.uint8, np.uint16)
JPEG_QUALITY = 95
WEBP_QUALITY = 95
# BasicSR's ``imfrombytes(flag=...)`` names for OpenCV's decode flags
IMREAD_FLAGS = {'color': cv2.IMREAD_COLOR, 'grayscale': cv2.IMREAD_GRAYSCALE, 'unchanged': cv2.IMREAD_UNCHANGED}
DEFAULT_FIX = 'replace or remove the file'

PathLike = Union[str, os.PathLike]


class BadImageError(ValueError):
    """An image file that cannot be used; ``str()`` names the file and the fix."""

    def __init__(self, path: str, problem: str, fix: str = '') -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        message = f'{self.path}: {problem}'
        if fix:
            message += f'; {fix}'
        super().__init__(message)

    def __reduce__(self):  # travels back from worker processes intact
        return type(self), (self.path, self.problem, self.fix)


class UndecodableImageError(ValueError):
    """Bytes that are no usable image; ``str()`` says why (the caller names the file)."""


def is_image_file(name: PathLike) -> bool:
    """True for a visible file name with an extension of ``IMAGE_EXTENSIONS`` (``._x.png`` macOS metadata files
    are not images)."""
    base = os.path.basename(os.fspath(name))
    return not base.startswith('.') and base.lower().endswith(IMAGE_EXTENSIONS)


def decode_bytes(data: Optional[bytes], flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Decode an encoded image with OpenCV (``cv2.imdecode`` ``flags``; BGR(A) order), refusing what it would get
    wrong.

    Raises:
        UndecodableImageError: no data, data OpenCV cannot decode (corrupt, truncated, not an image), or a JPEG
            without its end-of-image marker (older OpenCV builds decode those with a warning and fill in gray).
    """
    if data is None:
        raise UndecodableImageError('is missing (no data stored under this name)')
    if not len(data):
        raise UndecodableImageError('is empty (0 bytes)')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if img is None:
        raise UndecodableImageError('cannot be decoded as an image (corrupt, truncated, or not an image)')
    if data[:2] == b'\xff\xd8' and b'\xff\xd9' not in data[-65536:]:
        raise UndecodableImageError('is a truncated JPEG (no end-of-image marker)')
    return img


def check_image_array(image: np.ndarray, what: str = 'image') -> None:
    """Raise ``ValueError`` unless ``image`` is HxW, HxWx3 or HxWx4 of uint8 or uint16."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f'{what} must be a numpy array, got {type(image).__name__}')
    if image.dtype not in DTYPES:
        raise ValueError(f'{what} must be uint8 or uint16, got {image.dtype}')
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))) or 0 in image.shape[:2]:
        raise ValueError(f'{what} must be HxW (gray), HxWx3 (colour) or HxWx4 (colour + alpha), got shape '
                         f'{image.shape}')


def to_uint8(img: np.ndarray, path: str) -> np.ndarray:
    """8-bit pixels: uint8 kept, uint16 reduced by ``round(v * 255 / 65535)``; other depths refused."""
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    raise BadImageError(path, f'has {img.dtype} pixels; only 8-bit and 16-bit images are supported',
                        'convert it to an 8-bit PNG')


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f'order must be one of {ORDERS}, got {order!r}')


def _swap_red_blue(image: np.ndarray) -> np.ndarray:
    """RGB(A) <-> BGR(A); gray unchanged."""
    if image.ndim == 2:
        return image
    return np.ascontiguousarray(image[..., [2, 1, 0, 3][:image.shape[2]]])


def read_image(path: PathLike, order: str = 'rgb', fix: str = DEFAULT_FIX) -> np.ndarray:
    """The pixels of ``path`` as stored: HxW, HxWx3 or HxWx4 in channel ``order`` (``'rgb'`` or ``'bgr'``),
    uint8 or uint16.

    Args:
        path: the image file.
        order: ``'rgb'`` for RGB(A), ``'bgr'`` for OpenCV's BGR(A).
        fix: what a refusal of an unreadable or undecodable file tells the user to do (the calling program's way of
            leaving it out).

    Raises:
        BadImageError: the file is missing, unreadable, corrupt or truncated, or holds another pixel type or
            layout; the message names the file.
    """
    _check_order(order)
    path = os.fspath(path)
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise BadImageError(path, f'cannot be read ({err.strerror or err})',
                            'check that it exists and is readable') from err
    try:
        image = decode_bytes(data)
    except UndecodableImageError as err:
        raise BadImageError(path, str(err), fix) from None
    if image.dtype not in DTYPES:
        raise BadImageError(path, f'has {image.dtype} pixels; only 8-bit and 16-bit images are supported',
                            'convert it to an 8- or 16-bit PNG')
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[2] == 2:  # gray + alpha, where a decoder keeps it so
        image = np.dstack([image[..., 0]] * 3 + [image[..., 1]])
    if image.ndim == 3 and image.shape[2] not in (3, 4):
        raise BadImageError(path, f'has an unsupported pixel layout {image.shape}', 'convert it to RGB or RGBA')
    return _swap_red_blue(image) if order == 'rgb' else np.ascontiguousarray(image)


def encode_image(image: np.ndarray, ext: str, order: str = 'rgb', png_compression: Optional[int] = None) -> bytes:
    """``image`` (channel ``order``, any layout of :func:`read_image`) encoded as ``ext`` (``.png``, ``.jpg``, ...).

    ``png_compression``: zlib level 0-9 of a PNG (default: OpenCV's).
    """
    _check_order(order)
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
    elif ext == '.png' and png_compression is not None:
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(png_compression)]
    ok, buffer = cv2.imencode(ext, _swap_red_blue(image) if order == 'rgb' else image, params)
    if not ok:
        raise ValueError(f'OpenCV could not encode a {image.shape} {image.dtype} image as {ext}')
    return buffer.tobytes()


def write_image(path: PathLike, image: np.ndarray, order: str = 'rgb') -> None:
    """Write ``image`` (channel ``order``, any layout of :func:`read_image`) to ``path``, format from the extension,
    atomically: the file appears complete or not at all."""
    path = os.fspath(path)
    data = encode_image(image, os.path.splitext(path)[1], order)
    atomic_write(path, lambda f: f.write(data))
