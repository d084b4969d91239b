"""Calling a console script's ``main`` in the test process."""
from typing import Callable


def exit_status(main: Callable, *args) -> int:
    """``main([str(a) for a in args])``'s exit status: its ``SystemExit`` code, else its return value or 0."""
    try:
        returned = main([str(a) for a in args])
    except SystemExit as err:
        return err.code
    return returned or 0
