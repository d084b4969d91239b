"""The documentation holds together: every relative link and ``#anchor`` in README.md and docs/*.md resolves, every
docs page is reachable from the README, and the README stays short (issue 15: at most 250 lines)."""
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / 'README.md'
README_MAX_LINES = 250
PAGES = [README] + sorted((REPO_ROOT / 'docs').glob('*.md'))

FENCE = re.compile(r'^\s*(```|~~~)')
HEADING = re.compile(r'^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
CODE_SPAN = re.compile(r'`[^`]*`')
LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
EXTERNAL = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')  # http:, https:, mailto:, ...


def prose_lines(path: Path) -> List[Tuple[int, str]]:
    """The lines of a Markdown file outside fenced code blocks, numbered from 1."""
    lines, in_fence = [], False
    for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text lowercased, punctuation removed, spaces made hyphens."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link in a heading keeps its text only
    text = re.sub(r'[`*]', '', text).strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path: Path) -> Set[str]:
    """Every heading anchor of a Markdown file, duplicates numbered ``-1``, ``-2``, ... as GitHub does."""
    seen: Dict[str, int] = {}
    result = set()
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f'{slug}-{count}')
    return result


def relative_links(path: Path) -> List[Tuple[int, str]]:
    """(line, target) of every link and image in a Markdown file that is not an external URL."""
    found = []
    for number, line in prose_lines(path):
        for match in LINK.finditer(CODE_SPAN.sub('', line)):
            target = match.group(1)
            if not EXTERNAL.match(target):
                found.append((number, target))
    return found


def broken_links(path: Path, root: Path = REPO_ROOT) -> List[str]:
    """One message per relative link of ``path`` whose file or ``#anchor`` does not exist (paths shown from
    ``root``)."""
    problems = []
    for number, target in relative_links(path):
        file_part, _, anchor = target.partition('#')
        linked = (path.parent / file_part).resolve() if file_part else path
        where = f'{path.relative_to(root)}:{number}: {target}'
        if not linked.exists():
            problems.append(f'{where}: {file_part} does not exist')
        elif anchor and linked.suffix == '.md' and anchor not in anchors(linked):
            problems.append(f'{where}: no heading with anchor #{anchor} in {linked.relative_to(root)}')
    return problems


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    assert broken_links(page) == []


def test_every_docs_page_is_reachable_from_the_readme():
    reachable, todo = {README}, [README]
    while todo:
        page = todo.pop()
        for _, target in relative_links(page):
            linked = (page.parent / target.partition('#')[0]).resolve()
            if linked.suffix == '.md' and linked.exists() and linked not in reachable:
                reachable.add(linked)
                todo.append(linked)
    assert sorted(str(p.relative_to(REPO_ROOT)) for p in set(PAGES) - reachable) == []


def test_readme_is_at_most_250_lines():
    lines = README.read_text(encoding='utf-8').count('\n')
    assert lines <= README_MAX_LINES, f'README.md has {lines} lines; move detail into docs/ (limit {README_MAX_LINES})'


def test_the_checker_finds_a_broken_file_and_a_broken_anchor(tmp_path):
    page = tmp_path / 'page.md'
    (tmp_path / 'other.md').write_text('# Other page\n\n## `bebygan-test` and the test YAML\n', encoding='utf-8')
    page.write_text('# Page\n\n[ok](other.md#bebygan-test-and-the-test-yaml) [self](#page)\n'
                    '[gone](missing.md) [bad anchor](other.md#nowhere)\n'
                    '```\n[in code](ignored.md)\n# not a heading\n```\n', encoding='utf-8')
    problems = broken_links(page, root=tmp_path)
    assert [p.split(': ', 1)[0] for p in problems] == ['page.md:4', 'page.md:4']
    assert 'missing.md does not exist' in problems[0] and '#nowhere' in problems[1]
