"""The output-path checks every writing command runs first: what they accept, what they name, and that they
create nothing."""
import os

import pytest

from bebygan_plugin.files.paths import output_file_problems, output_folder_problems


def listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob('*'))


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'afile').write_text('x')
    (tmp_path / 'adir').mkdir()
    (tmp_path / 'adir' / 'old.pth').write_bytes(b'x')
    return tmp_path


def test_writable_places_pass_and_nothing_is_created(tree):
    before = listing(tree)
    assert output_folder_problems(str(tree / 'adir')) == []
    assert output_folder_problems(str(tree / 'new' / 'deeper')) == []
    assert output_file_problems(str(tree / 'adir' / 'old.pth')) == []  # replaced
    assert output_file_problems(str(tree / 'new' / 'net.pth')) == []
    assert listing(tree) == before


@pytest.mark.parametrize('check, path, message', [
    (output_folder_problems, 'afile', '{root}/afile is a file, but an output folder is expected here; remove the '
                                      'file or choose another folder'),
    (output_folder_problems, 'afile/sub/x', 'cannot create output folder {root}/afile/sub/x: {root}/afile is a '
                                            'file, not a folder; remove it or choose another path'),
    (output_file_problems, 'adir', '{root}/adir is a folder, but an output file is expected here; give a file name, '
                                   'e.g. {root}/adir/net_g.pth'),
    (output_file_problems, 'afile/net.pth', 'cannot write {root}/afile/net.pth: {root}/afile is a file, not a '
                                            'folder; remove it or choose another path'),
])
def test_a_file_or_folder_in_the_way_is_named_with_the_fix(tree, check, path, message):
    before = listing(tree)
    kwargs = {'example': 'net_g.pth'} if check is output_file_problems else {}
    problems = check(str(tree / path), '-o', **kwargs)
    assert [str(p) for p in problems] == ['-o: ' + message.format(root=tree)]
    assert listing(tree) == before


@pytest.mark.skipif(not os.path.isdir('/proc/self'), reason='needs Linux /proc')
def test_a_folder_that_cannot_be_written():
    """``/proc`` accepts no new files, yet ``os.access`` says it is writable to root (the tests run as root): the
    check creates a file to find out."""
    assert 'output folder /proc is not writable; fix its permissions' in str(output_folder_problems('/proc')[0])
    assert 'cannot create output folder /proc/x: /proc is not writable' in str(output_folder_problems('/proc/x')[0])
    assert 'cannot write /proc/net.pth: its folder /proc is not writable' in str(
        output_file_problems('/proc/net.pth')[0])
