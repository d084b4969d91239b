"""No option file runs code: a real YAML with ``!!python/object/apply:os.system ["touch x"]`` given to every entry
point that reads option files (and BasicSR's own ``basicsr/train.py`` through the ``.pth`` hook) exits 2 with a
message naming the file, the line and the tag, and ``x`` is never created. ``bebygan-train`` and ``basicsr/train.py``
run as real processes, the other entry points in the test's process (the same code, without 4 s of start-up each).
``--force_yml`` values are YAML, never ``eval()``."""
import importlib
import os
import shutil
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import basicsr
import pytest
import yaml

from bebygan_plugin.files.option_files import CodeInOptionFileError, load_option_yaml, parse_override_value
from bebygan_plugin.run_control.command_line import apply_force_yml
from tests.helpers import training_runs as support
from devtools.paths import SET5
from devtools.recipe import set5_recipe
from tests.helpers.cli import console_exit

TAG = '!!python/object/apply:os.system'


def _hostile_yaml(folder: Path, opt: dict) -> Path:
    """``opt`` as YAML with its ``name`` replaced by the os.system tag (on line 1)."""
    body = yaml.safe_dump({k: v for k, v in opt.items() if k != 'name'}, sort_keys=False)
    path = folder / 'x.yml'
    path.write_text(f'name: {TAG} ["touch x"]\n{body}')
    return path


def _run(args, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, BEBYGAN_OFFLINE='1', CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([support.REPO, env.get('PYTHONPATH', '')])
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


PROCESSES = {  # command lines of a real process
    'bebygan-train': ['-m', 'bebygan_plugin.train', '-opt', 'x.yml'],
    'basicsr/train.py': ['basicsr/train.py', '-opt', 'x.yml'],
}
IN_PROCESS = {  # console script: module, function, arguments
    'bebygan-test': ('bebygan_plugin.test', 'main', ['-opt', 'x.yml']),
    'bebygan-infer': ('bebygan_plugin.inference.cli', 'infer_main',
                      ['-i', str(SET5 / 'LR_bicubic' / 'X4'), '-o', 'out', '-m', 'x.yml']),
    'bebygan-eval': ('bebygan_plugin.evaluation.cli', 'main',
                     ['-o', 'report', '--dataset', f'Set5={SET5 / "HR"}', '--model', 'NAME=x.yml']),
}


@pytest.mark.parametrize('entry', sorted(PROCESSES) + sorted(IN_PROCESS))
def test_python_tag_is_refused_and_not_run(entry, tmp_path, monkeypatch, capsys):
    opt = set5_recipe('hostile', str(tmp_path / 'pairs'), total_iter=2)
    opt['path']['pretrain_network_g'] = None
    _hostile_yaml(tmp_path, opt)
    if entry == 'basicsr/train.py':  # BasicSR's own script in a checkout rooted here; the plugin comes by the hook
        (tmp_path / 'basicsr').mkdir()
        shutil.copy(Path(basicsr.__file__).parent / 'train.py', tmp_path / 'basicsr' / 'train.py')
    if entry in PROCESSES:
        result = _run(PROCESSES[entry], tmp_path)
        code, output = result.returncode, result.stdout + result.stderr
    else:
        module, function, args = IN_PROCESS[entry]
        monkeypatch.chdir(tmp_path)
        code = console_exit(getattr(importlib.import_module(module), function), *args, monkeypatch=monkeypatch)
        output = ''.join(capsys.readouterr())
    assert not (tmp_path / 'x').exists(), 'the option file ran a command'
    assert code == 2, output
    assert f'x.yml line 1: the tag {TAG} would run Python code; option files may not run code' in output
    assert 'Traceback' not in output
    assert not (tmp_path / 'experiments').exists() and not (tmp_path / 'results').exists()


def test_safe_loader_reads_what_basicsr_files_use():
    text = 'name: a\nlr: !!float 2e-4\nnone_value: ~\nbase: &b {x: 1}\nmerged: {<<: *b, y: 2}\nlist: [1, 2]\n'
    loaded = load_option_yaml(text)
    assert isinstance(loaded, OrderedDict) and list(loaded) == ['name', 'lr', 'none_value', 'base', 'merged', 'list']
    assert loaded['lr'] == 2e-4 and loaded['none_value'] is None and dict(loaded['merged']) == {'x': 1, 'y': 2}
    for shipped in sorted((Path(support.REPO) / 'options').glob('*.yml')):  # the same values as PyYAML's full loader
        with open(shipped, encoding='utf-8') as f:
            full = yaml.load(f, Loader=yaml.FullLoader)  # noqa: S506 - a shipped file, compared with the safe one
        assert load_option_yaml(shipped.read_text(encoding='utf-8')) == full, shipped.name


def test_force_yml_values_are_yaml_never_eval(tmp_path):
    marker = tmp_path / 'evaluated'
    opt = {'name': 'a', 'train': {'ema_decay': 0.9}, 'datasets': {'train': {'gt_size': 32}}}
    problems = apply_force_yml(opt, [f'name=[__import__("os").system("touch {marker}")]',
                                     'train:ema_decay=!!float 1e-3', 'datasets:train:gt_size=[1, 2]'])
    assert not marker.exists()
    assert opt['train']['ema_decay'] == 1e-3 and opt['datasets']['train']['gt_size'] == [1, 2]
    assert problems == [] or all('not valid YAML' in p.message for p in problems)
    assert parse_override_value('none') is None and parse_override_value('5') == 5
    with pytest.raises(CodeInOptionFileError):
        parse_override_value('!!python/object/apply:os.system ["true"]')
    bad_key = apply_force_yml(opt, ['name"];__import__("os").system("touch x");opt["b=1'])
    assert bad_key and 'plain option names' in bad_key[0].message
