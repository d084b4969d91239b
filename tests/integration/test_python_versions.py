"""Python versions: the supported range is declared (``python_requires``) and, on a Python where basicsr==1.4.2
cannot be built (>= 3.13, BasicSR issue #749), ``setup.py`` stops with a clear message before pip collects any
dependency; the README says which versions the quick-start commands are tested on.

(Checked by hand on Python 3.13.0 with ``pip install --dry-run -e ".[test]"``: the message, and nothing collected.)
"""
import ast
import subprocess
import sys

from packaging.specifiers import SpecifierSet

from devtools.paths import REPO_ROOT

RUN_SETUP_AS = ('import runpy, sys; sys.version_info = {version!r}; sys.argv = ["setup.py", "--version"]; '
                'runpy.run_path("setup.py", run_name="__main__")')


def _setup_on(version: tuple) -> subprocess.CompletedProcess:
    """``python setup.py --version`` as Python ``version`` would run it (only ``sys.version_info`` differs)."""
    return subprocess.run([sys.executable, '-c', RUN_SETUP_AS.format(version=version)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def _declared_range() -> SpecifierSet:
    tree = ast.parse((REPO_ROOT / 'setup.py').read_text(encoding='utf-8'))
    value = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['PYTHON_REQUIRES'])
    return SpecifierSet(value)


def test_the_declared_range_excludes_the_pythons_basicsr_cannot_be_built_on():
    supported = _declared_range()
    assert all(v in supported for v in ('3.9.0', '3.10.0', '3.11.7', '3.12.1'))
    assert '3.13.0' not in supported and '3.14.0' not in supported
    assert f'{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}' in supported


def test_setup_stops_on_python_3_13_with_the_reason_and_the_fix():
    result = _setup_on((3, 13, 0, 'final', 0))
    assert result.returncode == 1 and result.stdout == ''
    assert 'bebygan-plugin needs Python 3.9 to 3.12' in result.stderr
    assert 'basicsr==1.4.2 cannot be built on Python 3.13 or newer (BasicSR issue #749)' in result.stderr
    assert 'python3.11 -m venv .venv' in result.stderr


def test_setup_runs_on_this_python():
    result = subprocess.run([sys.executable, 'setup.py', '--version'], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == '0.1.0'


def test_readme_states_the_tested_and_supported_versions():
    readme = ' '.join((REPO_ROOT / 'README.md').read_text(encoding='utf-8').split())
    assert 'Both commands are tested on Python 3.11; the package supports Python 3.9 to 3.12.' in readme
    assert 'BasicSR issue #749' in readme
