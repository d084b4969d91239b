"""Stopping a training run between two iterations when asked (SIGTERM, SIGINT), with a resumable checkpoint.

The request is set by the entry point's signal handlers (:mod:`bebygan_plugin.run_control.stop_signals`) in
:data:`STOP_REQUEST`; the model (:class:`StopOnSignalMixin`) acts on it at the start of the next iteration of
BasicSR's loop, so the iteration under way finishes whole (step, log line, periodic save, validation): it saves that
iteration's checkpoint (``training_states/<iter>.state`` and the networks, written atomically by rank 0 as the
periodic saves are) and raises :class:`TrainingStopped`, which the entry point turns into exit status 128 + the
signal number. ``--auto_resume`` continues from the next iteration.

Under DDP every rank stops after the same iteration: each iteration starts an all-reduce (MAX) of the rank's request
on a CPU (gloo) group, and the next one reads it (:class:`StopVote`). A rank that was signalled therefore stops one
iteration later than it would alone, and neither the step nor the device ever waits for the vote (no host-device
sync; the host waits only for a 4-byte CPU collective that had a whole iteration to complete).
"""
import signal
from typing import Optional

import torch
from torch import distributed as dist

from ..compat.private_names import basicsr_training_loop_epoch
from .distributed import world_size


class StopRequest:
    """What this process was asked: the first stop signal's number (None: keep training), and whether the stop's
    checkpoint is being written (a second signal then waits for it)."""

    def __init__(self) -> None:
        self.signal_number: Optional[int] = None
        self.saving = False

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    def clear(self) -> None:
        self.signal_number, self.saving = None, False


STOP_REQUEST = StopRequest()


class TrainingStopped(Exception):
    """The run stopped on a signal after ``iteration`` (its checkpoint saved when ``saved``)."""

    def __init__(self, iteration: int, signal_number: int, saved: bool) -> None:
        self.iteration, self.signal_number, self.saved = iteration, signal_number, saved
        name = signal.Signals(signal_number).name
        super().__init__(f'stopped on {name} after iteration {iteration}' + (' (checkpoint saved)' if saved else ''))


class StopVote:
    """Whether to stop now, the same answer on every rank (see the module docstring); one process: the request."""

    def __init__(self) -> None:
        self.distributed = world_size() > 1
        self.group = dist.new_group(backend='gloo') if self.distributed else None  # collective: every rank, once
        self.pending = None

    def decide(self, requested: bool) -> bool:
        if not self.distributed:
            return requested
        decided = False
        if self.pending is not None:
            work, votes = self.pending
            work.wait()
            decided = bool(votes.item())  # a CPU tensor: no device involved
        votes = torch.tensor([int(requested)], dtype=torch.int32)
        self.pending = (dist.all_reduce(votes, op=dist.ReduceOp.MAX, group=self.group, async_op=True), votes)
        return decided


class StopOnSignalMixin:
    """For a BasicSR model: at the start of each iteration (``update_learning_rate``, the first thing BasicSR's loop
    does), stop with a checkpoint of the previous iteration if a stop was requested (see the module docstring)."""

    def setup_stop_on_signal(self) -> None:
        """Call from ``init_training_settings`` (every rank)."""
        self.stop_vote = StopVote()
        self.last_finished_iter = None  # the last iteration this process ran (None: none yet)

    def update_learning_rate(self, current_iter, warmup_iter=-1):
        if self.stop_vote.decide(STOP_REQUEST.requested):
            self.stop_after(current_iter - 1)
        self.last_finished_iter = current_iter  # BasicSR runs the iteration's step right after
        super().update_learning_rate(current_iter, warmup_iter)

    def stop_after(self, iteration: int) -> None:
        """Save the checkpoint of ``iteration`` (the last one finished) unless this process ran none or the periodic
        save just wrote it, then raise :class:`TrainingStopped`."""
        from basicsr.utils import get_root_logger

        signum = STOP_REQUEST.signal_number or signal.SIGTERM  # another rank's request: the same for the exit status
        ran = self.last_finished_iter is not None
        saved_periodically = iteration % self.opt['logger']['save_checkpoint_freq'] == 0
        if ran and not saved_periodically:
            get_root_logger().info(f'Stop requested: saving the models and training state of iteration {iteration}.')
            STOP_REQUEST.saving = True
            try:
                self.save(basicsr_training_loop_epoch(), iteration)
            finally:
                STOP_REQUEST.saving = False
        raise TrainingStopped(iteration, signum, saved=ran)
