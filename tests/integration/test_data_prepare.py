"""bebygan-prepare end to end: LMDBs read back through BasicSR, real data, training from the LMDBs."""
import json
import re

import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
import cv2
import numpy as np
import torch
from tests.helpers.data_prepare import (assert_lr_close, expected_hr, expected_lr, mod_crop, psnr, read_pairs,
                          write_input_kinds)
from devtools.paths import SET5
from devtools.recipe import build_in_process, tiny_recipe

from bebygan_plugin.preparation.lmdb_writer import read_meta_info
from bebygan_plugin.preparation.lr_bicubic import bicubic_downsample
from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.preparation.subimages import crop_starts

META_LINE = re.compile(r'^[A-Za-z0-9_-]+\.png \(\d+,\d+,3\) 1$')


def prepare(*args) -> int:
    return prepare_main([str(a) for a in args])


def check_meta_info(lmdb_path) -> None:
    lines = (lmdb_path / 'meta_info.txt').read_text().splitlines()
    assert lines and all(META_LINE.match(line) for line in lines), lines[:3]


def test_every_input_kind_round_trips_through_paired_image_dataset(tmp_path):
    kinds = write_input_kinds(tmp_path / 'hr')
    assert prepare('--hr', tmp_path / 'hr', '--out', tmp_path / 'out', '--name', 'kinds', '--crop-size', 0,
                   '--workers', 1) == 0
    hr_lmdb, lr_lmdb = tmp_path / 'out' / 'kinds.lmdb', tmp_path / 'out' / 'kinds_x4.lmdb'
    check_meta_info(hr_lmdb)
    check_meta_info(lr_lmdb)
    pairs = read_pairs(hr_lmdb, lr_lmdb)
    assert sorted(pairs) == sorted(kinds)
    for path in (tmp_path / 'hr').iterdir():
        key = path.stem
        hr = mod_crop(expected_hr(str(path)))
        np.testing.assert_array_equal(pairs[key]['gt'], hr, err_msg=f'{kinds[key]}: HR pixels')
        assert_lr_close(pairs[key]['lq'], expected_lr(hr), f'{kinds[key]}: LR pixels')


def test_subimages_are_aligned_crops_of_the_whole_image_pair(tmp_path):
    write_input_kinds(tmp_path / 'hr')
    assert prepare('--hr', tmp_path / 'hr', '--out', tmp_path / 'out', '--crop-size', 32, '--step', 16,
                   '--workers', 1) == 0
    pairs = read_pairs(tmp_path / 'out' / 'hr_sub.lmdb', tmp_path / 'out' / 'hr_sub_x4.lmdb')
    source = tmp_path / 'hr' / 'rgb8.png'  # 61x83 -> 60x80 -> rows at 0,16,28; cols at 0,16,32,48
    hr = mod_crop(expected_hr(str(source)))
    lr = expected_lr(hr)
    rows, cols = crop_starts(60, 32, 16), crop_starts(80, 32, 16)
    assert rows == [0, 16, 28] and cols == [0, 16, 32, 48]
    boxes = [(r, c) for r in rows for c in cols]
    assert sorted(k for k in pairs if k.startswith('rgb8_')) == [f'rgb8_s{i:03d}' for i in range(1, 13)]
    for index, (top, left) in enumerate(boxes, start=1):
        pair = pairs[f'rgb8_s{index:03d}']
        np.testing.assert_array_equal(pair['gt'], hr[top:top + 32, left:left + 32])
        assert_lr_close(pair['lq'], lr[top // 4:top // 4 + 8, left // 4:left // 4 + 8], f'crop {index}')


def test_set5_round_trip_with_worker_pool(tmp_path):
    sources = sorted((SET5 / 'HR').glob('*.png'))
    assert prepare('--hr', SET5 / 'HR', '--out', tmp_path / 'out', '--name', 'Set5_sub', '--crop-size', 96,
                   '--step', 48, '--workers', 2) == 0
    hr_lmdb, lr_lmdb = tmp_path / 'out' / 'Set5_sub.lmdb', tmp_path / 'out' / 'Set5_sub_x4.lmdb'
    check_meta_info(hr_lmdb)
    assert [k for k, _, _ in read_meta_info(hr_lmdb)] == [k for k, _, _ in read_meta_info(lr_lmdb)]
    pairs = read_pairs(hr_lmdb, lr_lmdb)
    expected_keys = []
    for path in sources:
        hr = mod_crop(cv2.imread(str(path)))
        lr = expected_lr(hr)
        rows, cols = crop_starts(hr.shape[0], 96, 48), crop_starts(hr.shape[1], 96, 48)
        for index, (top, left) in enumerate([(r, c) for r in rows for c in cols], start=1):
            key = f'{path.stem}_s{index:03d}'
            expected_keys.append(key)
            h, w = min(96, hr.shape[0]), min(96, hr.shape[1])
            np.testing.assert_array_equal(pairs[key]['gt'], hr[top:top + h, left:left + w], err_msg=key)
            assert_lr_close(pairs[key]['lq'], lr[top // 4:(top + h) // 4, left // 4:(left + w) // 4], key)
    assert sorted(pairs) == sorted(expected_keys)
    info = json.loads((hr_lmdb / 'bebygan_prepare.json').read_text())
    assert info['entries'] == len(expected_keys) and info['map_growths'] == 0


def test_set5_regenerated_lr_matches_matlab_lr(capsys):
    hr_dir, lr_dir = SET5 / 'HR', SET5 / 'LR_bicubic' / 'X4'
    scores = {}
    for path in sorted(hr_dir.glob('*.png')):
        hr = mod_crop(cv2.imread(str(path)))
        matlab = cv2.imread(str(lr_dir / f'{path.stem}x4.png'))
        scores[path.stem] = psnr(bicubic_downsample(hr, 4), matlab)
    with capsys.disabled():
        print('\nSet5 regenerated LR vs MATLAB LR_bicubic/X4 (dB): '
              + ', '.join(f'{k} {v:.2f}' for k, v in scores.items()) + f'; mean {np.mean(list(scores.values())):.2f}')
    assert len(scores) == 5
    assert min(scores.values()) >= 48.0, scores


def test_bebygan_model_trains_from_the_lmdbs(tmp_path):
    from torch.utils.data import DataLoader

    from basicsr.data.paired_image_dataset import PairedImageDataset

    write_input_kinds(tmp_path / 'hr')
    assert prepare('--hr', tmp_path / 'hr', '--out', tmp_path / 'out', '--name', 'DF2K_HR_sub', '--crop-size', 32,
                   '--step', 16, '--workers', 1) == 0
    dataset = PairedImageDataset({
        'name': 'DF2K', 'type': 'PairedImageDataset', 'phase': 'train', 'scale': 4, 'gt_size': 32,
        'use_hflip': True, 'use_rot': True, 'io_backend': {'type': 'lmdb'},
        'dataroot_gt': str(tmp_path / 'out' / 'DF2K_HR_sub.lmdb'),
        'dataroot_lq': str(tmp_path / 'out' / 'DF2K_HR_sub_x4.lmdb')})
    loader = DataLoader(dataset, batch_size=2, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(0))
    opt = tiny_recipe('lmdb_smoke', **{'train.ema_decay': 0})
    model = build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'states')
    before = [p.detach().clone() for p in model.net_g.parameters()]
    batches = iter(loader)
    for current_iter in range(1, 4):
        batch = next(batches)
        assert batch['gt'].shape == (2, 3, 32, 32) and batch['lq'].shape == (2, 3, 8, 8)
        model.feed_data(batch)
        model.optimize_parameters(current_iter)
        model.update_learning_rate(current_iter)
        log = model.get_current_log()
        assert {'l_g_bb', 'l_g_bp', 'l_g_gan', 'l_d'} <= set(log)
        assert all(np.isfinite(v) for v in log.values()), log
    assert any(not torch.equal(a, b) for a, b in zip(before, model.net_g.parameters()))
