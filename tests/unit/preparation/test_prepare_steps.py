"""The single-step tools (sub-images, LR, LMDB from pairs), the building blocks, and the command wrappers."""
import runpy
import sys
from importlib import metadata

import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
import cv2
import numpy as np
import pytest
from tests.helpers.data_prepare import listing, read_pairs, smooth_image, write_input_kinds
from devtools.paths import REPO_ROOT, SET5

from bebygan_plugin.preparation.cli import create_lmdb_main, prepare_main
from bebygan_plugin.preparation.cli import extract_subimages_main as extract_main
from bebygan_plugin.preparation.cli import generate_lr_bicubic_main as generate_lr_main
from bebygan_plugin.preparation.image_files import image_key
from bebygan_plugin.preparation.subimages import crop_starts


def call(main, *args) -> int:
    return main([str(a) for a in args])


@pytest.mark.parametrize('length', [480, 481, 700, 719, 720, 1356, 2040])
@pytest.mark.parametrize('thresh', [0, 24])
def test_crop_positions_follow_basicsr_recipe(length, thresh):
    basicsr_rule = list(np.arange(0, length - 480 + 1, 240))
    if length - (basicsr_rule[-1] + 480) > thresh:
        basicsr_rule.append(length - 480)
    assert crop_starts(length, 480, 240, thresh) == [int(v) for v in basicsr_rule]


def test_short_sides_are_kept_whole():
    assert crop_starts(176, 480, 240) == [0]
    assert crop_starts(480, 480, 240) == [0]


def test_keys_are_safe_for_basicsr_meta_info():
    assert image_key('0001.png') == '0001'
    assert image_key('0001x4.png', 'x4') == '0001'
    assert image_key('x4.png', 'x4') == 'x4'
    assert image_key('my photo.v2 (1).JPG') == 'my_photo_v2__1_'
    assert image_key('café.png') == 'caf_'


def test_separate_steps_give_the_same_lmdbs_as_the_one_pass_command(tmp_path):
    """generate_lr_bicubic -> extract_subimages (HR and LR) -> create_lmdb == bebygan-prepare."""
    kinds = write_input_kinds(tmp_path / 'hr')
    assert call(generate_lr_main, '--hr', tmp_path / 'hr', '--out', tmp_path / 'lr', '--hr-out', tmp_path / 'hr_mod',
                '--suffix', 'x4', '--workers', 1) == 0
    assert listing(tmp_path / 'lr') == sorted(f'{k}x4.png' for k in kinds)
    assert call(extract_main, '--input', tmp_path / 'hr_mod', '--output', tmp_path / 'hr_sub', '--crop-size', 32,
                '--step', 16, '--workers', 2) == 0
    assert call(extract_main, '--input', tmp_path / 'lr', '--output', tmp_path / 'lr_sub', '--crop-size', 8,
                '--step', 4, '--strip-suffix', 'x4', '--workers', 1) == 0
    assert listing(tmp_path / 'hr_sub') == listing(tmp_path / 'lr_sub')
    assert call(create_lmdb_main, '--input', tmp_path / 'hr_sub', tmp_path / 'lr_sub', '--output',
                tmp_path / 'steps' / 'hr.lmdb', tmp_path / 'steps' / 'lr.lmdb', '--scale', 4, '--workers', 2) == 0
    assert call(prepare_main, '--hr', tmp_path / 'hr', '--out', tmp_path / 'one', '--name', 'p', '--crop-size', 32,
                '--step', 16, '--workers', 1) == 0
    steps = read_pairs(tmp_path / 'steps' / 'hr.lmdb', tmp_path / 'steps' / 'lr.lmdb')
    one = read_pairs(tmp_path / 'one' / 'p.lmdb', tmp_path / 'one' / 'p_x4.lmdb')
    assert sorted(steps) == sorted(one)
    for key in one:
        np.testing.assert_array_equal(steps[key]['gt'], one[key]['gt'], err_msg=key)
        np.testing.assert_array_equal(steps[key]['lq'], one[key]['lq'], err_msg=key)


def test_create_lmdb_from_the_set5_benchmark_pairs(tmp_path):
    hr_dir, lr_dir = SET5 / 'HR', SET5 / 'LR_bicubic' / 'X4'
    assert call(create_lmdb_main, '--input', hr_dir, lr_dir, '--output', tmp_path / 'Set5.lmdb',
                tmp_path / 'Set5_x4.lmdb', '--strip-suffix', 'x4', '--scale', 4, '--workers', 1) == 0
    pairs = read_pairs(tmp_path / 'Set5.lmdb', tmp_path / 'Set5_x4.lmdb')
    assert sorted(pairs) == ['baby', 'bird', 'butterfly', 'head', 'woman']
    for key, pair in pairs.items():
        np.testing.assert_array_equal(pair['gt'], cv2.imread(str(hr_dir / f'{key}.png')))
        np.testing.assert_array_equal(pair['lq'], cv2.imread(str(lr_dir / f'{key}x4.png')))


def test_create_lmdb_refuses_mismatched_pairs_naming_the_files(tmp_path, capsys):
    hr, lr = tmp_path / 'hr', tmp_path / 'lr'
    hr.mkdir()
    lr.mkdir()
    cv2.imwrite(str(hr / 'a.png'), smooth_image(32, 32, 3, 0))
    cv2.imwrite(str(lr / 'a.png'), smooth_image(8, 7, 3, 0))
    cv2.imwrite(str(hr / 'b.png'), smooth_image(32, 32, 3, 1))
    args = ['--output', tmp_path / 'h.lmdb', tmp_path / 'l.lmdb', '--workers', 1]
    assert call(create_lmdb_main, '--input', hr, lr, *args) == 1
    assert "only in the first ['b']" in capsys.readouterr().err
    cv2.imwrite(str(lr / 'b.png'), smooth_image(8, 8, 3, 1))
    assert call(create_lmdb_main, '--input', hr, lr, *args, '--scale', 4) == 1
    err = capsys.readouterr().err
    assert str(hr / 'a.png') in err and str(lr / 'a.png') in err and 'must be 8x8' in err
    assert listing(tmp_path) == ['hr', 'lr']
    with pytest.raises(SystemExit):
        call(create_lmdb_main, '--input', hr, '--output', tmp_path / 'not_lmdb')
    assert 'must end with .lmdb' in capsys.readouterr().err


def test_folder_outputs_are_published_whole_and_not_overwritten_silently(tmp_path, capsys):
    hr = tmp_path / 'hr'
    write_input_kinds(hr)
    data = cv2.imencode('.png', smooth_image(20, 20, 3, 0))[1].tobytes()
    (hr / 'zz_broken.png').write_bytes(data[:len(data) // 2])
    assert call(generate_lr_main, '--hr', hr, '--out', tmp_path / 'lr', '--workers', 1) == 1
    assert str(hr / 'zz_broken.png') in capsys.readouterr().err
    assert listing(tmp_path) == ['hr']
    assert call(generate_lr_main, '--hr', hr, '--out', tmp_path / 'lr', '--workers', 1, '--skip-bad') == 0
    assert 'zz_broken.png' not in ' '.join(listing(tmp_path / 'lr'))
    assert call(generate_lr_main, '--hr', hr, '--out', tmp_path / 'lr', '--workers', 1, '--skip-bad') == 1
    assert '--overwrite' in capsys.readouterr().err
    assert call(generate_lr_main, '--hr', hr, '--out', tmp_path / 'lr', '--workers', 1, '--skip-bad',
                '--overwrite') == 0
    lr = cv2.imread(str(tmp_path / 'lr' / 'gray16.png'), cv2.IMREAD_UNCHANGED)
    assert lr.dtype == np.uint8 and lr.shape == (13, 10, 3)
    assert np.ptp(lr, axis=2).max() == 0  # gray replicated to three equal channels


@pytest.mark.parametrize('script', ['prepare_df2k', 'extract_subimages', 'generate_lr_bicubic', 'create_lmdb'])
def test_scripts_are_thin_runnable_wrappers(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [f'{script}.py', '--help'])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(REPO_ROOT / 'scripts' / f'{script}.py'), run_name='__main__')
    assert exit_info.value.code == 0
    assert '--workers' in capsys.readouterr().out


def test_console_script_is_declared():
    try:
        entry = [e for e in metadata.entry_points(group='console_scripts') if e.name == 'bebygan-prepare']
    except Exception:  # pragma: no cover - metadata backends differ
        entry = []
    if not entry:
        pytest.skip('bebygan-plugin is not installed (pip install -e .)')
    assert entry[0].value == 'bebygan_plugin.preparation.cli:prepare_main'
    assert entry[0].load() is prepare_main
