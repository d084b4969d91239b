"""files/image_folders: the one listing and name pairing of image folders (preflight, bebygan-eval, bebygan-prepare)."""
import bebygan_plugin  # noqa: F401  (compat patches before basicsr)
from basicsr.utils import scandir

from bebygan_plugin.files.image_folders import images_by_key, list_files, pair_by_owner, template_name


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b'')


def test_list_files_is_basicsr_scandir_and_can_show_hidden(tmp_path):
    _touch(tmp_path, 'b.png', 'a.png', '._a.png', 'notes.txt')
    (tmp_path / 'sub').mkdir()
    _touch(tmp_path / 'sub', 'c.png')
    assert list_files(str(tmp_path)) == sorted(scandir(str(tmp_path), recursive=False))  # BasicSR as the oracle
    assert list_files(str(tmp_path)) == ['a.png', 'b.png', 'notes.txt']
    assert list_files(str(tmp_path), hidden=True) == ['._a.png', 'a.png', 'b.png', 'notes.txt']


def test_images_by_key_groups_images_that_share_a_key(tmp_path):
    _touch(tmp_path, 'a.png', 'a.jpg', 'b x.png', 'readme.md', '._a.png')
    groups, ignored = images_by_key(str(tmp_path))
    assert groups == {'a': [str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')], 'b_x': [str(tmp_path / 'b x.png')]}
    assert ignored == [str(tmp_path / '._a.png'), str(tmp_path / 'readme.md')]


def test_template_name_is_basicsr_filename_tmpl():
    assert template_name('0001.png', '{}x4') == '0001x4.png'
    assert template_name('sub/0001.png', '{}') == 'sub/0001.png'


def test_pair_by_owner_reports_missing_double_and_extra():
    owned, extra = pair_by_owner(['a', 'ax4', 'c', 'z'], lambda lq: {'a': 'a', 'ax4': 'a', 'c': 'c'}.get(lq))
    assert owned == {'a': ['a', 'ax4'], 'c': ['c']}
    assert extra == ['z']
