"""Patch 7: with ``prefetch_mode: cpu``, a loader error stops the run instead of hanging it.

BasicSR's ``PrefetchGenerator`` thread dies on a loader error and the training loop then waits for the next batch
forever. :func:`prefetch_run` / :func:`prefetch_next` hand the error over to the loop, which raises it.
"""
from basicsr.data.prefetch_dataloader import PrefetchGenerator


class _LoaderError:
    """What the prefetch thread hands over instead of a batch when the loader raised."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch_run(self) -> None:
    """``PrefetchGenerator.run`` that hands a loader error over to the training loop."""
    try:
        for item in self.generator:
            self.queue.put(item)
    except Exception as err:  # noqa: BLE001 - re-raised in the training loop by prefetch_next
        self.queue.put(_LoaderError(err))
        return
    self.queue.put(None)


def prefetch_next(self):
    """``PrefetchGenerator.__next__`` that raises the loader's error."""
    item = self.queue.get()
    if item is None:
        raise StopIteration
    if isinstance(item, _LoaderError):
        raise item.error
    return item


def apply() -> None:
    PrefetchGenerator.run, PrefetchGenerator.__next__ = prefetch_run, prefetch_next
