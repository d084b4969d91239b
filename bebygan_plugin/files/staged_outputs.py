"""Names and info files of the outputs the preparation commands stage and publish
(:mod:`bebygan_plugin.preparation.staging` writes them; the training preflight reads them).

An output ``<final>`` is built as ``<final>.incomplete``; an old ``<final>`` waits as ``<final>.replaced`` while its
replacement is renamed into place. An LMDB output holds ``bebygan_prepare.json``: its settings, the fingerprint of its
sources and the ``run_id`` every output of one run shares.
"""
import json
import os
from typing import Dict, Optional

INCOMPLETE_SUFFIX = '.incomplete'
REPLACED_SUFFIX = '.replaced'
INFO_FILE = 'bebygan_prepare.json'


def staging_path(final: str) -> str:
    """Where ``final`` is built."""
    return final.rstrip('/\\') + INCOMPLETE_SUFFIX


def replaced_path(final: str) -> str:
    """Where an old ``final`` waits while its replacement is renamed into place."""
    return final.rstrip('/\\') + REPLACED_SUFFIX


def read_info(folder: str) -> Optional[Dict]:
    """The ``bebygan_prepare.json`` of an output folder, or None."""
    try:
        with open(os.path.join(folder, INFO_FILE), encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def run_id(folder: str) -> Optional[str]:
    """The ``run_id`` of an output's info file (None without one)."""
    info = read_info(folder)
    return info.get('run_id') if isinstance(info, dict) else None
