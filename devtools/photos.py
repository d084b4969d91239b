"""Real photos as tensors: Set5 HR crops (``tests/data``) and ``skimage.data`` crops, as training batches or as
(estimate, GT) pairs for the best-buddy search."""
import torch

from .paths import SET5

# the photos of scikit-image the demo trains (five) and validates (chelsea) on
SKIMAGE_PHOTOS = ('astronaut', 'coffee', 'rocket', 'immunohistochemistry', 'hubble_deep_field', 'chelsea')


def skimage_image(name: str) -> torch.Tensor:
    """A ``skimage.data`` photo as an RGB ``(3, H, W)`` float32 tensor in [0, 1]."""
    import numpy as np
    from skimage import data

    img = np.ascontiguousarray(getattr(data, name)()[..., :3])
    return torch.from_numpy(img).permute(2, 0, 1).float().div(255)


def photo_batch(names=('astronaut', 'coffee'), gt_size: int = 64, scale: int = 4) -> dict:
    """Real photo crops (``skimage.data``) as a training batch: GT and its MATLAB-bicubic x``scale`` LR, 8-bit as
    the training data stores it."""
    import numpy as np
    from skimage import data

    from bebygan_plugin.ops.imresize import imresize_bicubic

    crops = [np.ascontiguousarray(getattr(data, name)()[64:64 + gt_size, 96:96 + gt_size, :3]) for name in names]
    gt = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div(255)
    return {'gt': gt, 'lq': imresize_bicubic(gt, 1 / scale).mul(255).round().clamp(0, 255).div(255)}


def set5_image(name: str) -> torch.Tensor:
    """A Set5 HR photo (``tests/data/Set5/HR/<name>.png``) as an RGB ``(3, H, W)`` float64 tensor in [0, 1]."""
    import cv2
    import numpy as np

    img = cv2.imread(str(SET5 / 'HR' / f'{name}.png'), cv2.IMREAD_COLOR)[..., ::-1]
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).double().div(255)


def photo_estimate_pair(batch: int, height: int, width: int, dtype=None, seed: int = 0):
    """``(pred, gt)``: ``batch`` real photo crops of Set5 as GT and, as the estimate, an independent image of the same
    scene: the crop shifted by (1, 2) pixels, halved with the bicubic S and bicubic-upsampled back (blurred and
    misaligned, like an SR output). The best buddies of such an estimate are mostly *other* GT patches, many from
    the coarser pyramid levels (unlike ``pred = gt + noise``, whose buddies are all the own GT patches)."""
    from torch.nn import functional as F

    from bebygan_plugin.ops.imresize import imresize_bicubic

    gen = torch.Generator().manual_seed(seed)
    names = ('butterfly', 'bird', 'baby', 'head', 'woman')
    preds, gts = [], []
    for i in range(batch):
        img = set5_image(names[(seed + i) % len(names)])
        top = int(torch.randint(img.shape[1] - height - 2, (1,), generator=gen))
        left = int(torch.randint(img.shape[2] - width - 3, (1,), generator=gen))
        gts.append(img[:, top:top + height, left:left + width])
        shifted = img[None, :, top + 1:top + 1 + height, left + 2:left + 2 + width]
        preds.append(F.interpolate(imresize_bicubic(shifted, 0.5), size=(height, width), mode='bicubic',
                                   align_corners=False)[0])
    dtype = dtype or torch.float64
    return torch.stack(preds).to(dtype), torch.stack(gts).to(dtype)
