"""Short training runs on Set5 crops, shared by the tests and the benchmarks: the crops and their bicubic LR, the
option file, a free port and the training script."""
import os
import socket
from os import path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SET5_HR = osp.join(REPO, 'tests', 'data', 'Set5', 'HR')
TRAIN_SCRIPT = osp.join(REPO, 'bebygan_plugin', 'train.py')
# crop name -> (Set5 image, where the crop's centre is, as fractions of the height and width)
CROPS = {f'{image}_{n}': (image, centre) for image in ('baby', 'bird', 'butterfly', 'head', 'woman')
         for n, centre in ((1, (0.5, 0.5)), (2, (0.3, 0.65)))}
CROP_NAMES = sorted(CROPS)  # 10: the tests train on the first 8 and validate on the last 2


def make_pairs(folder: str, names, gt_size: int = 32, scale: int = 4):
    """``folder/hr`` and ``folder/lr`` with the named ``gt_size`` crops of Set5 (:data:`CROPS`) and their bicubic LR."""
    import cv2
    import torch

    from bebygan_plugin import imresize_bicubic

    hr_dir, lr_dir = osp.join(folder, 'hr'), osp.join(folder, 'lr')
    os.makedirs(hr_dir, exist_ok=True)
    os.makedirs(lr_dir, exist_ok=True)
    for name in names:
        image, (fy, fx) = CROPS[name]
        img = cv2.imread(osp.join(SET5_HR, f'{image}.png'), cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        top, left = int(fy * h) - gt_size // 2, int(fx * w) - gt_size // 2
        hr = img[top:top + gt_size, left:left + gt_size]
        hr_t = torch.from_numpy(hr.astype('float32') / 255).permute(2, 0, 1)[None]
        lr = imresize_bicubic(hr_t, 1 / scale)[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
        cv2.imwrite(osp.join(hr_dir, f'{name}.png'), hr)
        cv2.imwrite(osp.join(lr_dir, f'{name}.png'), lr)
    return hr_dir, lr_dir


def write_options(path: str, opt: dict) -> str:
    import yaml

    with open(path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(opt, f, sort_keys=False)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
