"""bebygan-prepare --gt-only: what it writes is what BasicSR's RealESRGANDataset loads (LMDB and folder), and
Real-ESRGAN's multi-scale copies are made as its generate_multiscale_DF2K.py makes them (PIL Lanczos, sizes
truncated), on real photos (Set5)."""
import shutil

import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
import cv2
import numpy as np
import pytest
from basicsr.data.realesrgan_dataset import RealESRGANDataset
from PIL import Image
from devtools.paths import SET5

from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.preparation.gt_only import multiscale_sizes

# RealESRGANDataset's kernel options, as in Real-ESRGAN's train_realesrgan_x4plus.yml; no flips, so that an entry
# comes back as stored
KERNELS = dict(
    blur_kernel_size=21, kernel_list=['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso',
                                      'plateau_aniso'],
    kernel_prob=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob=0.1, blur_sigma=[0.2, 3], betag_range=[0.5, 4],
    betap_range=[1, 2], blur_kernel_size2=21, kernel_list2=['iso', 'aniso', 'generalized_iso', 'generalized_aniso',
                                                             'plateau_iso', 'plateau_aniso'],
    kernel_prob2=[0.45, 0.25, 0.12, 0.03, 0.12, 0.03], sinc_prob2=0.1, blur_sigma2=[0.2, 1.5],
    betag_range2=[0.5, 4], betap_range2=[1, 2], final_sinc_prob=0.8, use_hflip=False, use_rot=False)
CROP_PAD = 400  # RealESRGANDataset crops or reflect-pads every GT to this


def prepare(*args) -> int:
    return prepare_main([str(a) for a in args])


def real_esrgan_copies(path) -> dict:
    """Real-ESRGAN's generate_multiscale_DF2K.py, written out from its documented behaviour: PIL, Lanczos, the
    three factors with truncated sizes, then the shortest edge at 400."""
    img = Image.open(path)
    width, height = img.size
    copies = {}
    for index, factor in enumerate((0.75, 0.5, 1 / 3)):
        copies[f'T{index}'] = img.resize((int(width * factor), int(height * factor)), resample=Image.LANCZOS)
    if width < height:
        size = (400, int(400 * (height / width)))
    else:
        size = (int(400 * (width / height)), 400)
    copies['T3'] = img.resize(size, resample=Image.LANCZOS)
    return {name: np.asarray(copy)[..., ::-1] for name, copy in copies.items()}  # BGR like cv2


def dataset(root, io_backend, meta_info=None) -> RealESRGANDataset:
    opt = dict(KERNELS, dataroot_gt=str(root), io_backend={'type': io_backend})
    if meta_info is not None:
        opt['meta_info'] = str(meta_info)
    return RealESRGANDataset(opt)


def loaded_gt(ds: RealESRGANDataset, index: int) -> np.ndarray:
    """Entry ``index`` as uint8 BGR, the reflect padding to 400 cut off again (entries here are <= 400)."""
    rgb = ds[index]['gt'].numpy().transpose(1, 2, 0)
    return np.round(rgb[..., ::-1] * 255).astype(np.uint8)


@pytest.mark.parametrize('fmt', ['lmdb', 'folder'])
def test_realesrgan_dataset_loads_every_entry_with_its_pixels(tmp_path, capsys, fmt):
    hr = tmp_path / 'hr'
    hr.mkdir()
    for name in ('baby', 'woman'):  # 512x512 (cut into sub-images) and 344x228 (portrait, kept whole)
        shutil.copy(SET5 / 'HR' / f'{name}.png', hr)
    assert prepare('--gt-only', '--multiscale', '--format', fmt, '--hr', hr, '--out', tmp_path / 'out',
                   '--workers', 1) == 0
    root = tmp_path / 'out' / ('hr_multiscale_sub.lmdb' if fmt == 'lmdb' else 'hr_multiscale_sub')
    assert prepare('--gt-only', '--multiscale', '--format', fmt, '--hr', hr, '--out', tmp_path / 'out',
                   '--workers', 1) == 0  # a re-run with the same images and settings
    assert 'nothing to do' in capsys.readouterr().out
    lines = (root / 'meta_info.txt').read_text().splitlines()
    ds = dataset(root, 'lmdb') if fmt == 'lmdb' else dataset(root, 'disk', root / 'meta_info.txt')
    assert len(ds) == len(lines)

    expected = {}
    for name in ('baby', 'woman'):
        expected[name] = cv2.imread(str(hr / f'{name}.png'), cv2.IMREAD_COLOR)
        expected.update({f'{name}{k}': v for k, v in real_esrgan_copies(hr / f'{name}.png').items()})
    # baby 512 -> 400-crops at 0 and 112 (flush with the far edge); T0 384, T1 256, T2 170, T3 400: whole
    boxes = {'baby_s001': (0, 0), 'baby_s002': (0, 112), 'baby_s003': (112, 0), 'baby_s004': (112, 112)}
    keys = sorted(line.split('.')[0] for line in lines)
    whole = ['babyT0', 'babyT1', 'babyT2', 'babyT3', 'woman', 'womanT0', 'womanT1', 'womanT2']  # sides <= 400
    assert keys == sorted(list(boxes) + [f'{k}_s001' for k in whole]
                          + [f'womanT3_s{i:03d}' for i in (1, 2, 3)])  # T3: 603x400, rows at 0, 200, 203
    for index, line in enumerate(lines):
        key = line.split('.')[0]
        gt = loaded_gt(ds, index)
        assert gt.shape == (CROP_PAD, CROP_PAD, 3)
        if key in boxes:
            top, left = boxes[key]
            want = expected['baby'][top:top + 400, left:left + 400]
        elif key.startswith('womanT3_s'):
            top = (0, 200, 203)[int(key[-3:]) - 1]
            want = expected['womanT3'][top:top + 400]
        else:
            want = expected[key[:-len('_s001')]]
        height, width = want.shape[:2]
        assert f'({height},{width},3)' in line
        np.testing.assert_array_equal(gt[:height, :width], want, err_msg=key)


def test_multiscale_sizes_are_real_esrgans():
    # a DIV2K-sized landscape image and a portrait one: truncated factors, then the shortest edge at 400
    assert multiscale_sizes(1356, 2040) == [(1017, 1530), (678, 1020), (452, 680), (400, 601)]
    assert multiscale_sizes(344, 228) == [(258, 171), (172, 114), (114, 76), (603, 400)]


def test_a_corrupt_image_is_named_and_skip_bad_leaves_it_out(tmp_path, capsys):
    hr = tmp_path / 'hr'
    hr.mkdir()
    shutil.copy(SET5 / 'HR' / 'bird.png', hr)
    data = (SET5 / 'HR' / 'head.png').read_bytes()
    (hr / 'head.png').write_bytes(data[:len(data) // 2])
    assert prepare('--gt-only', '--hr', hr, '--out', tmp_path / 'out', '--workers', 1) == 1
    assert str(hr / 'head.png') in capsys.readouterr().err
    assert not (tmp_path / 'out' / 'hr_sub.lmdb').exists()
    assert prepare('--gt-only', '--format', 'folder', '--hr', hr, '--out', tmp_path / 'out', '--workers', 1,
                   '--skip-bad') == 0
    assert str(hr / 'head.png') in capsys.readouterr().out
    assert (tmp_path / 'out' / 'hr_sub' / 'meta_info.txt').read_text().split() == ['bird_s001.png', '(288,288,3)', '1']


def test_keys_that_collide_with_the_multiscale_names_stop_the_run_before_writing(tmp_path, capsys):
    hr = tmp_path / 'hr'
    hr.mkdir()
    shutil.copy(SET5 / 'HR' / 'bird.png', hr / 'a.png')
    shutil.copy(SET5 / 'HR' / 'head.png', hr / 'aT0.png')
    assert prepare('--gt-only', '--multiscale', '--hr', hr, '--out', tmp_path / 'out', '--workers', 1) == 1
    err = capsys.readouterr().err
    assert "'aT0_s001'" in err and str(hr / 'a.png') in err and str(hr / 'aT0.png') in err
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('args, message', [
    (['--gt-only', '--scale', '4'], '--scale has no meaning with --gt-only'),
    (['--multiscale'], '--multiscale needs --gt-only'),
    (['--format', 'folder'], '--format needs --gt-only'),
])
def test_flags_that_do_not_fit_are_refused(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        prepare(*args, '--hr', SET5 / 'HR', '--out', tmp_path / 'out')
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
