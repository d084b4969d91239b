"""``results_to_write``: the one loop of the preparation commands that writes what their workers return (GT-only
and DF2K pairs): bad images raise or, with ``--skip-bad``, are kept for the report; the writers open at the first
usable result; nothing usable is an error."""
from types import SimpleNamespace

import pytest

from bebygan_plugin.files.images import BadImageError
from bebygan_plugin.preparation.image_files import DatasetError, results_to_write


def _results(*names):
    return [SimpleNamespace(name=n, error=BadImageError(n, 'cannot be decoded') if n.startswith('bad') else None)
            for n in names]


def test_usable_results_are_yielded_after_the_writers_open_once():
    writers, failed, opened = [], [], []

    def open_writers():
        opened.append(len(written))
        return ['writer']

    written = []
    for result in results_to_write(_results('bad1', 'a', 'bad2', 'b'), writers, open_writers, True, failed):
        assert writers == ['writer']
        written.append(result.name)
    assert written == ['a', 'b'] and opened == [0] and [e.path for e in failed] == ['bad1', 'bad2']


def test_a_bad_image_raises_without_skip_bad():
    with pytest.raises(BadImageError, match='bad1: cannot be decoded'):
        list(results_to_write(_results('a', 'bad1'), [], lambda: ['writer'], False, []))


def test_nothing_usable_is_an_error_and_opens_nothing():
    writers, failed = [], []
    with pytest.raises(DatasetError, match='every input image was skipped; nothing to write'):
        list(results_to_write(_results('bad1', 'bad2'), writers, lambda: pytest.fail('opened'), True, failed))
    assert writers == [] and len(failed) == 2
