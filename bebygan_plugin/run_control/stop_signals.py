"""SIGTERM and SIGINT stop a training run after its current iteration, with a checkpoint to resume from.

What SLURM, Kubernetes and a terminal's Ctrl-C send before they end a job: :func:`stop_on_signals` installs handlers
that only record the request (:data:`~bebygan_plugin.model_mixins.stop_on_signal.STOP_REQUEST`); the model finishes
the iteration, saves it and raises ``TrainingStopped`` (:mod:`bebygan_plugin.model_mixins.stop_on_signal`), and the
run exits with status 128 + the signal number (143 for SIGTERM, 130 for SIGINT), as a shell reports a process ended
by that signal. ``--auto_resume`` continues from the next iteration.

A second signal while that checkpoint is being written waits for the write to end (the files are written atomically
anyway: a kill leaves the old file or none, never a torn one); a second signal before the save starts ends the run
at once, without a new checkpoint (the last periodic one is intact).
"""
import contextlib
import logging
import os
import signal
import sys
from typing import Iterator

from ..model_mixins.stop_on_signal import STOP_REQUEST, TrainingStopped
from . import process_group

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _message(text: str) -> None:
    logging.getLogger('basicsr').warning(text)
    if not logging.getLogger('basicsr').handlers:  # before BasicSR's logger exists
        print(f'WARNING: {text}', file=sys.stderr, flush=True)


def _handler(owner_pid: int):
    def on_signal(signum, frame) -> None:
        if os.getpid() != owner_pid:  # a forked DataLoader worker inherited this handler: the main process decides
            return
        name = signal.Signals(signum).name
        if not STOP_REQUEST.requested:
            STOP_REQUEST.signal_number = signum
            _message(f'{name} received: the run stops after the current iteration and saves a checkpoint to '
                     'resume from (--auto_resume); a second signal before the save starts stops it at once')
            return
        if STOP_REQUEST.saving:
            _message(f'{name} received again: the checkpoint is being written; the run exits when it is complete')
            return
        _message(f'{name} received again: stopping now without a new checkpoint (the last saved one is intact)')
        signal.signal(signum, signal.SIG_DFL)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
    return on_signal


@contextlib.contextmanager
def stop_on_signals(program: str) -> Iterator[None]:
    """Around a training pipeline in the main thread: SIGTERM / SIGINT stop it after the current iteration (module
    docstring); the stop becomes a log line and exit status 128 + the signal number."""
    previous = {signum: signal.signal(signum, _handler(os.getpid())) for signum in STOP_SIGNALS}
    try:
        yield
    except TrainingStopped as stop:
        name = signal.Signals(stop.signal_number).name
        what = (f'the checkpoint of iteration {stop.iteration} is saved' if stop.saved else
                'no iteration ran, nothing new to save')
        message = f'{program}: stopped on {name} after iteration {stop.iteration}: {what}; continue with --auto_resume'
        logging.getLogger('basicsr').warning(message)
        print(message, file=sys.stderr, flush=True)
        process_group.finish()  # every rank stopped after the same iteration
        raise SystemExit(128 + stop.signal_number) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        STOP_REQUEST.clear()
