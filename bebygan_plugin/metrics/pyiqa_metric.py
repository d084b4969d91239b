"""Any pyiqa metric (e.g. the paper's PI, or NIQE / MUSIQ) as a BasicSR metric: ``type: calculate_pyiqa``.

Most pyiqa metrics download their weights on first use, so
run them once on a connected machine (pyiqa caches them) before evaluating offline.
"""
from functools import lru_cache

import numpy as np
import torch
from basicsr.metrics.metric_util import reorder_image
from basicsr.utils.registry import METRIC_REGISTRY


@lru_cache(maxsize=8)
def _pyiqa_metric(name: str, device: str):
    try:
        import pyiqa
    except ImportError as err:
        raise ImportError(f'calculate_pyiqa ({name}) needs pyiqa: pip install pyiqa') from err
    return pyiqa.create_metric(name, device=torch.device(device))


def _to_rgb_tensor(img: np.ndarray, input_order: str) -> torch.Tensor:
    img = reorder_image(img, input_order=input_order).astype(np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1))).unsqueeze(0)


@METRIC_REGISTRY.register()
def calculate_pyiqa(img: np.ndarray, img2: np.ndarray = None, metric_name: str = 'pi', crop_border: int = 0,
                    input_order: str = 'HWC', **kwargs) -> float:
    """pyiqa's ``metric_name`` on uint8 BGR images; no-reference metrics (pi, niqe) ignore ``img2``.

    Args:
        metric_name: pyiqa metric, e.g. 'pi' (the paper's), 'niqe', 'musiq'.
        crop_border: pixels cropped from each border first.
        input_order: 'HWC' or 'CHW'.
    """
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    metric = _pyiqa_metric(metric_name, device)
    tensors = [_to_rgb_tensor(x, input_order) for x in ((img,) if metric.metric_mode == 'NR' else (img, img2))]
    if crop_border:
        tensors = [t[..., crop_border:-crop_border, crop_border:-crop_border] for t in tensors]
    with torch.no_grad():
        return float(metric(*[t.to(device) for t in tensors]).item())
