"""Corrupt images met while BasicSR's datasets load: the error that names them, and how the entry points stop on it.

:mod:`bebygan_plugin.compat.undecodable_images` (patch 6) makes every BasicSR dataset raise
:class:`CorruptImageError` naming the file or LMDB key, the dataset and the fix, or skip the image on a training
set with ``skip_corrupt_images: true``; :func:`stop_on_corrupt_image` turns the error, also when a DataLoader
worker re-raises it in the main process, into a short report and exit status 2 for the entry points.
"""
import contextlib
from typing import Iterator

from ..problems import stop_run

SKIP_OPTION = 'skip_corrupt_images'  # dataset option: true skips (and logs) undecodable training images


class CorruptImageError(ValueError):
    """An image a dataset cannot decode; the message names it and the fix (one argument, so that a DataLoader
    worker can re-raise it in the main process)."""

    def summary(self) -> str:
        """The message without the traceback a DataLoader worker prepends when it re-raises the error."""
        text = str(self)
        marker = f'{type(self).__name__}: '
        return text[text.rindex(marker) + len(marker):].strip() if 'Original Traceback' in text else text


@contextlib.contextmanager
def stop_on_corrupt_image(program: str, after: str) -> Iterator[None]:
    """Around a BasicSR pipeline: a :class:`CorruptImageError` becomes a report (stderr and the run's log, ``after``
    says what state the run leaves) and exit status 2."""
    try:
        yield
    except CorruptImageError as err:
        stop_run(f'{program}: stopped on a corrupt image: {err.summary()}. {after}')

