"""``bebygan-prepare`` never destroys its input and ``--overwrite`` never leaves an old and a new LMDB side by side:
real SIGKILLs of a real ``bebygan-prepare --overwrite`` process before each rename of its publication and at random
moments; after each kill the final names hold one run's pair (or none for that moment), and the next run finishes
the publication. A mixed pair is refused by the training preflight."""
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import cv2
import pytest

from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.files.staged_outputs import run_id
from bebygan_plugin.preflight.datasets import check_dataset
from tests.helpers.data_prepare import listing, read_pairs, run_python, smooth_image
from devtools.paths import REPO_ROOT

OLD = ['--name', 'hr', '--crop-size', '0']
NEW = ['--name', 'hr', '--crop-size', '16', '--step', '8']  # other keys: an old/new mix is visible in the keys too
PUBLICATION_RENAMES = 4  # both old LMDBs aside, both new ones in


def prepare(*args) -> int:
    return prepare_main([str(a) for a in args])


def hr_folder(folder, count=3):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        cv2.imwrite(str(folder / f'img{index}.png'), smooth_image(40, 44, 3, index))
    return folder


@pytest.mark.parametrize('layout', ['out_is_input', 'out_inside_input', 'input_inside_output'])
def test_output_overlapping_an_input_is_refused_before_anything(tmp_path, capsys, layout):
    if layout == 'out_is_input':  # bebygan-prepare --hr out/X.lmdb --out out --name X
        hr, out, name = hr_folder(tmp_path / 'out' / 'X.lmdb'), tmp_path / 'out', 'X'
    elif layout == 'out_inside_input':
        hr, out, name = hr_folder(tmp_path / 'hr'), tmp_path / 'hr' / 'lmdb', 'X'
    else:
        hr, out, name = hr_folder(tmp_path / 'out' / 'X.lmdb' / 'images'), tmp_path / 'out', 'X'
    before = sorted(p.name for p in hr.iterdir())
    code = prepare('--hr', hr, '--out', out, '--name', name, '--overwrite', '--crop-size', 0, '--workers', 1)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f'the input {hr}' in err and 'choose an output path outside every input folder' in err
    assert sorted(p.name for p in hr.iterdir()) == before
    assert not any(n.endswith(('.incomplete', '.replaced', '_x4.lmdb')) for n in listing(out))


def _killed_run(hr, out, kill_before_rename: int) -> subprocess.CompletedProcess:
    """``bebygan-prepare --overwrite`` with NEW settings in a subprocess that SIGKILLs itself just before its
    ``kill_before_rename``-th publication rename (seen by an audit hook; 0: not killed)."""
    code = textwrap.dedent(f'''
        import os, signal, sys
        renames = []
        def kill_at_rename(event, args):
            if event == 'os.rename' and str(args[1]).endswith(('.lmdb', '.replaced')):
                renames.append(args[1])
                if len(renames) == {kill_before_rename}:
                    os.kill(os.getpid(), signal.SIGKILL)
        sys.addaudithook(kill_at_rename)
        from bebygan_plugin.preparation.cli import prepare_main
        sys.exit(prepare_main({[*map(str, ['--hr', hr, '--out', out, '--overwrite', '--workers', 1, *NEW])]!r}))
    ''')
    return run_python(code, timeout=300)


def _timed_kill(hr, out, delay: float) -> int:
    command = [sys.executable, '-c', 'import sys; from bebygan_plugin.preparation.cli import prepare_main; '
                                     'sys.exit(prepare_main(sys.argv[1:]))',
               *map(str, ['--hr', hr, '--out', out, '--overwrite', '--workers', 1, *NEW])]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return process.wait()


def keys(lmdb_folder) -> set:
    """The keys of an LMDB, from its meta_info.txt."""
    return {line.split(' ')[0] for line in (lmdb_folder / 'meta_info.txt').read_text().splitlines()}


def _assert_one_pair_or_none(out):
    hr_lmdb, lr_lmdb = out / 'hr.lmdb', out / 'hr_x4.lmdb'
    if hr_lmdb.exists() and lr_lmdb.exists():
        assert run_id(str(hr_lmdb)) == run_id(str(lr_lmdb)), 'an old and a new LMDB side by side'
        assert keys(hr_lmdb) == keys(lr_lmdb)


def test_sigkill_at_every_publication_rename_and_at_random_moments(tmp_path, capsys):
    hr = hr_folder(tmp_path / 'hr', count=12)
    assert prepare('--hr', hr, '--out', tmp_path / 'whole', '--workers', 1, *OLD) == 0
    started = time.monotonic()  # an uninterrupted run: how long the random kills may wait
    assert _killed_run(hr, tmp_path / 'whole', PUBLICATION_RENAMES + 1).returncode == 0
    duration = time.monotonic() - started
    seed = random.randrange(1 << 16)
    print(f'seed {seed}, an uninterrupted --overwrite run takes {duration:.1f} s')
    rng = random.Random(seed)
    kills = [('rename', k) for k in range(1, PUBLICATION_RENAMES + 1)] + [('time', rng.uniform(0.3, 1) * duration)
                                                                          for _ in range(2)]
    for kind, when in kills:
        out = tmp_path / f'out_{kind}_{when:.2f}'
        assert prepare('--hr', hr, '--out', out, '--workers', 1, *OLD) == 0
        old_id, old_keys = run_id(str(out / 'hr.lmdb')), keys(out / 'hr.lmdb')
        code = _killed_run(hr, out, when).returncode if kind == 'rename' else _timed_kill(hr, out, when)
        if kind == 'rename':
            assert code == -signal.SIGKILL, f'rename {when} was not reached'
        _assert_one_pair_or_none(out)
        capsys.readouterr()
        # the next run (without --overwrite) finishes the publication, or finds the old pair untouched
        code = prepare('--hr', hr, '--out', out, '--workers', 1, *NEW)
        output = capsys.readouterr()
        ids = run_id(str(out / 'hr.lmdb')), run_id(str(out / 'hr_x4.lmdb'))
        published = keys(out / 'hr.lmdb')
        assert ids[0] == ids[1] and published == keys(out / 'hr_x4.lmdb'), (kind, when, output)
        if ids[0] == old_id:
            assert code == 1 and '--overwrite' in output.err and published == old_keys, (kind, when, output)
        else:
            assert code == 0 and published != old_keys and all('_s' in key for key in published), (kind, when, output)
        assert not any(n.endswith(('.incomplete', '.replaced')) for n in listing(out)), listing(out)
        print(f'kill {kind} {when:.2f}: the {"old" if ids[0] == old_id else "new"} pair after the next run')
    pairs = read_pairs(out / 'hr.lmdb', out / 'hr_x4.lmdb')  # real HR/LR pairs (each LR the x4 of its HR)
    assert sorted(pairs) == sorted(name.rsplit('.', 1)[0] for name in published)


def test_training_preflight_refuses_lmdbs_of_two_runs(tmp_path):
    hr = hr_folder(tmp_path / 'hr', count=4)
    for out in ('a', 'b'):
        assert prepare('--hr', hr, '--out', tmp_path / out, '--workers', 1, *OLD) == 0
    mixed = tmp_path / 'mixed'
    mixed.mkdir()
    shutil.copytree(tmp_path / 'a' / 'hr.lmdb', mixed / 'hr.lmdb')
    shutil.copytree(tmp_path / 'b' / 'hr_x4.lmdb', mixed / 'hr_x4.lmdb')
    dataset = {'type': 'PairedImageDataset', 'dataroot_gt': str(mixed / 'hr.lmdb'),
               'dataroot_lq': str(mixed / 'hr_x4.lmdb'), 'io_backend': {'type': 'lmdb'}}
    problems = check_dataset('val', dataset, 4, 1)
    assert [p.where for p in problems] == ['datasets.val.dataroot_lq']
    assert 'two different preparation runs' in problems[0].message
    dataset['dataroot_lq'] = str(tmp_path / 'a' / 'hr_x4.lmdb')
    dataset['dataroot_gt'] = str(tmp_path / 'a' / 'hr.lmdb')
    assert check_dataset('val', dataset, 4, 1) == []
