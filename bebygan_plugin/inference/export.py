"""ONNX export with a parity check on a real image.

The graph has dynamic batch, height and width (input ``input``: N x C x H x W in [0, 1], RGB; output ``output``:
N x C x sH x sW). After export, onnxruntime runs the file on a real photo and the largest difference to the
PyTorch output must stay within ``FP32_TOLERANCE`` (``FP16_TOLERANCE`` for a half-precision export, compared to
the float32 PyTorch network); otherwise the file is removed. It is written under a temporary name and renamed
only once it passed. Needs ``pip install "bebygan-plugin[export]"`` (onnx, onnxruntime).
"""
import contextlib
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..files.atomic import temp_path_for
from ..files.images import read_image

FP32_TOLERANCE = 1e-4
FP16_TOLERANCE = 1e-2  # half precision alone rounds to about 1e-3 of the range
DEFAULT_OPSET = 17
CHECK_SIZE = 64  # side of the real-image crop the parity check runs on


class ExportError(RuntimeError):
    """The export failed or its output differs from PyTorch beyond the tolerance; nothing was written."""


@dataclass
class ExportReport:
    path: str
    max_difference: float
    tolerance: float
    check_shape: tuple


def check_image(path: Optional[str], multiple: int = 1) -> np.ndarray:
    """A real RGB uint8 image for the parity check: ``path``, or a crop of scikit-image's ``chelsea`` photo."""
    if path:
        image = read_image(path, order='rgb')
        image = np.dstack([image] * 3) if image.ndim == 2 else image[..., :3]
    else:
        from skimage import data

        image = data.chelsea()
        top, left = (image.shape[0] - CHECK_SIZE) // 2, (image.shape[1] - CHECK_SIZE) // 2
        image = image[top:top + CHECK_SIZE, left:left + CHECK_SIZE]
    height, width = image.shape[0] // multiple * multiple, image.shape[1] // multiple * multiple
    return np.ascontiguousarray(image[:height, :width])


def export_onnx(net: torch.nn.Module, path: str, fp16: bool = False, opset: int = DEFAULT_OPSET,
                image_path: Optional[str] = None) -> ExportReport:
    """Export ``net`` (from :func:`~.models.load_generator`, on the CPU) to ``path`` and check it with onnxruntime.

    Raises:
        ExportError: onnx / onnxruntime missing, the export failed, or the parity check failed (no file left).
    """
    try:
        import onnxruntime
    except ImportError:
        raise ExportError('ONNX export needs onnx and onnxruntime: pip install "bebygan-plugin[export]"') from None
    net = net.cpu().eval()
    multiple = getattr(net, 'size_multiple', 1)
    image = check_image(image_path, multiple)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    if getattr(net, 'in_channels', 3) == 1:
        x = x.mean(dim=1, keepdim=True)
    with torch.inference_mode():
        expected = net(x).numpy()
    exported = net.half() if fp16 else net
    dtype = torch.float16 if fp16 else torch.float32
    dummy = torch.rand(1, x.shape[1], 4 * multiple, 4 * multiple, dtype=dtype)
    tmp = temp_path_for(os.path.abspath(path))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        try:
            torch.onnx.export(exported, (dummy,), tmp, input_names=['input'], output_names=['output'],
                              dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                                            'output': {0: 'batch', 2: 'out_height', 3: 'out_width'}},
                              opset_version=opset, dynamo=False)
        except Exception as err:  # noqa: BLE001  (torch.onnx raises many types)
            raise ExportError(f'torch.onnx.export failed: {type(err).__name__}: {str(err)[:300]}') from None
        session = onnxruntime.InferenceSession(tmp, providers=['CPUExecutionProvider'])
        got = session.run(None, {'input': x.numpy().astype(np.float16 if fp16 else np.float32)})[0]
        difference = float(np.abs(got.astype(np.float32) - expected).max())
        tolerance = FP16_TOLERANCE if fp16 else FP32_TOLERANCE
        if not difference <= tolerance:
            raise ExportError(f'onnxruntime differs from PyTorch by {difference:.3g} on a {image.shape[1]}x'
                              f'{image.shape[0]} image (tolerance {tolerance:g}); the file was removed')
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if fp16:
            net.float()
    return ExportReport(path, difference, tolerance, tuple(image.shape))
