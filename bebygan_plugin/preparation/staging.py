"""Outputs that only appear once complete, and safe re-runs.

Every output (an LMDB folder or an image folder) is built under ``<final>.incomplete`` and renamed to its final
name only after everything of the run was written, all outputs together at the end. A killed run leaves at most
``*.incomplete`` folders, which BasicSR cannot mistake for a dataset (an LMDB path must end with ``.lmdb``) and which
the next run deletes. LMDB folders also get ``bebygan_prepare.json`` (the settings and a fingerprint of the source
files); a re-run whose outputs exist with the same settings and sources does nothing, and existing outputs made
otherwise are only replaced with ``--overwrite``.
"""
import contextlib
import hashlib
import json
import os
import shutil
from typing import Dict, Iterator, List, Optional, Sequence

from .image_files import DatasetError

INCOMPLETE_SUFFIX = '.incomplete'
REPLACED_SUFFIX = '.replaced'
INFO_FILE = 'bebygan_prepare.json'


def staging_path(final: str) -> str:
    """Where ``final`` is built."""
    return final.rstrip('/\\') + INCOMPLETE_SUFFIX


def sources_fingerprint(paths: Sequence[str]) -> str:
    """SHA-1 over the names, sizes and modification times of the source files."""
    digest = hashlib.sha1()
    for path in paths:
        stat = os.stat(path)
        digest.update(f'{os.path.abspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode('utf-8', 'replace'))
    return digest.hexdigest()


def read_info(folder: str) -> Optional[Dict]:
    """The ``bebygan_prepare.json`` of an output folder, or None."""
    try:
        with open(os.path.join(folder, INFO_FILE), encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_info(folder: str, info: Dict) -> None:
    with open(os.path.join(folder, INFO_FILE), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=2, sort_keys=True)


def remove_leftovers(finals: Sequence[str], log=print) -> None:
    """Delete ``*.incomplete`` / ``*.replaced`` folders that an interrupted run left next to ``finals``."""
    for final in finals:
        for leftover in (staging_path(final), final.rstrip('/\\') + REPLACED_SUFFIX):
            if os.path.lexists(leftover):
                log(f'Removing {leftover}, left by an interrupted run')
                _remove(leftover)


def is_up_to_date(finals: Sequence[str], expected: Optional[Dict], overwrite: bool) -> bool:
    """Decide what a run does about existing outputs.

    Returns True when every output exists and was made with ``expected`` (``settings`` and ``sources`` of its info
    file), so there is nothing to do. Returns False when the outputs must be built: none exists, ``overwrite`` is
    set, or only some exist and those match (a run stopped while renaming).

    Raises:
        DatasetError: an output exists that this run would replace, and ``overwrite`` is not set.
    """
    existing = [final for final in finals if os.path.lexists(final)]
    if overwrite or not existing:
        return False

    def matches(final: str) -> bool:
        info = read_info(final) if expected is not None else None
        return info is not None and all(info.get(k) == expected.get(k) for k in ('settings', 'sources'))

    foreign = [final for final in existing if not matches(final)]
    if foreign:
        raise DatasetError(f'{foreign[0]} already exists and was not made from these inputs with these settings; '
                           f'pass --overwrite to replace it, or choose another output name')
    return len(existing) == len(finals)


def publish(finals: Sequence[str]) -> None:
    """Rename every ``staging_path(final)`` to ``final`` (replacing an old ``final``)."""
    replaced: List[str] = []
    for final in finals:
        if os.path.lexists(final):
            old = final.rstrip('/\\') + REPLACED_SUFFIX
            os.replace(final, old)
            replaced.append(old)
        os.replace(staging_path(final), final)
    for old in replaced:
        _remove(old)


@contextlib.contextmanager
def staged(finals: Sequence[str]) -> Iterator[list]:
    """Build ``finals`` under their staging names: all published together when the block completes. On any error
    or interrupt, the writers the block put in the yielded list are aborted and every staging folder is removed."""
    writers: list = []
    try:
        yield writers
        publish(finals)
    except BaseException:
        for writer in writers:
            writer.abort()
        discard(finals)
        raise


def discard(finals: Sequence[str]) -> None:
    """Delete the staging folders of ``finals`` (after a failure)."""
    for final in finals:
        if os.path.lexists(staging_path(final)):
            _remove(staging_path(final))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.remove(path)
