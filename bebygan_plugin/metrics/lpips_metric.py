"""LPIPS (Zhang et al. 2018), the paper's main perceptual metric, as a BasicSR metric (``type: calculate_lpips``)."""
from functools import lru_cache

import numpy as np
import torch
from basicsr.metrics.metric_util import reorder_image
from basicsr.utils.registry import METRIC_REGISTRY

# ImageNet backbone files torchvision loads for LPIPS; offline they must be placed in $TORCH_HOME/hub/checkpoints.
LPIPS_BACKBONE_FILES = {'vgg': 'vgg16-397923af.pth', 'alex': 'alexnet-owt-7be5be79.pth'}


@lru_cache(maxsize=4)
def _lpips_model(net: str, device: str):
    import lpips

    try:
        model = lpips.LPIPS(net=net, verbose=False)
    except OSError as err:  # urllib's URLError is an OSError: no network and no cached backbone
        raise FileNotFoundError(
            f'LPIPS-{net} needs torchvision ImageNet weights {LPIPS_BACKBONE_FILES.get(net, net)!r}; download it on '
            f'a connected machine and place it in {torch.hub.get_dir()}/checkpoints/ (or remove calculate_lpips '
            f'from val.metrics)') from err
    return model.eval().to(device)


def _to_lpips_tensor(img: np.ndarray, input_order: str) -> torch.Tensor:
    """uint8 BGR HWC (BasicSR's validation images) -> RGB NCHW in [-1, 1]."""
    img = reorder_image(img, input_order=input_order).astype(np.float32) / 255.0
    rgb = np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1))
    return torch.from_numpy(rgb).unsqueeze(0) * 2 - 1


@METRIC_REGISTRY.register()
def calculate_lpips(img: np.ndarray, img2: np.ndarray, crop_border: int = 0, input_order: str = 'HWC',
                    net: str = 'vgg', **kwargs) -> float:
    """LPIPS distance (lower is better) between two uint8 BGR images, with ``net`` 'vgg' as in the paper.

    Args:
        crop_border: pixels cropped from each border first.
        input_order: 'HWC' or 'CHW'.
        net: LPIPS backbone, 'vgg' (the paper) or 'alex'.
    """
    if img.shape != img2.shape:
        raise ValueError(f'calculate_lpips: image shapes differ: {img.shape} vs {img2.shape}')
    a, b = _to_lpips_tensor(img, input_order), _to_lpips_tensor(img2, input_order)
    if crop_border:
        a = a[..., crop_border:-crop_border, crop_border:-crop_border]
        b = b[..., crop_border:-crop_border, crop_border:-crop_border]
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    with torch.no_grad():
        return float(_lpips_model(net, device)(a.to(device), b.to(device)).item())
