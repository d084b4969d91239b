"""Image folders: the one listing of a folder's files, the keys of its images and the pairing of two folders' names.

Used by the preflight (BasicSR's ``filename_tmpl`` pairing), ``bebygan-eval`` (GT / LQ and results folders) and
``bebygan-prepare``; each caller words its own messages about missing, extra and double images.
"""
import os
import re
from os import path as osp
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from .images import is_image_file

_NOT_KEY_CHAR = re.compile(r'[^A-Za-z0-9_-]')


def list_files(folder: str, hidden: bool = False) -> List[str]:
    """Names of the files directly in ``folder`` (no recursion), sorted; ``hidden`` (``.x``) ones only if asked.

    Without ``hidden`` these are the names BasicSR's ``scandir(folder, recursive=False)`` yields."""
    return [name for name in sorted(os.listdir(folder))
            if (hidden or not name.startswith('.')) and osp.isfile(osp.join(folder, name))]


def image_key(file_name: str, strip_suffix: str = '') -> str:
    """The key of an image (its LMDB key): stem, optional ``strip_suffix`` removed, unsafe characters -> ``_``."""
    stem = osp.splitext(osp.basename(file_name))[0]
    if strip_suffix and stem.endswith(strip_suffix) and len(stem) > len(strip_suffix):
        stem = stem[:-len(strip_suffix)]
    return _NOT_KEY_CHAR.sub('_', stem)


def images_by_key(folder: str, key: Callable[[str], str] = image_key) -> Tuple[Dict[str, List[str]], List[str]]:
    """The image files of ``folder`` (paths) grouped by ``key(file name)`` in name order (a group of two or more:
    images that share a key), and the paths of the other files (hidden ones included)."""
    found: Dict[str, List[str]] = {}
    ignored = []
    for name in list_files(folder, hidden=True):
        path = osp.join(folder, name)
        if is_image_file(name):
            found.setdefault(key(name), []).append(path)
        else:
            ignored.append(path)
    return found, ignored


def template_name(name: str, template: str) -> str:
    """The partner of file ``name`` under BasicSR's ``filename_tmpl``: ``template.format(stem) + extension``."""
    stem, ext = osp.splitext(osp.basename(name))
    return osp.join(osp.dirname(name), f'{template.format(stem)}{ext}')


def pair_by_owner(partners: Iterable[str], owner: Callable[[str], Optional[str]]
                  ) -> Tuple[Dict[str, List[str]], List[str]]:
    """``partners`` grouped by the name that owns each (``owner(partner)``, e.g. its GT image), in their order, and
    the partners that no name owns; an owner missing from the groups has no partner, one with two has doubles."""
    owned: Dict[str, List[str]] = {}
    unowned = []
    for partner in partners:
        name = owner(partner)
        if name is None:
            unowned.append(partner)
        else:
            owned.setdefault(name, []).append(partner)
    return owned, unowned
