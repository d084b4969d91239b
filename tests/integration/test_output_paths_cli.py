"""Every writing command checks its output path before any work: a file where a folder goes, a folder where a file
goes, a parent that cannot be created -> exit status 2, one line naming the path and the fix, nothing created.
And model files that are not weight files say what they are."""
import pytest
import torch
from basicsr.archs.rrdbnet_arch import RRDBNet

from bebygan_plugin.preparation.cli import prepare_main
from bebygan_plugin.evaluation.cli import main as eval_main
from bebygan_plugin.inference.cli import convert_main, export_main, infer_main, interpolate_main
from devtools.paths import SET5
from tests.helpers.cli import exit_status

LR = SET5 / 'LR_bicubic' / 'X4' / 'babyx4.png'


def listing(root):
    return sorted((str(p.relative_to(root)), p.is_dir()) for p in root.rglob('*'))


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A working folder with a tiny model, a file ``afile`` and a folder ``adir``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    torch.save({'params': RRDBNet(3, 3, num_feat=8, num_block=1, num_grow_ch=4).state_dict()}, 'tiny.pth')
    (tmp_path / 'afile').write_text('x')
    (tmp_path / 'adir').mkdir()
    return tmp_path


FILE_IN_THE_WAY = 'afile is a file, but an output folder is expected here; remove the file or choose another folder'
UNDER_A_FILE = 'cannot create output folder afile/sub: {root}/afile is a file, not a folder; remove it or choose ' \
               'another path'
CASES = [
    ('infer, -o a file', infer_main, ['-i', LR, '-m', 'tiny.pth', '-o', 'afile'], '-o: ' + FILE_IN_THE_WAY),
    ('infer, -o under a file', infer_main, ['-i', LR, '-m', 'tiny.pth', '-o', 'afile/sub'], '-o: ' + UNDER_A_FILE),
    ('eval, -o under a file', eval_main, ['--dataset', f'Set5={SET5 / "HR"}', '--bicubic', '-o', 'afile/sub'],
     '-o: ' + UNDER_A_FILE),
    ('eval, -o a file', eval_main, ['--dataset', f'Set5={SET5 / "HR"}', '--bicubic', '-o', 'afile'],
     '-o: ' + FILE_IN_THE_WAY),
    ('convert, -o a folder', convert_main, ['tiny.pth', '-o', 'adir'],
     '-o: adir is a folder, but an output file is expected here; give a file name, e.g. adir/net_g.pth'),
    ('interpolate, -o under a file', interpolate_main, ['tiny.pth', 'tiny.pth', '--alpha', '0.5', '-o', 'afile/x.pth'],
     '-o: cannot write afile/x.pth: {root}/afile is a file, not a folder; remove it or choose another path'),
    ('export, -o a folder', export_main, ['-m', 'tiny.pth', '-o', 'adir'],
     '-o: adir is a folder, but an output file is expected here; give a file name, e.g. adir/model.onnx'),
    ('prepare, --out a file', prepare_main, ['--hr', SET5 / 'HR', '--out', 'afile'], '--out: ' + FILE_IN_THE_WAY),
]


@pytest.mark.parametrize('main, argv, message', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_output_paths_stop_every_command_before_any_work(place, capsys, main, argv, message):
    before = listing(place)
    assert exit_status(main, *argv) == 2
    err = capsys.readouterr().err
    assert f'  - {message.format(root=place)}\n' in err and err.count('\n  - ') == 1, err
    assert 'Traceback' not in err
    assert listing(place) == before


def test_infer_names_an_output_file_that_is_a_folder(place, capsys):
    (place / 'out' / 'babyx4.png').mkdir(parents=True)
    assert exit_status(infer_main, '-i', LR, '-m', 'tiny.pth', '-o', 'out') == 2
    assert 'out/babyx4.png: is a folder, but the output of' in capsys.readouterr().err


@pytest.mark.parametrize('content, message', [
    ('these are my notes\n', "notes.pth: is not a PyTorch weight file: it is a text file starting 'these are my "
                             "notes'; pass a generator checkpoint (.pth / .safetensors) or an option file (.yml)"),
    ('', 'notes.pth: is not a PyTorch weight file: it is an empty file'),
])
def test_a_file_that_is_not_a_weight_file_says_what_it_is(place, capsys, content, message):
    (place / 'notes.pth').write_text(content)
    assert exit_status(infer_main, '-i', LR, '-m', 'notes.pth', '-o', 'out') == 2
    assert message in capsys.readouterr().err
    assert not (place / 'out').exists()


def test_a_whole_pickled_model_is_named_with_the_way_to_convert_it(place, capsys):
    net = RRDBNet(3, 3, num_feat=8, num_block=1, num_grow_ch=4)
    torch.save(net, 'whole.pth')
    assert exit_status(infer_main, '-i', LR, '-m', 'whole.pth', '-o', 'out') == 2
    err = capsys.readouterr().err
    assert ('whole.pth: cannot be loaded safely: it holds a pickled basicsr.archs.rrdbnet_arch.RRDBNet object (a '
            'whole model saved with torch.save(model))') in err
    assert 'download' not in err
    command = err.split('save its weights once: python -c "')[1].split('" and pass')[0]
    exec(command)  # noqa: S102 - the advice works as printed
    assert exit_status(infer_main, '-i', LR, '-m', 'net_g.pth', '-o', 'out') == 0


def test_an_unknown_architecture_says_why_spandrel_refused_it(place, capsys):
    pytest.importorskip('spandrel')
    torch.save({'foo.weight': torch.zeros(3, 3)}, 'other.pth')
    assert exit_status(infer_main, '-i', LR, '-m', 'other.pth', '-o', 'out') == 2
    err = capsys.readouterr().err
    assert 'spandrel does not recognise it either (its tensor names match none of the' in err
    assert ': )' not in err
