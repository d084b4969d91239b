"""Validation images in TensorBoard (issue 23): a real training run with ``logger.use_tb_logger`` writes, at each
validation, one strip ``LR (upscaled) | SR | GT | texture mask`` per validation image (the first four), read back
here from the event file with TensorBoard's own reader and compared panel by panel with the images themselves: the
validation LR and GT files, the SR image BasicSR saved from the same validation, and the texture mask (Eq. 5) of
the GT."""
import os

import cv2
import numpy as np
import pytest
import torch

from bebygan_plugin.ops.texture_mask import texture_mask
from tests.helpers import training_runs as support
from devtools.recipe import run_training, set5_recipe

event_accumulator = pytest.importorskip('tensorboard.backend.event_processing.event_accumulator')


def _rgb(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.int16)


def test_each_validation_writes_lr_sr_gt_mask_strips_to_tensorboard(tmp_path):
    support.make_pairs(str(tmp_path / 'train'), support.CROP_NAMES[:4])
    support.make_pairs(str(tmp_path / 'val'), support.CROP_NAMES[8:10])
    opt = set5_recipe('strips', str(tmp_path / 'train'), str(tmp_path / 'val'), total_iter=2, val_freq=2,
                      save_img=True, **{'logger.use_tb_logger': True})
    run_training(opt, tmp_path)

    reader = event_accumulator.EventAccumulator(str(tmp_path / 'tb_logger' / 'strips'),
                                                size_guidance={event_accumulator.IMAGES: 0})
    reader.Reload()
    names = support.CROP_NAMES[8:10]
    assert sorted(reader.Tags()['images']) == [f'val_strips/tiny_val/{name}' for name in names]
    assert {'losses/l_g_bb', 'losses/l_d', 'metrics/tiny_val/psnr'} <= set(reader.Tags()['scalars'])
    for name in names:
        events = reader.Images(f'val_strips/tiny_val/{name}')
        # the validation at iteration 2 and BasicSR's one after training (at its loop's last count, 2 or 3)
        assert len(events) == 2 and events[0].step == 2 and events[1].step in (2, 3)
        image = cv2.imdecode(np.frombuffer(events[-1].encoded_image_string, np.uint8), cv2.IMREAD_COLOR)
        image = image[:, :, ::-1].astype(np.int16)
        assert image.shape == (32, 4 * 32, 3)
        lr, sr, gt, mask = (image[:, 32 * i:32 * (i + 1)] for i in range(4))
        expected_lr = np.repeat(np.repeat(_rgb(tmp_path / 'val' / 'lr' / f'{name}.png'), 4, 0), 4, 1)
        visualization = tmp_path / 'experiments' / 'strips' / 'visualization'
        saved_sr = sorted(visualization.rglob(f'{name}_{events[-1].step}.png'))
        assert len(saved_sr) == 1, saved_sr
        expected_sr = _rgb(saved_sr[0])
        expected_gt = _rgb(tmp_path / 'val' / 'hr' / f'{name}.png')
        gt_tensor = torch.from_numpy(expected_gt.astype(np.float32) / 255).permute(2, 0, 1)[None]
        expected_mask = (texture_mask(gt_tensor)[0, 0].numpy() * 255)[:, :, None]
        for got, want in ((lr, expected_lr), (sr, expected_sr), (gt, expected_gt), (mask, expected_mask)):
            assert np.abs(got - want).max() <= 1  # TensorBoard truncates to 8 bits, the PNGs round
        assert 0 < (mask > 127).mean() < 1  # textured and flat pixels both present


def test_wandb_offline_receives_the_strips_through_its_tensorboard_sync(tmp_path):
    """BasicSR starts wandb with ``sync_tensorboard=True``: the strips reach the wandb run (offline mode: written
    to the run folder, nothing sent)."""
    pytest.importorskip('wandb')
    support.make_pairs(str(tmp_path / 'train'), support.CROP_NAMES[:4])
    support.make_pairs(str(tmp_path / 'val'), support.CROP_NAMES[8:10])
    opt = set5_recipe('strips_wandb', str(tmp_path / 'train'), str(tmp_path / 'val'), total_iter=2, val_freq=2,
                      **{'logger.use_tb_logger': True, 'logger.wandb': {'project': 'bebygan-test'}})
    env = {'WANDB_MODE': 'offline', 'WANDB_DIR': str(tmp_path), 'WANDB_SILENT': 'true'}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        run_training(opt, tmp_path)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    runs = list((tmp_path / 'wandb').glob('offline-run-*'))
    assert len(runs) == 1
    images = sorted((runs[0] / 'files' / 'media' / 'images').rglob('*.png'))
    assert len(images) == 4  # 2 strips x 2 validations (wandb names the files by their content hash)
    assert all(cv2.imread(str(path)).shape == (32, 128, 3) for path in images)
    records = b''.join(path.read_bytes() for path in runs[0].glob('*.wandb'))  # the offline run's history
    for name in support.CROP_NAMES[8:10]:
        assert f'val_strips/tiny_val/{name}'.encode() in records
