"""An out-of-memory error in a training step ends the run with a short report instead of a traceback.

The model names the stage, the batch and crop size and what to change (:class:`TrainingOutOfMemory`, raised by
:mod:`bebygan_plugin.model_mixins.step_controls`); here it becomes stderr and log-file text and exit status 2. Nothing
is saved on the way out: the checkpoints on disk are the last complete ones (they are written atomically).
"""
import contextlib
from typing import Iterator

from ..model_mixins.step_controls import TrainingOutOfMemory
from ..problems import stop_run


@contextlib.contextmanager
def stop_on_out_of_memory(program: str) -> Iterator[None]:
    try:
        yield
    except TrainingOutOfMemory as err:
        stop_run(f'{program}: {err}')
