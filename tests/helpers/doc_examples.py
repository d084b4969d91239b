"""The command examples of README.md and docs/*.md: collected from their fenced ``bash`` blocks, resolved to the
program each one starts, and run or checked (issue 24).

A block runs unless the line just before its opening fence is a marker comment naming what it needs and this
machine lacks::

    <!-- needs: gpu, DF2K -->
    ```bash
    bebygan-train -opt options/train_BebyGAN_x4.yml
    ```

A marked block is only checked: every command is a console script of setup.py, an importable module or a script
that exists, and every flag it uses is in that program's ``--help``.

No well-kept tool fitted: pytest-examples runs Python blocks only, mktestdocs runs bash blocks as they are (no
substitution, no markers), and Sybil collects documents through pytest's file collection, which ``testpaths =
["tests"]`` never reaches for README.md and docs/.
"""
import ast
import contextlib
import io
import os
import re
import runpy
import shlex
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from devtools.paths import REPO_ROOT

FENCE = re.compile(r'^\s*(`{3,}|~{3,})\s*([^`\s]*)')
SHELL_LANGUAGES = ('bash', 'sh', 'shell')
YAML_LANGUAGES = ('yaml', 'yml')
MARKER = re.compile(r'^\s*<!--\s*needs:\s*(.+?)\s*-->\s*$')
MARKER_LIKE = re.compile(r'<!--\s*needs\b')
BASE_MARKER = re.compile(r'^\s*<!--\s*options:\s*(\S+)\s*-->\s*$')  # the option file a yaml fragment belongs to
DEFAULT_OPTION_FILE = 'options/train_BebyGAN_x4.yml'
SEPARATORS = ('&&', ';', '||')
ASSIGNMENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=')
PYTHONS = ('python', 'python3')
SHELL_SYNTAX = ('if', 'then', 'else', 'fi', 'exit', 'export')  # a job script's builtins: not ours to check
CLUSTER_TOOLS = ('scontrol',)  # SLURM's own commands, not this checkout's
LAUNCH_WRAPPERS = ('srun',)  # run the command after their own options on every task of a job
DISTRIBUTED_LAUNCHER = 'torch.distributed.run'


def doc_pages(root: Path = REPO_ROOT) -> List[Path]:
    """README.md and every docs/*.md, whatever pages exist at the time."""
    return [root / 'README.md'] + sorted((root / 'docs').glob('*.md'))


@dataclass
class Command:
    """One command of a block: ``argv`` as the shell would pass it, ``env`` its ``VAR=value`` prefix."""
    argv: List[str]
    env: Dict[str, str]
    text: str


@dataclass
class Example:
    """A fenced shell block: where it is, its marker (None: it runs), its commands in order."""
    page: Path
    line: int
    needs: Optional[str]
    commands: List[Command] = field(default_factory=list)

    def id(self, root: Path = REPO_ROOT) -> str:
        return f'{self.page.relative_to(root) if self.page.is_relative_to(root) else self.page}:{self.line}'


def logical_lines(block: Sequence[str]) -> List[str]:
    """The block's lines with ``\\``-continuations joined."""
    joined, current = [], ''
    for line in block:
        if line.rstrip().endswith('\\'):
            current += line.rstrip()[:-1] + ' '
        else:
            joined.append(current + line)
            current = ''
    if current:
        joined.append(current)
    return joined


def split_commands(line: str) -> List[Command]:
    """The commands of one shell line: ``#`` comments dropped, split at ``&&`` / ``;`` / ``||``, leading
    ``VAR=value`` assignments taken as the command's environment (``$PWD`` expanded to the working directory)."""
    tokens = shlex.split(line, comments=True)  # the separators stand apart in the docs: ``a && b``
    commands, current = [], []
    for token in tokens + [';']:
        if token in SEPARATORS:
            if current:
                env = {}
                while current and ASSIGNMENT.match(current[0]):
                    name, _, value = current.pop(0).partition('=')
                    env[name] = value
                commands.append(Command(current, env, shlex.join(current)))
            current = []
        else:
            current.append(token)
    return [inner for c in commands if c.argv for inner in unwrap(c)]


def unwrap(command: Command) -> List[Command]:
    """What a command of a job script runs: ``srun [options] CMD`` is CMD (``srun bash -c '...'``: the commands
    in the quotes); control flow and SLURM's own tools are nothing to check."""
    argv = command.argv
    if argv[0] in SHELL_SYNTAX or argv[0] in CLUSTER_TOOLS:
        return []
    if argv[0] not in LAUNCH_WRAPPERS:
        return [command]
    argv = argv[1:]
    while argv and argv[0].startswith('-'):
        argv = argv[1:]
    if len(argv) == 3 and argv[:2] == ['bash', '-c']:
        return split_commands(argv[2])
    return [Command(argv, command.env, shlex.join(argv))] if argv else []


@dataclass
class Block:
    """A fenced code block: its page, the line of its opening fence, its language, its ``needs:`` marker, the option
    file its ``options:`` marker names (yaml fragments) and its text."""
    page: Path
    line: int
    language: str
    needs: Optional[str]
    option_file: str
    lines: List[str]

    def id(self, root: Path = REPO_ROOT) -> str:
        return f'{self.page.relative_to(root) if self.page.is_relative_to(root) else self.page}:{self.line}'


def fenced_blocks(page: Path) -> List[Block]:
    """Every fenced code block of ``page`` (a fence closes as CommonMark closes it: the same character, at least as
    long, nothing after it, so a sample inside a longer fence is text)."""
    lines, blocks, number = page.read_text(encoding='utf-8').splitlines(), [], 0
    while number < len(lines):
        match = FENCE.match(lines[number])
        if not match:
            number += 1
            continue
        fence, language = match.group(1), match.group(2).lower()
        end = number + 1
        while end < len(lines) and not re.fullmatch(rf'\s*{fence[0]}{{{len(fence)},}}\s*', lines[end]):
            end += 1
        marker = MARKER.match(lines[number - 1]) if number else None
        base = BASE_MARKER.match(lines[number - 1]) if number else None
        blocks.append(Block(page, number + 1, language, marker.group(1) if marker else None,
                            base.group(1) if base else DEFAULT_OPTION_FILE, lines[number + 1:end]))
        number = end + 1
    return blocks


def collect(pages: Sequence[Path]) -> List[Example]:
    """Every fenced shell block of ``pages`` with its marker and commands."""
    examples = []
    for block in (b for page in pages for b in fenced_blocks(page) if b.language in SHELL_LANGUAGES):
        example = Example(block.page, block.line, block.needs)
        for line in logical_lines(block.lines):
            try:
                example.commands += split_commands(line)
            except ValueError as err:  # e.g. an unbalanced quote
                raise AssertionError(f'{block.id()}: {line.strip()!r} is not a shell command: {err}') from err
        examples.append(example)
    return examples


def stray_markers(pages: Sequence[Path], root: Path = REPO_ROOT) -> List[str]:
    """Marker-like comments that mark nothing: a ``needs:`` marker not on the line just before a shell block's
    fence (or misspelt), an ``options:`` marker not just before a yaml block's or naming no file of the
    repository."""
    problems = []
    for page in pages:
        lines = page.read_text(encoding='utf-8').splitlines()
        for index, line in enumerate(lines):
            following = FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
            language = following.group(2).lower() if following else None
            where = f'{page.relative_to(root) if page.is_relative_to(root) else page.name}:{index + 1}'
            if MARKER_LIKE.search(line) and (not MARKER.match(line) or language not in SHELL_LANGUAGES):
                problems.append(f'{where}: {line.strip()!r} is not "<!-- needs: ... -->" on the line just before '
                                'a ```bash fence')
            base = BASE_MARKER.match(line)
            if base and (language not in YAML_LANGUAGES or not (root / base.group(1)).is_file()):
                problems.append(f'{where}: {line.strip()!r} is not "<!-- options: FILE -->" naming a file of the '
                                'repository on the line just before a ```yaml fence')
    return problems


# --- what a command starts ---------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def console_scripts(root: Path = REPO_ROOT) -> Dict[str, str]:
    """``name -> 'module:function'`` of setup.py's console_scripts (read from the source, so scripts that are not
    installed yet count)."""
    tree = ast.parse((root / 'setup.py').read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == 'console_scripts':
                    entries = ast.literal_eval(value)
                    return dict(entry.replace(' ', '').split('=', 1) for entry in entries)
    raise AssertionError('setup.py declares no console_scripts')


@lru_cache(maxsize=None)
def setup_extras(root: Path = REPO_ROOT) -> Tuple[str, ...]:
    tree = ast.parse((root / 'setup.py').read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'extras_require':
            return tuple(ast.literal_eval(node.value))
    return ()


@dataclass
class Program:
    """What a command runs: ``kind`` is 'console', 'module', 'script', 'pip' or 'bash'; ``target`` the entry point
    ('module:function'), module name or file; ``args`` its arguments; ``launched``: the program a launcher starts
    (``torch.distributed.run``'s training script) with its own arguments."""
    kind: str
    target: str
    name: str
    args: List[str]
    launched: Optional['Program'] = None


def script_path(path: str, cwd: Path = REPO_ROOT) -> Optional[Path]:
    """A script named relative to the repository root, or BasicSR's ``basicsr/...`` relative to a BasicSR checkout
    (the installed package stands in for one)."""
    for base in (cwd, REPO_ROOT):
        if (base / path).is_file():
            return base / path
    if path.startswith('basicsr/'):
        import basicsr

        candidate = Path(basicsr.__file__).parent.parent / path
        if candidate.is_file():
            return candidate
    return None


def resolve(argv: List[str]) -> Program:
    """The program ``argv`` starts; AssertionError naming the command when it starts nothing this checkout has."""
    command = shlex.join(argv)
    head, rest = argv[0], argv[1:]
    if head in console_scripts():
        return Program('console', console_scripts()[head], head, rest)
    if head == 'pip':
        return Program('pip', 'pip', 'pip', rest)
    if head == 'bash':
        assert rest and script_path(rest[0]), f'{command}: no script {rest[:1]} in the repository'
        return Program('bash', str(script_path(rest[0])), rest[0], rest[1:])
    assert head in PYTHONS, f'{command}: {head!r} is not a console script of setup.py, python, pip or bash'
    assert rest, f'{command}: python without arguments'
    if rest[0] == '-c':
        return Program('code', rest[1], 'python -c', rest[2:])
    if rest[0] == '-m':
        import importlib.util

        module = rest[1]
        assert importlib.util.find_spec(module) is not None, f'{command}: no module {module}'
        program = Program('module', module, f'python -m {module}', rest[2:])
        if module == DISTRIBUTED_LAUNCHER:
            program = launcher(program, command)
        return program
    path = script_path(rest[0])
    assert path is not None, f'{command}: no script {rest[0]} in the repository'
    return Program('script', str(path), f'python {rest[0]}', rest[1:])


def launcher(program: Program, command: str) -> Program:
    """Split ``torch.distributed.run``'s own flags from the training script (``x.py`` or ``-m module``) it starts."""
    args = program.args
    for index, token in enumerate(args):
        if token.endswith('.py') or token == '-m':
            own, launched = args[:index], (['python'] + args[index:] if token == '-m' else ['python'] + args[index:])
            program.args = own
            program.launched = resolve(launched)
            return program
    raise AssertionError(f'{command}: {DISTRIBUTED_LAUNCHER} starts no training script')


# --- running a program in this process ---------------------------------------------------------------------------

def entry_point(program: Program) -> Callable[[], object]:
    """A callable that runs ``program`` in this process with ``sys.argv`` as set by :func:`call`."""
    if program.kind == 'console':
        module, _, function = program.target.partition(':')

        def run_console():
            import importlib

            return getattr(importlib.import_module(module), function)()
        return run_console
    if program.kind == 'module':
        def run_module():
            with warnings.catch_warnings():  # the module may be imported already (by another test): expected here
                warnings.filterwarnings('ignore', message='.* found in sys.modules after import of package',
                                        category=RuntimeWarning)
                return runpy.run_module(program.target, run_name='__main__', alter_sys=True)
        return run_module
    if program.kind == 'script':
        return lambda: runpy.run_path(program.target, run_name='__main__')
    raise AssertionError(f'{program.name} cannot run in process')


def call(program: Program, args: List[str]) -> Tuple[int, str]:
    """Run ``program args`` in this process: (exit status, stdout + stderr)."""
    saved_argv, out = sys.argv[:], io.StringIO()
    sys.argv = [program.target if program.kind in ('module', 'script') else program.name] + list(args)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                result = entry_point(program)()
                status = result if isinstance(result, int) else 0
            except SystemExit as exited:
                code = exited.code
                status = code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved_argv
    return status, out.getvalue()


@lru_cache(maxsize=None)
def _help_text(kind: str, target: str, name: str) -> str:
    program = Program(kind, target, name, [])
    if kind == 'module' and target == 'pytest':  # pytest.main, not its console_main, which would exit
        import pytest

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            status = int(pytest.main(['--help']))
        text = out.getvalue()
    else:
        status, text = call(program, ['--help'])
    assert status == 0, f'{name} --help exited with status {status}:\n{text[-2000:]}'
    return text


def help_text(program: Program) -> str:
    return _help_text(program.kind, program.target, program.name)


def flags(args: Sequence[str]) -> List[str]:
    """The option flags among ``args`` (``--name=value`` as ``--name``; negative numbers are values)."""
    found = []
    for arg in args:
        if arg.startswith('-') and len(arg) > 1 and not re.match(r'^-\d', arg):
            found.append(arg.split('=', 1)[0])
    return found


def defined_flags(help_output: str) -> set:
    """The flags an argparse-style ``--help`` defines: those of its usage block and of its option lines (indented
    by two spaces), not the ones its prose mentions."""
    lines = help_output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lower().startswith('usage:')), None)
    usage = []
    if start is not None:
        for line in lines[start:]:
            if not line.strip():
                break
            usage.append(line)
    options = [re.split(r'\s{2,}', line.strip())[0] for line in lines if re.match(r'^ {1,4}-', line)]
    return set(re.findall(r'(?<![\w-])(-{1,2}[A-Za-z][\w-]*)', ' '.join(usage + options)))


def unknown_flags(program: Program) -> List[str]:
    """The flags of ``program`` (and of the program it launches) that its ``--help`` does not define."""
    missing = []
    if program.kind in ('console', 'module', 'script'):
        known = defined_flags(help_text(program))
        missing += [f'{program.name} {flag}' for flag in flags(program.args) if flag not in known]
    if program.launched is not None:
        missing += unknown_flags(program.launched)
    return missing


def unknown_extras(program: Program) -> List[str]:
    """``pip install`` of this repository with extras setup.py does not declare (``.[name,...]``)."""
    missing = []
    for arg in program.args:
        match = re.fullmatch(r'\.\[([^\]]*)\]', arg)
        if match:
            missing += [f'pip install extra {e!r}' for e in match.group(1).split(',') if e not in setup_extras()]
    return missing


def check(command: Command) -> List[str]:
    """What is wrong with a command that is not run: a program that does not exist (AssertionError), unknown flags,
    unknown extras, Python code that does not compile."""
    program = resolve(command.argv)
    if program.kind == 'pip':
        return unknown_extras(program)
    if program.kind == 'code':
        compile(program.target, '<python -c>', 'exec')
        return []
    return unknown_flags(program)


def run_subprocess(command: Command, cwd: Path, env: Dict[str, str], timeout: float) -> Tuple[int, str]:
    """Run a command as a process (for launchers that start processes), ``python`` being this interpreter and the
    repository first on the import path."""
    argv = [sys.executable if command.argv[0] in PYTHONS else command.argv[0]] + command.argv[1:]
    full_env = dict(os.environ, **env)
    full_env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), full_env.get('PYTHONPATH')]))
    result = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr
