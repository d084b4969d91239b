"""Any pyiqa metric as a BasicSR metric: ``type: calculate_pyiqa`` with ``metric_name`` (``pi``, ``dists``,
``topiq_fr``, ``musiq``, ``clipiqa``, or any other name pyiqa knows).

pyiqa downloads its weights on first use. For the metrics of
``bebygan_plugin.metrics.weight_downloads.PYIQA_METRIC_FILES`` the
start-up checks (``bebygan-train`` / ``-test`` / ``-eval``) name the missing files and where they go before any
work; creating such a metric without them raises :class:`FileNotFoundError` with the same message.
"""
from functools import lru_cache
import numpy as np
import torch
from basicsr.metrics.metric_util import reorder_image
from basicsr.utils.registry import METRIC_REGISTRY

# Options given to pyiqa.create_metric beyond its defaults. topiq_fr: its checkpoint holds the whole network,
# ResNet-50 backbone included (loaded strictly), so the ImageNet backbone timm would download first is skipped.
CREATE_OPTIONS = {'topiq_fr': {'backbone_pretrain': False}}


@lru_cache(maxsize=8)
def _pyiqa_metric(name: str, device: str):
    """``pyiqa.create_metric(name, **CREATE_OPTIONS[name])`` on ``device``, created once."""
    try:
        import pyiqa
    except ImportError as err:
        raise ImportError(f'calculate_pyiqa ({name}) needs pyiqa: pip install pyiqa') from err
    from .weight_downloads import PYIQA_METRIC_FILES, pyiqa_problems

    if name in PYIQA_METRIC_FILES:
        problems = pyiqa_problems(name, f'calculate_pyiqa({name})')
        if problems:
            raise FileNotFoundError(str(problems[0]))
    return pyiqa.create_metric(name, device=torch.device(device), **CREATE_OPTIONS.get(name, {}))


def _to_rgb_tensor(img: np.ndarray, input_order: str) -> torch.Tensor:
    img = reorder_image(img, input_order=input_order).astype(np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1))).unsqueeze(0)


@METRIC_REGISTRY.register()
def calculate_pyiqa(img: np.ndarray, img2: np.ndarray = None, metric_name: str = 'pi', crop_border: int = 0,
                    input_order: str = 'HWC', **kwargs) -> float:
    """pyiqa's ``metric_name`` on uint8 BGR images; no-reference metrics (pi, niqe, musiq, clipiqa) ignore ``img2``.

    Args:
        metric_name: pyiqa metric, e.g. 'pi' (the paper's), 'niqe', 'dists', 'topiq_fr', 'musiq', 'clipiqa'.
        crop_border: pixels cropped from each border first (pyiqa's PI shaves 4 more itself).
        input_order: 'HWC' or 'CHW'.
    """
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    metric = _pyiqa_metric(metric_name, device)
    tensors = [_to_rgb_tensor(x, input_order) for x in ((img,) if metric.metric_mode == 'NR' else (img, img2))]
    if crop_border:
        tensors = [t[..., crop_border:-crop_border, crop_border:-crop_border] for t in tensors]
    with torch.no_grad():
        return float(metric(*[t.to(device) for t in tensors]).item())
