"""How an input image file becomes the 8-bit, 3-channel BGR array that BasicSR trains on.

BasicSR decodes every LMDB entry with ``cv2.IMREAD_COLOR`` and divides by 255, so whatever a dataset ships is
normalised here once, by these rules (also in README.md, "Preparing DF2K"):

- Formats: PNG, JPEG (``.jpg``/``.jpeg``) and BMP, by extension (case-insensitive). Decoded with OpenCV as stored:
  EXIF orientation and ICC profiles are ignored, as in BasicSR's own preparation scripts.
- 8-bit: kept. 16-bit: reduced to 8 bits by ``round(v * 255 / 65535)``. Any other depth (float or 32-bit TIFF-like
  data inside a renamed file) is refused.
- Gray (and palette, which OpenCV expands): replicated to three equal channels.
- With alpha (RGBA, gray + alpha): an alpha channel that is fully opaque everywhere is dropped. An image with any
  transparent pixel is refused unless an alpha policy is chosen: ``drop`` (ignore alpha), ``white`` or ``black``
  (composite onto that background).
- A file that cannot be read or decoded (empty, truncated, corrupt, not an image) is refused.

Every refusal is a :class:`BadImageError` whose message names the file and says how to fix it.
"""
import os
from typing import Optional, Tuple

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')
ALPHA_POLICIES = ('error', 'drop', 'white', 'black')


class BadImageError(ValueError):
    """An input image that breaks a rule; ``str()`` names the file and the fix."""

    def __init__(self, path: str, problem: str, fix: str = '') -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        message = f'{self.path}: {problem}'
        if fix:
            message += f'; {fix}'
        super().__init__(message)

    def __reduce__(self):  # travels back from worker processes intact
        return type(self), (self.path, self.problem, self.fix)


def is_image_file(name: str) -> bool:
    """True for a visible file name with a supported extension (``._x.png`` macOS metadata files are not images)."""
    return not os.path.basename(name).startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS)


def probe_size(path: str) -> Tuple[int, int]:
    """``(height, width)`` of an image from its header only (Pillow), falling back to a full OpenCV decode when
    Pillow cannot tell (a variant it does not know, or a very large image it refuses as a "decompression bomb").

    Raises:
        BadImageError: the file cannot be opened or is not a readable image.
    """
    from PIL import Image

    try:
        with Image.open(path) as img:
            width, height = img.size
        return height, width
    except Exception:  # noqa: BLE001  (any Pillow failure: let OpenCV, which does the real decoding, decide)
        pass
    img = decode_image(path)
    return img.shape[0], img.shape[1]


SKIP_HINT = 'replace or delete the file, or pass --skip-bad to leave it out'


def decode_image(path: str, skip_hint: str = SKIP_HINT) -> np.ndarray:
    """The file's pixels exactly as stored (``cv2.IMREAD_UNCHANGED``): any depth, 2-D or HxWxC in BGR(A) order.
    ``skip_hint`` is the fix a refusal suggests (how the calling program leaves a bad file out)."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise BadImageError(path, f'cannot be read ({err.strerror or err})',
                            'check that it exists and is readable') from err
    if not data:
        raise BadImageError(path, 'is empty (0 bytes)', skip_hint)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise BadImageError(path, 'cannot be decoded as an image (corrupt, truncated, or not an image)',
                            skip_hint)
    if data[:2] == b'\xff\xd8' and b'\xff\xd9' not in data[-65536:]:
        # Older OpenCV builds decode a truncated JPEG with a warning and fill the rest with gray.
        raise BadImageError(path, 'is a truncated JPEG (no end-of-image marker)', skip_hint)
    return img


def to_uint8(img: np.ndarray, path: str) -> np.ndarray:
    """8-bit pixels: uint8 kept, uint16 reduced by ``round(v * 255 / 65535)``; other depths refused."""
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    raise BadImageError(path, f'has {img.dtype} pixels; only 8-bit and 16-bit images are supported',
                        'convert it to an 8-bit PNG')


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
        img: pixels from :func:`decode_image`.
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


def read_image(path: str, alpha: str = 'error', min_size: Optional[int] = None) -> np.ndarray:
    """Read ``path`` and normalise it (:func:`normalize_image`): ``HxWx3`` uint8 BGR.

    Args:
        path: image file.
        alpha: transparency policy, one of ``ALPHA_POLICIES``.
        min_size: refuse images whose height or width is below this.

    Raises:
        BadImageError: the file is unreadable, corrupt, or breaks a rule.
    """
    img = normalize_image(decode_image(path), path, alpha)
    if min_size is not None and min(img.shape[:2]) < min_size:
        raise BadImageError(path, f'is {img.shape[0]}x{img.shape[1]} pixels, smaller than the minimum {min_size}',
                            'remove it or pass --skip-bad')
    return img


def encode_png(img: np.ndarray, compress_level: int) -> bytes:
    """PNG bytes of an ``HxWx3`` uint8 BGR array (zlib level ``compress_level``, 0-9)."""
    ok, buf = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)])
    if not ok:
        raise RuntimeError(f'OpenCV could not encode a {img.shape} {img.dtype} image as PNG')
    return buf.tobytes()
