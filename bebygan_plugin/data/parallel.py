"""Running one function over many images, in worker processes, with a progress bar.

Fork- and spawn-safe: the task functions live at module level and take one picklable task, workers inherit no
state they rely on, and each worker limits torch / OpenCV to one thread (the processes are the parallelism).
``workers <= 1`` runs in the calling process without a pool. The default start method is ``forkserver`` on Linux:
workers are forked from a clean single-threaded server that imported the task's module once, so they start fast
and never inherit a half-held lock of the caller's OpenMP / OpenCV thread pools (plain ``fork`` from a process that
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


def run_tasks(func: Callable[[Task], Result], tasks: Sequence[Task], workers: int, desc: str,
              start_method: Optional[str] = None, unit: str = 'img') -> Iterator[Result]:
    """Yield ``func(task)`` for every task, in order, updating a progress bar.

    At most ``3 * workers`` tasks are in flight, so finished results never pile up in memory. A worker that dies
    raises :class:`WorkerDiedError` naming its task (``multiprocessing.Pool`` would wait forever instead). Close the
    generator (``contextlib.closing``) to stop early: queued tasks are cancelled and running ones awaited.

    Args:
        func: a module-level function (it is pickled by reference for the workers).
        tasks: picklable task objects.
        workers: processes to use; ``<= 1`` runs in this process.
        desc: progress bar label.
        start_method: 'fork', 'spawn' or 'forkserver'; None for :func:`default_start_method`.
        unit: progress bar unit.
    """
    if workers <= 1 or len(tasks) <= 1:
        with tqdm(total=len(tasks), desc=desc, unit=unit, dynamic_ncols=True) as bar:
            yield from _run_here(func, tasks, bar)
        return
    context = multiprocessing.get_context(start_method or default_start_method())
    if context.get_start_method() == 'forkserver':
        context.set_forkserver_preload([func.__module__])  # takes effect when the server starts (once a process)
    workers = min(workers, len(tasks))
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)
    try:
        queue = iter(tasks)
        # The first submissions start the workers, before the progress bar starts a thread.
        pending = deque((task, executor.submit(func, task)) for task in islice(queue, 3 * workers))
        with tqdm(total=len(tasks), desc=desc, unit=unit, dynamic_ncols=True) as bar:
            while pending:
                task, future = pending.popleft()
                try:
                    result = future.result()
                except BrokenProcessPool as err:
                    raise WorkerDiedError(f'a worker process died while working on {getattr(task, "path", task)} '
                                          f'(out of memory? try fewer --workers)') from err
                for task in islice(queue, 1):
                    pending.append((task, executor.submit(func, task)))
                bar.update(1)
                yield result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
