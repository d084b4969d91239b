"""bebygan-prepare on bad inputs, interrupted runs and re-runs."""
import json
import pickle
import shutil
import textwrap

import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
import cv2
import numpy as np
import pytest
from tests.helpers.data_prepare import expected_hr, listing, mod_crop, read_pairs, run_python, smooth_image
from devtools.paths import SET5

from bebygan_plugin.preparation import lmdb_writer, prepare_df2k
from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.preparation.image_rules import normalize_image
from bebygan_plugin.files.images import BadImageError


def prepare(*args) -> int:
    return prepare_main([str(a) for a in args])


def good_folder(folder, count=3, size=(40, 44)):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        cv2.imwrite(str(folder / f'img{index}.png'), smooth_image(size[0], size[1], 3, index))
    return folder


def truncated_png(path, seed=99):
    """Valid header (the pre-check passes), broken pixel data (only decoding finds it)."""
    ok, buf = cv2.imencode('.png', smooth_image(40, 44, 3, seed))
    data = buf.tobytes()
    path.write_bytes(data[:len(data) // 2])


def assert_nothing_published(out):
    names = listing(out)
    assert not any(n.endswith('.lmdb') or n.endswith('.incomplete') for n in names), names


def test_corrupt_file_stops_the_run_with_its_name(tmp_path, capsys):
    hr = good_folder(tmp_path / 'hr')
    truncated_png(hr / 'img1b.png')
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--workers', 1, '--crop-size', 0) == 1
    err = capsys.readouterr().err
    assert str(hr / 'img1b.png') in err and 'cannot be decoded' in err and '--skip-bad' in err
    assert_nothing_published(tmp_path / 'out')


def test_skip_bad_leaves_out_and_reports_the_corrupt_file(tmp_path, capsys):
    hr = good_folder(tmp_path / 'hr')
    truncated_png(hr / 'img1b.png')
    (hr / 'notes.txt').write_text('not an image')
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--workers', 2, '--crop-size', 0, '--skip-bad') == 0
    out = capsys.readouterr().out
    assert 'Skipped 1 bad image' in out and str(hr / 'img1b.png') in out and 'notes.txt' in out
    pairs = read_pairs(tmp_path / 'out' / 'hr.lmdb', tmp_path / 'out' / 'hr_x4.lmdb')
    assert sorted(pairs) == ['img0', 'img1', 'img2']
    info = json.loads((tmp_path / 'out' / 'hr_x4.lmdb' / 'bebygan_prepare.json').read_text())
    assert info['skipped'] == [str(hr / 'img1b.png')]


def test_unreadable_files_are_all_refused_before_any_work(tmp_path, capsys, monkeypatch):
    hr = good_folder(tmp_path / 'hr')
    (hr / 'empty.png').write_bytes(b'')
    (hr / 'text.jpg').write_text('hello')
    cv2.imwrite(str(hr / 'tiny.png'), smooth_image(3, 9, 3, 0))  # 3 rows: nothing left after the crop to x4
    (hr / 'head300.png').write_bytes((SET5 / 'HR' / 'baby.png').read_bytes()[:300])  # `head -c 300 a.png`

    def must_not_run(task):
        raise AssertionError('processing started despite bad inputs')

    monkeypatch.setattr(prepare_df2k, 'make_pairs', must_not_run)
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--workers', 1) == 1
    err = capsys.readouterr().err
    assert '4 input image(s) cannot be used' in err
    for name in ('empty.png', 'text.jpg', 'tiny.png', 'head300.png'):
        assert str(hr / name) in err
    assert 'is only 3x9 pixels' in err
    assert f'{hr / "head300.png"}: cannot be decoded' in err
    assert not (tmp_path / 'out').exists()


def test_a_truncated_png_late_in_the_list_stops_the_pool_run_before_anything_is_written(tmp_path, capsys):
    """Its header is intact, so only decoding finds it; the worker pool decodes every file before the first write."""
    hr = good_folder(tmp_path / 'hr', count=6)
    truncated_png(hr / 'zz_last.png')
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--workers', 2, '--crop-size', 16, '--step', 8) == 1
    err = capsys.readouterr().err
    assert '1 input image(s) cannot be used' in err and f'{hr / "zz_last.png"}: cannot be decoded' in err
    assert not (tmp_path / 'out').exists()


def test_transparent_rgba_is_refused_unless_an_alpha_policy_is_chosen(tmp_path, capsys):
    hr = good_folder(tmp_path / 'hr', count=1)
    rgba = np.dstack([smooth_image(40, 44, 3, 5), smooth_image(40, 44, 1, 6)])
    cv2.imwrite(str(hr / 'logo.png'), rgba)
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--workers', 1, '--crop-size', 0) == 1
    err = capsys.readouterr().err
    assert str(hr / 'logo.png') in err and 'transparency' in err and '--alpha' in err
    assert_nothing_published(tmp_path / 'out')
    flattened = {}
    for policy in ('white', 'black', 'drop'):
        out = tmp_path / f'out_{policy}'
        assert prepare('--hr', hr, '--out', out, '--workers', 1, '--crop-size', 0, '--alpha', policy) == 0
        flattened[policy] = read_pairs(out / 'hr.lmdb', out / 'hr_x4.lmdb')['logo']['gt']
        np.testing.assert_array_equal(flattened[policy], mod_crop(expected_hr(str(hr / 'logo.png'), policy)))
    assert not np.array_equal(flattened['white'], flattened['black'])


def test_unsupported_pixel_types_name_the_file():
    with pytest.raises(BadImageError, match=r'x\.tif: has float32 pixels.*8-bit PNG'):
        normalize_image(np.zeros((8, 8, 3), np.float32), 'x.tif')
    with pytest.raises(BadImageError, match=r'y\.png: has an unsupported pixel layout'):
        normalize_image(np.zeros((8, 8, 2), np.uint8), 'y.png')


def test_key_collisions_are_refused_naming_both_files(tmp_path, capsys):
    hr = good_folder(tmp_path / 'hr', count=1)
    cv2.imwrite(str(hr / 'img0.jpg'), smooth_image(40, 44, 3, 1))
    assert prepare('--hr', hr, '--out', tmp_path / 'out') == 1
    err = capsys.readouterr().err
    assert str(hr / 'img0.jpg') in err and str(hr / 'img0.png') in err and "'img0'" in err
    other = good_folder(tmp_path / 'hr2', count=1)
    hr.joinpath('img0.jpg').unlink()
    assert prepare('--hr', hr, other, '--out', tmp_path / 'out', '--name', 'both') == 1
    assert str(other / 'img0.png') in capsys.readouterr().err


def test_bad_options_are_refused_before_reading_anything(tmp_path, capsys):
    with pytest.raises(SystemExit):
        prepare('--hr', tmp_path, '--out', tmp_path / 'out', '--crop-size', 30, '--step', 16)
    assert 'multiples of the scale' in capsys.readouterr().err
    assert prepare('--hr', tmp_path / 'missing', '--out', tmp_path / 'out') == 1
    assert 'does not exist' in capsys.readouterr().err


def test_killed_run_leaves_no_complete_looking_lmdb_and_rerun_recovers(tmp_path, capsys):
    hr = good_folder(tmp_path / 'hr', count=4)
    out = tmp_path / 'out'
    code = textwrap.dedent(f'''
        import os, runpy, signal, sys
        import bebygan_plugin.preparation.lmdb_writer as w
        put_many, calls = w.LmdbWriter.put_many, []
        def put_then_die(self, entries):
            put_many(self, entries)
            calls.append(1)
            if len(calls) == 3:  # HR and LR of image 1, HR of image 2 written
                os.kill(os.getpid(), signal.SIGKILL)
        w.LmdbWriter.put_many = put_then_die
        sys.argv = ['prepare_df2k.py', '--hr', {str(hr)!r}, '--out', {str(out)!r}, '--crop-size', '0',
                    '--workers', '1']
        runpy.run_path('scripts/prepare_df2k.py', run_name='__main__')
    ''')
    proc = run_python(code)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert listing(out) == ['hr.lmdb.incomplete', 'hr_x4.lmdb.incomplete']
    assert not (out / 'hr.lmdb').exists() and not (out / 'hr_x4.lmdb').exists()
    assert prepare('--hr', hr, '--out', out, '--crop-size', 0, '--workers', 1) == 0
    assert 'left by an interrupted run' in capsys.readouterr().out
    assert listing(out) == ['hr.lmdb', 'hr_x4.lmdb']
    assert sorted(read_pairs(out / 'hr.lmdb', out / 'hr_x4.lmdb')) == ['img0', 'img1', 'img2', 'img3']


def test_ctrl_c_removes_partial_output(tmp_path, monkeypatch, capsys):
    hr = good_folder(tmp_path / 'hr', count=3)
    put_many = lmdb_writer.LmdbWriter.put_many

    def put_then_interrupt(self, entries):
        put_many(self, entries)
        if len(self.keys) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(lmdb_writer.LmdbWriter, 'put_many', put_then_interrupt)
    assert prepare('--hr', hr, '--out', tmp_path / 'out', '--crop-size', 0, '--workers', 1) == 130
    assert 'interrupted' in capsys.readouterr().err
    assert listing(tmp_path / 'out') == []


def test_rerun_is_a_no_op_and_changed_settings_need_overwrite(tmp_path, capsys):
    hr, out = good_folder(tmp_path / 'hr'), tmp_path / 'out'
    args = ['--hr', hr, '--out', out, '--crop-size', 0, '--workers', 1]
    assert prepare(*args) == 0
    stamp = (out / 'hr.lmdb' / 'data.mdb').stat().st_mtime_ns
    capsys.readouterr()
    assert prepare(*args) == 0
    assert 'nothing to do' in capsys.readouterr().out
    assert (out / 'hr.lmdb' / 'data.mdb').stat().st_mtime_ns == stamp
    assert prepare('--hr', hr, '--out', out, '--name', 'hr', '--crop-size', 16, '--step', 8, '--workers', 1) == 1
    assert '--overwrite' in capsys.readouterr().err
    assert prepare('--hr', hr, '--out', out, '--name', 'hr', '--crop-size', 16, '--step', 8, '--workers', 1,
                   '--overwrite') == 0
    assert listing(out) == ['hr.lmdb', 'hr_x4.lmdb']
    assert all('_s0' in key for key in read_pairs(out / 'hr.lmdb', out / 'hr_x4.lmdb'))
    shutil.rmtree(out / 'hr_x4.lmdb')  # as if killed between the two final renames
    assert prepare('--hr', hr, '--out', out, '--name', 'hr', '--crop-size', 16, '--step', 8, '--workers', 1) == 0
    assert listing(out) == ['hr.lmdb', 'hr_x4.lmdb']


def test_lmdb_map_grows_when_the_estimate_is_too_small(tmp_path, monkeypatch):
    hr, out = good_folder(tmp_path / 'hr', count=4, size=(160, 160)), tmp_path / 'out'
    monkeypatch.setattr(prepare_df2k, 'lmdb_map_size', lambda sizes: 16 * 4096)
    assert prepare('--hr', hr, '--out', out, '--crop-size', 0, '--workers', 1) == 0
    info = json.loads((out / 'hr.lmdb' / 'bebygan_prepare.json').read_text())
    assert info['map_growths'] >= 1
    pairs = read_pairs(out / 'hr.lmdb', out / 'hr_x4.lmdb')
    for key in ('img0', 'img3'):
        np.testing.assert_array_equal(pairs[key]['gt'], expected_hr(str(hr / f'{key}.png')))


def test_map_size_bound_covers_incompressible_images(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (97, 131, 3), dtype=np.uint8)
    for level in (0, 1, 9):
        ok, buf = cv2.imencode('.png', noise, [cv2.IMWRITE_PNG_COMPRESSION, level])
        assert len(buf) <= lmdb_writer.png_size_bound(97, 131)
    writer = lmdb_writer.LmdbWriter(str(tmp_path / 'x.lmdb'), lmdb_writer.lmdb_map_size([(8, len(buf))] * 20), 1)
    writer.put_many([(f'k{i}', buf.tobytes(), (97, 131, 3)) for i in range(20)])
    writer.close()
    assert writer.map_growths == 0


def test_tasks_and_results_survive_pickling_for_spawned_workers(tmp_path):
    """What ``spawn`` needs: the worker function pickles by reference, tasks and results (errors too) by value."""
    hr = good_folder(tmp_path / 'hr', count=1)
    truncated_png(hr / 'bad.png')
    settings = prepare_df2k.PairSettings(crop_size=16, step=8)
    assert pickle.loads(pickle.dumps(prepare_df2k.make_pairs)) is prepare_df2k.make_pairs
    for name in ('img0.png', 'bad.png'):
        task = pickle.loads(pickle.dumps(prepare_df2k.PairTask(str(hr / name), name[:-4], settings)))
        result = pickle.loads(pickle.dumps(prepare_df2k.make_pairs(task)))
        if name == 'bad.png':
            assert isinstance(result.error, BadImageError) and result.error.path == str(hr / name)
            assert str(result.error).startswith(f'{hr / name}: cannot be decoded')
        else:
            assert result.error is None and len(result.hr) == len(result.lr) == 20


def test_spawned_workers_give_the_same_lmdb_as_one_process(tmp_path):
    """The start method of macOS and Windows: each worker imports torch and basicsr itself (the slowest test of
    this file, about 10 s on an idle 2-core machine); one pool serves the decode check and the work."""
    hr = good_folder(tmp_path / 'hr', count=3)
    for method, workers in (('spawn', 2), (None, 1)):
        extra = ['--start-method', method] if method else []
        assert prepare('--hr', hr, '--out', tmp_path / f'out_{workers}', '--name', 'x', '--crop-size', 16,
                       '--step', 8, '--workers', workers, *extra) == 0
    one = read_pairs(tmp_path / 'out_1' / 'x.lmdb', tmp_path / 'out_1' / 'x_x4.lmdb')
    two = read_pairs(tmp_path / 'out_2' / 'x.lmdb', tmp_path / 'out_2' / 'x_x4.lmdb')
    assert sorted(one) == sorted(two) and len(one) == 3 * 20
    for key in one:
        np.testing.assert_array_equal(one[key]['gt'], two[key]['gt'])
        np.testing.assert_array_equal(one[key]['lq'], two[key]['lq'])
