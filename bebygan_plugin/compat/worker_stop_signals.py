"""Patch 8: DataLoader workers die on the SIGTERM / SIGINT meant for the training process.

A cluster's SIGTERM (SLURM, Kubernetes) and a terminal's Ctrl-C reach every process of the job, the DataLoader
workers too. A worker started with ``spawn`` (BasicSR's distributed start-up sets it) dies of it, and the main
process then fails at its next batch instead of finishing the iteration and saving
(:mod:`bebygan_plugin.run_control.stop_signals`). Every loader BasicSR builds gets a ``worker_init_fn`` that makes
its workers ignore both signals first; they still end with the main process (DataLoader's own shutdown and its
watchdog). Workers started with ``fork`` inherit the main process's handler, which ignores signals outside the
process that installed it.
"""
import signal

import basicsr.data

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class IgnoreStopSignals:
    """A picklable ``worker_init_fn``: ignore :data:`STOP_SIGNALS`, then call BasicSR's own (if any)."""

    def __init__(self, init=None) -> None:
        self.init = init

    def __call__(self, worker_id: int) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if self.init is not None:
            self.init(worker_id)


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
