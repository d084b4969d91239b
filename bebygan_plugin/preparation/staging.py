"""Outputs that only appear once complete, published together, and safe re-runs.

Every output (an LMDB folder or an image folder) is built under ``<final>.incomplete`` and renamed to its final
name only after everything of the run was written, all outputs together at the end. A killed run leaves at most
``*.incomplete`` folders, which BasicSR cannot mistake for a dataset (an LMDB path must end with ``.lmdb``) and which
the next run deletes. LMDB folders also get ``bebygan_prepare.json`` (the settings, a fingerprint of the source
files, and the ``run_id`` shared by every output of one run); a re-run whose outputs exist with the same settings
and sources does nothing, and existing outputs made otherwise are only replaced with ``--overwrite``.

Publishing a pair (e.g. the HR and LR LMDBs of ``bebygan-prepare --overwrite``) first moves *every* old output
aside (``<final>.replaced``), then renames every new one into place, so the final names never hold an old and a
new output side by side. A process killed between those renames leaves one or both final names empty for that
moment; the next run of any preparation command on these outputs finishes that publication first
(:func:`recover_interrupted_publish`: the new outputs are complete once their info files exist), and the training
preflight refuses an LMDB pair whose ``run_id`` differ.
"""
import contextlib
import hashlib
import json
import os
import shutil
from typing import Dict, Iterator, List, Optional, Sequence

from ..files.staged_outputs import INFO_FILE, read_info, replaced_path, run_id, staging_path
from .image_files import DatasetError

def staged_paths(finals: Sequence[str]) -> List[str]:
    """Every path a run of ``finals`` creates, replaces or deletes: each final, its staging and replaced names."""
    return [path for final in finals for path in (final, staging_path(final), replaced_path(final))]


def sources_fingerprint(paths: Sequence[str]) -> str:
    """SHA-1 over the names, sizes and modification times of the source files."""
    digest = hashlib.sha1()
    for path in paths:
        stat = os.stat(path)
        digest.update(f'{os.path.abspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode('utf-8', 'replace'))
    return digest.hexdigest()


def write_info(folder: str, info: Dict) -> None:
    with open(os.path.join(folder, INFO_FILE), 'w', encoding='utf-8') as f:
        json.dump(info, f, indent=2, sort_keys=True)


def remove_leftovers(finals: Sequence[str], log=print) -> None:
    """Finish or undo an interrupted publication (:func:`recover_interrupted_publish`), then delete the
    ``*.incomplete`` / ``*.replaced`` folders that an interrupted run left next to ``finals``."""
    recover_interrupted_publish(finals, log)
    for final in finals:
        for leftover in (staging_path(final), replaced_path(final)):
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
    """Rename every ``staging_path(final)`` to ``final``: all old finals are moved aside first, so no moment has an
    old output beside a new one under the final names."""
    replaced = []
    for final in finals:
        if os.path.lexists(final):
            os.replace(final, replaced_path(final))
            replaced.append(replaced_path(final))
    for final in finals:
        os.replace(staging_path(final), final)
    for old in replaced:
        _remove(old)


def recover_interrupted_publish(finals: Sequence[str], log=print) -> None:
    """Finish a publication of ``finals`` that a killed process left half done: when a final is missing and the staged
    outputs of one run are complete (their info files carry the same ``run_id``), rename them into place; otherwise
    put back an old output moved aside for a replacement that never came."""
    if all(os.path.lexists(final) for final in finals):
        return
    staged_ids = {final: run_id(staging_path(final)) for final in finals if os.path.isdir(staging_path(final))}
    ids = set(staged_ids.values())
    if staged_ids and len(ids) == 1 and None not in ids:
        new = ids.pop()
        if all(final in staged_ids or run_id(final) == new for final in finals):
            log(f'Finishing the publication of {", ".join(finals)}, interrupted while renaming')
            for final in finals:
                if final in staged_ids and os.path.lexists(final):
                    os.replace(final, replaced_path(final))
            for final in staged_ids:
                os.replace(staging_path(final), final)
            return
    for final in finals:
        if not os.path.lexists(final) and os.path.lexists(replaced_path(final)):
            log(f'Restoring {final}, moved aside by an interrupted run')
            os.replace(replaced_path(final), final)


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
