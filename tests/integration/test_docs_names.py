"""What the documentation names exists (issue 24): every repository path (`bebygan_plugin/...`, `tests/...`,
`options/...`, ...) and every dotted name of the package (`bebygan_plugin.inference.load_generator`) written as code
in README.md, docs/*.md and the other READMEs, and every docs page the code's help texts point to."""
import importlib
import re
from pathlib import Path
from typing import List, Tuple

import pytest

from devtools.paths import REPO_ROOT
from tests.helpers import doc_examples as docs

PAGES = docs.doc_pages() + sorted(p for p in REPO_ROOT.glob('*/**/README.md')
                                  if not any(part.startswith('.') or part.endswith('.egg-info')
                                             for part in p.relative_to(REPO_ROOT).parts))
CODE_SPAN = re.compile(r'`([^`\n]+)`')
REPO_PATH = re.compile(r'^(?:bebygan_plugin|tests|options|scripts|benchmarks|docs|devtools)/[\w./-]*$')
DOTTED = re.compile(r'^bebygan_plugin(?:\.\w+)+')
MADE_AT_RUN_TIME = {'benchmarks/results/'}  # git-ignored output folders
FOREIGN_PAGES = {'docs/Config.md'}  # BasicSR's documentation
OTHER_PROJECT = re.compile(r"\b(?:BasicSR|Real-ESRGAN|Simple-SR|ESRGAN|pyiqa|torchvision)'s\s+$")


def where(page: Path, number: int) -> str:
    return f'{page.relative_to(REPO_ROOT) if page.is_relative_to(REPO_ROOT) else page.name}:{number}'


def named_in(page: Path) -> List[Tuple[int, str]]:
    """(line, text) of every code span of ``page``, fenced blocks included (commands name files too), except the
    files of other projects (a span right after "BasicSR's", "Real-ESRGAN's", ...)."""
    return [(number, match.group(1).strip()) for number, line in
            enumerate(page.read_text(encoding='utf-8').splitlines(), start=1) for match in CODE_SPAN.finditer(line)
            if not OTHER_PROJECT.search(line[:match.start()])]


def missing_paths(page: Path) -> List[str]:
    return [f'{where(page, number)}: {text}' for number, text in named_in(page)
            if REPO_PATH.match(text) and text not in MADE_AT_RUN_TIME and not (REPO_ROOT / text).exists()]


def resolves(dotted: str) -> bool:
    """``a.b.c`` is a module, or an attribute (chain) of the longest importable module prefix."""
    parts = dotted.split('.')
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


def missing_names(page: Path) -> List[str]:
    problems = []
    for number, text in named_in(page):
        match = DOTTED.match(text)
        if match and not resolves(match.group(0)):
            problems.append(f'{where(page, number)}: {match.group(0)}')
    return problems


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_repository_path_named_exists(page):
    assert missing_paths(page) == []


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_package_name_named_exists(page):
    assert missing_names(page) == []


def test_the_readme_of_the_test_data_is_checked():
    assert REPO_ROOT / 'tests' / 'data' / 'README.md' in PAGES


def test_docs_pages_named_in_the_code_exist():
    """Help texts and docstrings that send the user to a docs page name one that exists (README.md has no sections
    of reference material left: each topic is a page in docs/)."""
    problems = []
    for source in sorted(REPO_ROOT.glob('bebygan_plugin/**/*.py')) + sorted(REPO_ROOT.glob('benchmarks/**/*.py')):
        for number, line in enumerate(source.read_text(encoding='utf-8').splitlines(), start=1):
            for name in re.findall(r'\bdocs/[\w-]+\.md\b', line):
                if name not in FOREIGN_PAGES and not (REPO_ROOT / name).is_file():
                    problems.append(f'{source.relative_to(REPO_ROOT)}:{number}: {name}')
            if re.search(r'README(\.md)?[,:]? "', line):
                problems.append(f'{source.relative_to(REPO_ROOT)}:{number}: a README section (now a docs/ page)')
    assert problems == []


def test_benchmarks_help_points_to_the_performance_page():
    status, text = docs.call(docs.resolve(['python', '-m', 'benchmarks.run']), ['--help'])
    assert status == 0 and 'docs/performance.md' in text


def test_the_checkers_find_a_missing_path_and_a_missing_name(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('`bebygan_plugin/inference/cli.py` `tests/test_integration.py` `benchmarks/results/` '
                    "BasicSR's `scripts/download_pretrained_models.py`\n"
                    '`bebygan_plugin.inference.load_generator(path)` `bebygan_plugin.inference.load_model`\n'
                    '```bash\npython -m bebygan_plugin.schema --write   # `bebygan_plugin.schema.nothing`\n```\n',
                    encoding='utf-8')
    assert missing_paths(page) == ['page.md:1: tests/test_integration.py']
    assert missing_names(page) == ['page.md:2: bebygan_plugin.inference.load_model',
                                   'page.md:4: bebygan_plugin.schema.nothing']
