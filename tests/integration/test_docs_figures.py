"""Figures in the docs stay current (issue 24): the size of the test suite that docs/performance.md states is within
5% of what pytest collects (so tests added since stay within it until it is measured again)."""
import os
import re
import subprocess
import sys

import pytest

from devtools.paths import REPO_ROOT

PERFORMANCE = REPO_ROOT / 'docs' / 'performance.md'
TOLERANCE = 0.05


def stated_test_count(text: str) -> int:
    """The count in "## The test suite": its paragraph starts with "<N> tests"."""
    section = text.split('## The test suite', 1)[1]
    match = re.search(r'^(\d+) tests\b', section.strip())
    assert match, 'docs/performance.md, "The test suite", no longer starts with "<N> tests"'
    return int(match.group(1))


def whole_suite_collected(config) -> bool:
    """Whether this session collected the whole suite (``python -m pytest`` with its testpaths, nothing
    deselected), so that its item count is the suite's size."""
    option = config.option
    return (config.args_source == pytest.Config.ArgsSource.TESTPATHS and not option.keyword and not option.markexpr
            and not option.deselect and not getattr(option, 'lf', False))


def collected_count(request) -> int:
    if whole_suite_collected(request.config):
        return len(request.session.items)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get('PYTHONPATH')])))
    result = subprocess.run([sys.executable, '-m', 'pytest', '-q', '--co', '-p', 'no:cacheprovider'],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    match = re.search(r'^(\d+) tests? collected', result.stdout, re.MULTILINE)
    assert result.returncode == 0 and match, result.stdout[-3000:] + result.stderr[-3000:]
    return int(match.group(1))


def test_performance_page_states_the_suite_size_within_5_percent(request):
    stated = stated_test_count(PERFORMANCE.read_text(encoding='utf-8'))
    collected = collected_count(request)
    assert abs(stated - collected) <= TOLERANCE * collected, (
        f'docs/performance.md states {stated} tests, pytest collects {collected}: measure the suite again '
        '(`python -m pytest -q --co` for the count, `python -m pytest -q` for the time) and update "The test suite"')


def test_the_stated_count_is_read_from_its_section():
    text = '## Other\n\n99 tests elsewhere\n\n## The test suite\n\n540 tests, none skipped; about 3 minutes.\n'
    assert stated_test_count(text) == 540
