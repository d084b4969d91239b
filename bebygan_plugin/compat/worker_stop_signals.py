"""Patch 8: DataLoader workers die on the SIGTERM / SIGINT meant for the training process.

A cluster's SIGTERM (SLURM, Kubernetes) and a terminal's Ctrl-C reach every process of the job, the DataLoader
workers too. A worker started with ``spawn`` (BasicSR's distributed start-up sets it) dies of it, and the main
process then fails at its next batch instead of finishing the iteration and saving
(:mod:`bebygan_plugin.run_control.stop_signals`). Every loader BasicSR builds gets a ``worker_init_fn`` that makes
its workers ignore both signals first; they still end with the main process (DataLoader's own shutdown and its
watchdog). Workers started with ``fork`` inherit the main process's handler, which ignores signals outside the
process that installed it. A SIGTERM from the worker's own parent (DataLoader's and multiprocessing's shutdown of
their workers) still ends it, as before: a thread of the worker reads each SIGTERM's sender.
"""
import os
import signal
import threading

import basicsr.data

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class IgnoreStopSignals:
    """A picklable ``worker_init_fn``: ignore :data:`STOP_SIGNALS` (SIGTERM unless its parent sends it), then call
    BasicSR's own (if any)."""

    def __init__(self, init=None) -> None:
        self.init = init

    def __call__(self, worker_id: int) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the training process's handler (inherited on fork)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # taken by the thread below, one at a time
        threading.Thread(target=end_on_parents_sigterm, args=(os.getppid(),), daemon=True).start()
        if self.init is not None:
            self.init(worker_id)


def end_on_parents_sigterm(parent: int) -> None:
    """Ignore a SIGTERM sent by anyone but ``parent`` (a cluster's signal to the whole job); one from ``parent``
    ends the worker as SIGTERM does by default."""
    while signal.sigwaitinfo({signal.SIGTERM}).si_pid != parent:
        pass
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    os.kill(os.getpid(), signal.SIGTERM)


def build_dataloader(*args, **kwargs):
    """``basicsr.data.build_dataloader`` whose workers ignore :data:`STOP_SIGNALS`."""
    loader = _original(*args, **kwargs)
    if getattr(loader, 'num_workers', 0) > 0 and not isinstance(loader.worker_init_fn, IgnoreStopSignals):
        loader.worker_init_fn = IgnoreStopSignals(loader.worker_init_fn)
    return loader


_original = basicsr.data.build_dataloader


def apply() -> None:
    import sys

    basicsr.data.build_dataloader = build_dataloader
    if 'basicsr.train' in sys.modules:  # it imported the name before this patch
        sys.modules['basicsr.train'].build_dataloader = build_dataloader
