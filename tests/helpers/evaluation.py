"""Running ``bebygan-eval`` in the test process."""
from bebygan_plugin.evaluation.cli import main as eval_main


def run_eval(*args) -> int:
    """``bebygan-eval ARGS`` in this process (arguments may be paths); returns the exit status (0 when main returns)."""
    try:
        eval_main([str(a) for a in args])
    except SystemExit as err:
        return err.code
    return 0
