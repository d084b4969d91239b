"""Output paths checked before any work: every command that writes (``bebygan-infer``, ``-eval``, ``-convert``,
``-interpolate``, ``-export``, ``-prepare``) asks here first whether its outputs can be written where asked.

Checked without creating anything: a file where a folder is expected, a folder where a file is expected, a
parent that cannot be created (a file on the way) or written. Each problem is one
:class:`~bebygan_plugin.problems.Problem` naming the path and the fix.
"""
import errno
import os
import stat
import tempfile
from os import path as osp
from typing import List, Optional, Sequence

from ..problems import Problem


def is_writable_folder(folder: str) -> bool:
    """Whether a file can be created in ``folder``, found by creating (and removing) an empty hidden one:
    ``os.access`` says yes to root everywhere, even in ``/proc`` or on a read-only mount."""
    try:
        fd, probe = tempfile.mkstemp(prefix='.bebygan-write-probe-', dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.remove(probe)
    return True


def special_file_kind(path: str) -> Optional[str]:
    """What ``path`` is when it exists but is neither a regular file nor a folder (through symbolic links): a symbolic
    link loop, a link to nothing, a named pipe (FIFO), a socket, a device; None otherwise (missing, a file or a
    folder)."""
    if not osp.lexists(path):
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return 'a symbolic link loop'
        if osp.islink(path):
            return f'a symbolic link to {os.readlink(path)}, which does not exist'
        return f'unreadable ({err.strerror})'
    kinds = ((stat.S_ISFIFO, 'a named pipe (FIFO)'), (stat.S_ISSOCK, 'a socket'),
             (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'))
    return next((kind for test, kind in kinds if test(mode)), None)


def _nearest_existing(path: str) -> str:
    """The deepest existing ancestor of ``path`` (absolute), or ``path`` itself when it exists."""
    current = osp.abspath(path)
    while not osp.lexists(current) and osp.dirname(current) != current:
        current = osp.dirname(current)
    return current


def _creatable_problems(folder: str, where: str, cannot: str) -> List[Problem]:
    """``folder`` does not exist: its nearest existing ancestor must be a writable folder. ``cannot`` starts the
    message (e.g. ``cannot create output folder X``)."""
    ancestor = _nearest_existing(folder)
    if not osp.isdir(ancestor):
        return [Problem(where, f'{cannot}: {ancestor} is a file, not a folder; remove it or choose another path')]
    if not is_writable_folder(ancestor):
        return [Problem(where, f'{cannot}: {ancestor} is not writable; fix its permissions or choose another path')]
    return []


def output_folder_problems(folder: str, where: str = '-o') -> List[Problem]:
    """``folder`` is a writable folder, or can be created as one."""
    if osp.lexists(folder):
        if not osp.isdir(folder):
            return [Problem(where, f'{folder} is a file, but an output folder is expected here; remove the file or '
                                   'choose another folder')]
        if not is_writable_folder(folder):
            return [Problem(where, f'output folder {folder} is not writable; fix its permissions or choose another '
                                   'folder')]
        return []
    return _creatable_problems(folder, where, f'cannot create output folder {folder}')


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def input_overlap_problems(inputs: Sequence[str], outputs: Sequence[str], where: str) -> List[Problem]:
    """Each output path (a folder or file a command creates, replaces or deletes) neither equals, contains nor lies
    inside an input folder or file (symbolic links resolved): replacing it would destroy inputs, or the output
    would land among them."""
    problems = []
    for output in outputs:
        real_out = osp.realpath(output)
        for source in inputs:
            real_in = osp.realpath(source)
            if real_out == real_in:
                relation = 'is'
            elif _within(real_in, real_out):
                relation = 'contains'
            elif _within(real_out, real_in):
                relation = 'lies inside'
            else:
                continue
            problems.append(Problem(where, f'the output {output} {relation} the input {source}: writing it would '
                                           'replace or mix with the input; choose an output path outside every '
                                           'input folder'))
            break
    return problems


def output_file_problems(file: str, where: str = '-o', example: Optional[str] = None) -> List[Problem]:
    """``file`` can be written (it may exist as a file: it is replaced) and its folder exists or can be made.

    ``example``: a file name suggested when ``file`` is a folder (e.g. ``net_g.pth``).
    """
    hint = f', e.g. {osp.join(file, example)}' if example else ''
    if osp.isdir(file) or file.endswith(('/', os.sep)):
        return [Problem(where, f'{file} is a folder, but an output file is expected here; give a file name{hint}')]
    folder = osp.dirname(osp.abspath(file))
    if osp.isdir(folder):
        if not is_writable_folder(folder):
            return [Problem(where, f'cannot write {file}: its folder {folder} is not writable; fix its permissions '
                                   'or choose another path')]
        return []
    return _creatable_problems(folder, where, f'cannot write {file}')


__all__ = ['input_overlap_problems', 'is_writable_folder', 'output_file_problems', 'output_folder_problems',
           'special_file_kind']
