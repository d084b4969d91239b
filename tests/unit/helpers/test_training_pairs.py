"""Self-test of the Set5 training pairs that ``tests/helpers/training_runs.py`` builds."""
from os import path as osp

from tests.helpers.training_runs import CROP_NAMES, make_pairs


def test_make_pairs_builds_x4_pairs(tmp_path):
    """The helper's LR images are the bicubic x4 of its HR crops (sizes and content), and the crops differ."""
    import cv2
    import numpy as np

    hr_dir, lr_dir = make_pairs(str(tmp_path), CROP_NAMES)
    crops = [cv2.imread(osp.join(hr_dir, f'{name}.png')) for name in CROP_NAMES]
    assert all(not np.array_equal(a, b) for i, a in enumerate(crops) for b in crops[i + 1:])
    for name in CROP_NAMES:
        hr = cv2.imread(osp.join(hr_dir, f'{name}.png'))
        lr = cv2.imread(osp.join(lr_dir, f'{name}.png'))
        assert hr.shape == (32, 32, 3) and lr.shape == (8, 8, 3)
        block_means = hr.reshape(8, 4, 8, 4, 3).mean(axis=(1, 3))
        assert np.abs(block_means - lr.astype(float)).mean() < 12  # bicubic ~ local average, not noise
