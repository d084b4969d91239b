"""Running ``bebygan-eval`` in the test process."""
from bebygan_plugin.evaluation.cli import main as eval_main

from .cli import exit_status


def run_eval(*args) -> int:
    """``bebygan-eval ARGS`` in this process (arguments may be paths); returns the exit status (0 when main returns)."""
    return exit_status(eval_main, *args)
