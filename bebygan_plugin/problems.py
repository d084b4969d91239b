"""Bad input, reported all at once before any work: the one format every entry point uses.

A check returns a list of :class:`Problem` (what is wrong, where, and the fix); an entry point collects them and
raises :class:`ProblemsFound`, whose message lists every one, before it creates anything.
"""
import difflib
import os
import sys
from dataclasses import dataclass
from typing import Iterable, List, Optional


@dataclass
class Problem:
    """One bad input: ``where`` (an option key such as ``train.pixel_opt.alpha``, or a file) and what to do."""

    where: str
    message: str

    def __str__(self) -> str:
        return f'{self.where}: {self.message}'


class ProblemsFound(ValueError):
    """Bad input found before any work; ``problems`` lists every one of them. The one error of bad input: entry
    points report it with :func:`exit_on_problems`; a component that checks its options where it is built (e.g.
    ``BebyGANModel`` under BasicSR's own ``basicsr/train.py``) raises it with ``outcome`` saying what was not done."""

    def __init__(self, program: str, problems: Iterable[Problem], source: str = '',
                 outcome: str = 'nothing was created') -> None:
        self.program, self.problems = program, list(problems)
        where = f' in {source}' if source else ''
        lines = [f'{program}: {len(self.problems)} problem(s){where}; {outcome}. Fix and run again:']
        lines += [f'  - {p}' for p in self.problems]
        super().__init__('\n'.join(lines))


def raise_if_any(program: str, problems: List[Problem], source: str = '') -> None:
    """Raise :class:`ProblemsFound` when ``problems`` is not empty."""
    if problems:
        raise ProblemsFound(program, problems, source)


def exit_on_problems(err: ProblemsFound) -> None:
    """Print the report (once: on rank 0 of a distributed run) and exit with status 2."""
    if os.environ.get('RANK', '0') == '0':
        print(err, file=sys.stderr, flush=True)
    raise SystemExit(2) from None


def closest(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name closest to ``name`` (case-insensitive), or None if nothing is close."""
    lowered = {v.lower(): v for v in valid}
    match = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def unknown_key_problem(where: str, key: str, valid: Iterable[str], owner: str = '') -> Problem:
    """``<where>: unknown key '<key>'; did you mean '<closest>'?`` (or the list of valid keys)."""
    valid = sorted(set(valid))
    suggestion = closest(key, valid)
    hint = f"did you mean '{suggestion}'?" if suggestion else f'valid keys{owner}: {", ".join(valid)}'
    return Problem(where, f"unknown key '{key}'; {hint}")


def stop_run(message: str) -> None:
    """End a training or test run that met bad input after it started: ``message`` to the run's log (BasicSR's
    logger) and stderr, exit status 2, no traceback."""
    import logging

    logging.getLogger('basicsr').error(message)
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2) from None
