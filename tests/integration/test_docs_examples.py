"""The command examples of README.md and docs/*.md are tests (issue 24): every fenced ``bash`` block runs, command by
command and with its own flags, in a fresh folder holding tiny stand-ins at the paths it names
(``tests/helpers/doc_example_data.py`` lists each stand-in); a block marked ``<!-- needs: ... -->`` (a GPU, weights
that cannot be downloaded, hours of data) is only checked: its programs exist and its flags are in their ``--help``.
A flag, key, path or command renamed in the code, or a doc example that no longer runs, fails here.

Programs run in this process (their imports are paid once), except ``torch.distributed.run``, which starts
processes. ``pip install`` is never run: its extras must be declared in setup.py. The option-file fragments of the
docs (``yaml`` blocks) are checked too: written into the recipe, they pass the option checks.
"""
from pathlib import Path

import pytest
import yaml

from devtools.paths import DIST_VARS
from tests.helpers import doc_examples as docs
from tests.helpers.doc_example_data import copy_world, make_paper_generator, make_world
from tests.helpers.random_weights import place_random_vgg16

EXAMPLES = docs.collect(docs.doc_pages())
OUTPUT_FLAGS = ('-o', '--output', '--out')


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """The examples run on tiny images: one intra-op thread (two threads on a busy 2-core machine made the paper's
    generator ten times slower here, waiting on each other at every small convolution)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def world(tmp_path_factory, random_vgg16_file):
    """The stand-ins (tiny and paper-shape generators) and a ``TORCH_HOME`` with a random VGG16, made once."""
    from bebygan_plugin.metrics import lpips_metric

    root = tmp_path_factory.mktemp('doc_world')
    make_world(root / 'tiny')
    place_random_vgg16(root / 'torch_home', random_vgg16_file)
    lpips_metric._lpips_model.cache_clear()  # LPIPS built once, from this TORCH_HOME
    yield root
    lpips_metric._lpips_model.cache_clear()


@pytest.fixture(scope='module')
def paper_generator(world):
    return make_paper_generator(world / 'paper' / 'net_g_paper_shape.pth')


@pytest.fixture
def doc_cwd(tmp_path, monkeypatch, world):
    """The folder a block runs in, offline, with the world's ``TORCH_HOME``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(world / 'torch_home'))
    for var in DIST_VARS:
        monkeypatch.delenv(var, raising=False)
    return tmp_path / 'work'


def outputs(program: docs.Program):
    """The files and folders a command says it writes (its ``-o`` / ``--output`` / ``--out`` values)."""
    return [program.args[i + 1] for i, arg in enumerate(program.args[:-1]) if arg in OUTPUT_FLAGS]


def run_command(command: docs.Command, cwd: Path, monkeypatch) -> None:
    program = docs.resolve(command.argv)
    if program.kind == 'pip':
        assert docs.unknown_extras(program) == [], command.text
        return
    env = {name: value.replace('$PWD', str(cwd)) for name, value in command.env.items()}
    if program.kind == 'module' and program.target == docs.DISTRIBUTED_LAUNCHER:
        status, output = docs.run_subprocess(command, cwd, env, timeout=300)
    else:
        assert program.kind in ('console', 'module', 'script'), f'{command.text}: mark the block with what it needs'
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(cwd)
        status, output = docs.call(program, program.args)
    assert status == 0, f'{command.text}\nexited with status {status}:\n{output[-4000:]}'
    missing = [path for path in outputs(program) if not (cwd / path).exists()]
    assert missing == [], f'{command.text}\nexited with 0 but did not write {missing}:\n{output[-2000:]}'


def run_sequence(example: docs.Example) -> tuple:
    """What a block runs, in order (``pip install`` is never run)."""
    return tuple(c.text for c in example.commands if c.argv[0] != 'pip')


def covering_block(example: docs.Example):
    """A later block that runs the same commands first (then more): it runs them, this block need not."""
    sequence = run_sequence(example)
    for other in EXAMPLES:
        longer = run_sequence(other)
        if other is not example and not other.needs and len(longer) > len(sequence) and \
                longer[:len(sequence)] == sequence:
            return other
    return None


@pytest.mark.parametrize('example', EXAMPLES, ids=[e.id() for e in EXAMPLES])
def test_doc_example(example: docs.Example, request, monkeypatch):
    assert example.commands, f'{example.id()}: an empty bash block'
    if example.needs:
        problems = [p for command in example.commands for p in docs.check(command)]
        assert problems == [], f'{example.id()} (needs: {example.needs}): {problems}'
        return
    if covering_block(example) is not None:  # run by test_doc_example[<that block>]
        return
    cwd = request.getfixturevalue('doc_cwd')
    runs_test_yaml = any(c.argv[0] == 'bebygan-test' for c in example.commands)
    world = request.getfixturevalue('world')
    made = [path for command in example.commands if command.argv[0] != 'pip'
            for path in outputs(docs.resolve(command.argv))]
    copy_world(world / 'tiny', cwd, request.getfixturevalue('paper_generator') if runs_test_yaml else None, made)
    for command in example.commands:
        run_command(command, cwd, monkeypatch)


OPTION_BLOCKS = [b for page in docs.doc_pages() for b in docs.fenced_blocks(page) if b.language in docs.YAML_LANGUAGES]


def keys_given_twice(text: str) -> list:
    """Keys written twice in one mapping of a YAML text (YAML keeps the last one silently), from its node graph."""
    twice, todo = [], [yaml.compose(text)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            keys = [key.value for key, _ in node.value]
            twice += sorted({k for k in keys if keys.count(k) > 1})
            todo += [value for _, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return twice


def merged(base: dict, fragment: dict) -> dict:
    """``fragment`` written into ``base`` as a user copies it into an option file: sections merge, a component of
    another ``type`` replaces the one there."""
    for key, value in fragment.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and \
                value.get('type', base[key].get('type')) == base[key].get('type'):
            merged(base[key], value)
        else:
            base[key] = value
    return base


@pytest.mark.parametrize('block', OPTION_BLOCKS, ids=[b.id() for b in OPTION_BLOCKS])
def test_doc_option_fragment_is_valid_in_its_option_file(block: docs.Block):
    """An option-file fragment of the docs, written into the shipped option file it belongs to (the recipe, or the
    file a ``<!-- options: FILE -->`` marker just before its fence names), passes the option checks of its keys and
    values: a key renamed in the code, or a value the rules no longer allow, fails here."""
    from bebygan_plugin.schema import check_options

    text = '\n'.join(block.lines)
    assert keys_given_twice(text) == [], f'{block.id()}: a key given twice in one mapping'
    fragment = yaml.safe_load(text)
    if fragment is None:  # only comments (e.g. the yaml-language-server line)
        return
    assert isinstance(fragment, dict), f'{block.id()}: not a mapping of option keys'
    option_file = docs.REPO_ROOT / block.option_file
    base = yaml.safe_load(option_file.read_text(encoding='utf-8'))
    problems = check_options(merged(base, fragment), is_train=not option_file.name.startswith('test_'),
                             whole_run=False)  # what a whole run needs beyond these keys is the rest of the file
    assert [str(p) for p in problems] == [], f'{block.id()}, written into {block.option_file}'


def test_markers_mark_shell_blocks():
    assert docs.stray_markers(docs.doc_pages()) == []


# --- the checker itself ------------------------------------------------------------------------------------------

def _page(tmp_path, text: str) -> Path:
    page = tmp_path / 'page.md'
    page.write_text(text, encoding='utf-8')
    return page


def test_collector_reads_markers_continuations_comments_and_chains(tmp_path):
    page = _page(tmp_path, '# Page\n\n<!-- needs: gpu -->\n```bash\n'
                           'bebygan-infer -i a.png \\\n    -o out/ -m m.pth   # a comment\n'
                           '# a comment line\nOMP_NUM_THREADS=1 pip install -e ".[test]" && python -m pytest -q\n'
                           '```\n\n```python\nprint(1)\n```\n\n```bash\nbebygan-eval --help\n```\n'
                           '````markdown\n```bash\nbebygan-nothing  # a sample inside a sample: not a command\n```\n'
                           '````\n')
    first, second = docs.collect([page])
    assert (first.line, first.needs, second.line, second.needs) == (4, 'gpu', 15, None)
    assert [c.argv for c in first.commands] == [['bebygan-infer', '-i', 'a.png', '-o', 'out/', '-m', 'm.pth'],
                                                ['pip', 'install', '-e', '.[test]'], ['python', '-m', 'pytest', '-q']]
    assert first.commands[1].env == {'OMP_NUM_THREADS': '1'}


def test_a_renamed_flag_an_unknown_program_and_an_unknown_extra_are_reported(tmp_path):
    page = _page(tmp_path, '<!-- needs: gpu -->\n```bash\n'
                           'bebygan-infer -i a.png -o out/ -m m.pth --tiles 256 --tile-pad 10\n'
                           'pip install -e ".[interchange,exports]"\n```\n'
                           '<!-- needs: gpu -->\n```bash\nbebygan-upscale -i a.png\n```\n'
                           '<!-- needs gpu -->\n```bash\nbebygan-infer --help\n```\n')
    renamed, unknown, _ = docs.collect([page])
    assert [p for c in renamed.commands for p in docs.check(c)] == ["bebygan-infer --tiles",
                                                                  "pip install extra 'exports'"]
    with pytest.raises(AssertionError, match='bebygan-upscale.*not a console script'):
        docs.check(unknown.commands[0])
    assert [p.split(': ', 1)[0] for p in docs.stray_markers([page], root=tmp_path)] == ['page.md:10']


def test_a_launcher_s_flags_and_its_script_s_flags_are_checked_apart():
    command = docs.split_commands('python -m torch.distributed.run --nproc_per_node=2 bebygan_plugin/train.py '
                                  '-opt x.yml --launcher pytorch --auto_resum')[0]
    program = docs.resolve(command.argv)
    assert (program.args, program.launched.args) == (['--nproc_per_node=2'], ['-opt', 'x.yml', '--launcher',
                                                                              'pytorch', '--auto_resum'])
    assert docs.check(command) == ['python bebygan_plugin/train.py --auto_resum']


def test_a_flag_only_mentioned_in_the_help_s_prose_is_not_defined():
    help_output = ('usage: bebygan-eval [-h] -o REPORT_DIR [--devices DEVICES]\n                    [--tile N]\n\n'
                   'options:\n  -h, --help  show this help\n  -o REPORT_DIR, --out-dir REPORT_DIR\n'
                   '                        where; fp16 needs --device cuda\n  --precision P  see --device\n')
    assert docs.defined_flags(help_output) == {'-h', '--help', '-o', '--out-dir', '--devices', '--tile',
                                               '--precision'}


def test_a_key_given_twice_is_found():
    assert keys_given_twice('train:\n  pixel_opt: {type: A}\n  pixel_opt: {type: B}\nval: [{a: 1, a: 2}]\n') == \
        ['a', 'pixel_opt']


def test_an_options_marker_names_the_fragment_s_file_and_a_wrong_one_is_reported(tmp_path):
    page = _page(tmp_path, '<!-- options: options/train_RRDB_PSNR_x4.yml -->\n```yaml\ntrain: {}\n```\n\n'
                           '```yaml\nval: {}\n```\n<!-- options: options/nothing.yml -->\n```yaml\na: 1\n```\n')
    marked, plain, _ = docs.fenced_blocks(page)
    assert (marked.option_file, plain.option_file) == ('options/train_RRDB_PSNR_x4.yml', docs.DEFAULT_OPTION_FILE)
    assert [p.split(': ', 1)[0] for p in docs.stray_markers([page], root=docs.REPO_ROOT)] == ['page.md:9']
