"""What the data commands print at the end of a run: skipped and ignored files, sizes."""
from typing import List, Sequence

from ..files.images import FORMAT_NAMES, BadImageError


def report_skipped(skipped: Sequence[BadImageError], log=print) -> None:
    if skipped:
        log(f'Skipped {len(skipped)} bad image(s) (--skip-bad):')
        for err in skipped:
            log(f'  {err.path}: {err.problem}')


def report_ignored(ignored: List[str], log=print, limit: int = 5) -> None:
    if ignored:
        shown = ', '.join(ignored[:limit]) + (' ...' if len(ignored) > limit else '')
        log(f'Ignoring {len(ignored)} file(s) that are not {FORMAT_NAMES} images: {shown}')


def human_bytes(n: float) -> str:
    """``1234567`` -> ``'1.2 MB'`` (decimal units)."""
    if n < 1000:
        return f'{int(n)} B'
    for unit in ('KB', 'MB', 'GB'):
        n /= 1000
        if n < 1000:
            return f'{n:.1f} {unit}'
    return f'{n / 1000:.1f} TB'
