"""Running one function over many images, in worker processes, with a progress bar.

Fork- and spawn-safe: the task functions live at module level and take one picklable task, workers inherit no
state they rely on, and each worker limits torch / OpenCV to one thread (the processes are the parallelism).
``workers <= 1`` runs in the calling process without a pool. One :class:`WorkerPool` serves a whole command (the
decode check of the inputs, then the work), so its workers start once. The default start method is ``forkserver``
on Linux: workers are forked from a clean single-threaded server that imported the task's module once, so they start
fast and never inherit a half-held lock of the caller's OpenMP / OpenCV thread pools (plain ``fork`` from a process that
has already run torch can deadlock its workers). Elsewhere the platform's default is used.
"""
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Callable, Iterator, Optional, Sequence, TypeVar

from tqdm import tqdm

Task = TypeVar('Task')
Result = TypeVar('Result')
START_METHODS = ('fork', 'spawn', 'forkserver')


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def default_start_method() -> str:
    if sys.platform.startswith('linux'):
        return 'forkserver'
    return multiprocessing.get_start_method(allow_none=False)


def _init_worker() -> None:
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _run_here(func: Callable[[Task], Result], tasks: Sequence[Task], bar: tqdm) -> Iterator[Result]:
    """The tasks in this process, torch limited to one thread meanwhile as in a worker: these are many small
    matrix products, and idle OpenMP threads spinning for them only slow a busy machine down."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for task in tasks:
            result = func(task)
            bar.update(1)
            yield result
    finally:
        torch.set_num_threads(threads)


class WorkerDiedError(RuntimeError):
    """A worker process was killed (e.g. by the out-of-memory killer) while working on a task."""


class WorkerPool:
    """Worker processes that run several task lists in turn (e.g. the decode check of every input, then the work),
    started once, on the first list of more than one task. ``workers <= 1`` runs everything in this process.

    Use it as a context manager (``with WorkerPool(...) as pool``); ``preload``: the module of the work functions,
    imported once by the forkserver before it forks the workers.
    """

    def __init__(self, workers: int, start_method: Optional[str] = None, preload: str = '') -> None:
        self.workers, self.start_method, self.preload = workers, start_method, preload
        self._executor: Optional[ProcessPoolExecutor] = None

    def __enter__(self) -> 'WorkerPool':
        return self

    def __exit__(self, *_exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (queued tasks are cancelled, running ones awaited)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _started(self, func: Callable) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context(self.start_method or default_start_method())
            if context.get_start_method() == 'forkserver':  # takes effect when the server starts (once a process)
                context.set_forkserver_preload(sorted({func.__module__, self.preload or func.__module__}))
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker)
        return self._executor

    def run(self, func: Callable[[Task], Result], tasks: Sequence[Task], desc: str,
            unit: str = 'img') -> Iterator[Result]:
        """Yield ``func(task)`` for every task, in order, updating a progress bar.

        At most ``3 * workers`` tasks are in flight, so finished results never pile up in memory. A worker that dies
        raises :class:`WorkerDiedError` naming its task (``multiprocessing.Pool`` would wait forever instead). Close
        the generator (``contextlib.closing``) to stop early: its queued tasks are cancelled.

        Args:
            func: a module-level function (it is pickled by reference for the workers).
            tasks: picklable task objects.
            desc: progress bar label.
            unit: progress bar unit.
        """
        if self.workers <= 1 or (len(tasks) <= 1 and self._executor is None):
            with tqdm(total=len(tasks), desc=desc, unit=unit, dynamic_ncols=True) as bar:
                yield from _run_here(func, tasks, bar)
            return
        executor = self._started(func)
        queue = iter(tasks)
        # The first submissions start the workers, before the progress bar starts a thread.
        pending = deque((task, executor.submit(func, task)) for task in islice(queue, 3 * self.workers))
        try:
            with tqdm(total=len(tasks), desc=desc, unit=unit, dynamic_ncols=True) as bar:
                while pending:
                    task, future = pending.popleft()
                    try:
                        result = future.result()
                    except BrokenProcessPool as err:
                        raise WorkerDiedError(f'a worker process died while working on '
                                              f'{getattr(task, "path", task)} (out of memory? try fewer --workers)'
                                              ) from err
                    for task in islice(queue, 1):
                        pending.append((task, executor.submit(func, task)))
                    bar.update(1)
                    yield result
        finally:
            for _, future in pending:
                future.cancel()


def worker_pool(args, images: int, work_module: str) -> WorkerPool:
    """A data command's pool (``args.workers``, ``args.start_method``, at most one worker per image);
    ``work_module``: the module of its work function."""
    return WorkerPool(min(args.workers, images), args.start_method, work_module)
