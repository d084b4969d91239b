"""Calling a console script's ``main`` in the test process: for runs that end at the preflight or at the option
file, where a fresh interpreter adds only its start-up (about 4 s of imports). Each entry point keeps a test that
runs it as a real process."""
import sys
from typing import Callable


def exit_status(main: Callable, *args) -> int:
    """``main([str(a) for a in args])``'s exit status: its ``SystemExit`` code, else its return value or 0."""
    try:
        returned = main([str(a) for a in args])
    except SystemExit as err:
        return err.code
    return returned or 0


def console_exit(main: Callable, *args, monkeypatch) -> int:
    """``main()`` as its console script calls it, with ``sys.argv`` = ``[script, *args]`` (``bebygan-train`` and
    BasicSR's parser read it): the exit status."""
    monkeypatch.setattr(sys, 'argv', ['console-script', *(str(a) for a in args)])
    try:
        returned = main()
    except SystemExit as err:
        return err.code
    return returned or 0
