"""The architecture as a checked contract: the rooms' layers (import-linter, ``pyproject.toml``), no import circle
between any two modules, and docs/development.md drawing the contracted picture. Imports inside functions count.
"""
import os
import re
import shutil
import subprocess
import sys

import grimp
import pytest

from devtools.paths import REPO_ROOT

tomllib = pytest.importorskip('tomllib')  # Python >= 3.11 (the contract is read by import-linter itself elsewhere)

PACKAGE = 'bebygan_plugin'
LINT_IMPORTS = [sys.executable, '-c', 'import sys; from importlinter.cli import lint_imports_command; '
                                      'sys.exit(lint_imports_command())', '--no-cache']


def _contract() -> dict:
    with open(REPO_ROOT / 'pyproject.toml', 'rb') as f:
        contracts = tomllib.load(f)['tool']['importlinter']['contracts']
    return next(c for c in contracts if c['id'] == 'rooms')


def _lint_imports(root) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run(LINT_IMPORTS, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_contract_is_kept():
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Contracts: 1 kept, 0 broken.' in result.stdout


def test_the_contract_names_every_room_of_the_package():
    contract = _contract()
    assert contract['type'] == 'layers' and contract['containers'] == [PACKAGE]
    assert contract.get('exhaustive') is True  # lint-imports also fails on a room the layers leave out
    named = {room.strip() for layer in contract['layers'] for room in re.split(r'[|:]', layer)}
    rooms = {os.path.splitext(name)[0] for name in os.listdir(REPO_ROOT / PACKAGE)
             if not name.startswith(('_', '.')) and (name.endswith('.py') or
                                                     os.path.isfile(REPO_ROOT / PACKAGE / name / '__init__.py'))}
    assert named == rooms


def test_a_lower_room_importing_a_higher_one_inside_a_function_breaks_the_contract(tmp_path):
    """The guard bites: a copy of the package where files/ imports evaluation/ inside a function fails lint-imports."""
    shutil.copytree(REPO_ROOT / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(REPO_ROOT / 'pyproject.toml', tmp_path / 'pyproject.toml')
    with open(tmp_path / PACKAGE / 'files' / 'atomic.py', 'a', encoding='utf-8') as f:
        f.write('\n\ndef _planted():\n    from ..evaluation import report  # noqa: F401\n')
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert 'bebygan_plugin.files is not allowed to import bebygan_plugin.evaluation' in result.stdout
    assert 'bebygan_plugin.files.atomic -> bebygan_plugin.evaluation.report' in result.stdout


def _import_circles(graph) -> list:
    """Strongly connected groups of more than one module (Tarjan), imports inside functions included."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle_between_modules():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    assert len(graph.modules) > 50  # the whole package was read
    assert _import_circles(graph) == []


def test_the_circle_check_finds_a_circle_hidden_in_a_function():
    graph = grimp.ImportGraph()
    for module in ('pkg', 'pkg.a', 'pkg.b', 'pkg.c'):
        graph.add_module(module)
    graph.add_import(importer='pkg.a', imported='pkg.b', line_number=1, line_contents='from .b import x')
    graph.add_import(importer='pkg.b', imported='pkg.a', line_number=9, line_contents='    from .a import y')
    graph.add_import(importer='pkg.c', imported='pkg.a', line_number=1, line_contents='from .a import y')
    assert _import_circles(graph) == [['pkg.a', 'pkg.b']]


def test_development_md_draws_the_contracted_layers():
    text = (REPO_ROOT / 'docs' / 'development.md').read_text(encoding='utf-8')
    block = re.search(r'<!-- layers: the import-linter contract, top to bottom -->\n```text\n(.*?)```', text, re.S)
    assert block, 'docs/development.md lost its layer picture'
    drawn = [re.split(r'\s{2,}', line.strip())[0] for line in block.group(1).splitlines() if line.strip()]
    assert drawn == [layer.strip() for layer in _contract()['layers']]


def test_benchmarks_and_devtools_import_nothing_from_tests():
    """What benchmarks share with the tests lives in ``devtools/`` (or the package); ``tests/`` is imported by
    nothing but pytest."""
    import ast

    found = []
    for folder in ('benchmarks', 'devtools'):
        for path in sorted((REPO_ROOT / folder).rglob('*.py')):
            for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ''] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
                found += [f'{path.relative_to(REPO_ROOT)}:{node.lineno}: {n}' for n in names
                          if n.split('.')[0] == 'tests']
    assert found == []
