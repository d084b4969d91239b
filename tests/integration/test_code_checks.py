"""The code habits the suite enforces: ``ruff check .`` (the rules of ``[tool.ruff]`` in pyproject.toml: the ones that
catch real bugs) and ``vulture`` (dead code, ``[tool.vulture]``) find nothing, and each finds a planted fault."""
import subprocess
import sys

from devtools.paths import REPO_ROOT


def _run(*args: str, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = _run('ruff', 'check', '--no-cache', '.')
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_a_late_binding_closure_and_an_unsafe_yaml_load(tmp_path):
    planted = tmp_path / 'planted.py'
    planted.write_text('import yaml\n\n\ndef load(f):\n    return yaml.load(f, Loader=yaml.Loader)\n\n\n'
                       'def callbacks():\n    return [lambda: i for i in range(3)]\n')
    result = _run('ruff', 'check', '--no-cache', '--config', str(REPO_ROOT / 'pyproject.toml'), str(planted))
    assert result.returncode == 1
    assert 'S506' in result.stdout and 'B023' in result.stdout


def test_vulture_finds_no_dead_code():
    result = _run('vulture')
    assert result.returncode == 0, result.stdout + result.stderr


def test_vulture_finds_a_planted_unused_function(tmp_path):
    planted = tmp_path / 'planted.py'
    planted.write_text('def never_called():\n    return 1\n')
    result = _run('vulture', str(REPO_ROOT / 'bebygan_plugin'), str(planted), '--min-confidence', '60',
                  '--ignore-decorators', '@*.register')
    assert result.returncode == 3
    assert "unused function 'never_called'" in result.stdout
