"""Patch 8: BasicSR's ``parse_options`` reads option files safely and takes the lock of the run's folder.

BasicSR 1.4.2 parses option files with PyYAML's full loader (``!!python/object/apply:os.system [...]`` runs a
command), ``eval()``-s ``--force_yml`` values starting with ``[`` and ``exec()``-s the keys, and archives a folder
``experiments/<name>`` (``results/<name>`` for tests) that a running process is still writing. Under
``bebygan-train`` / ``bebygan-test`` and BasicSR's own ``basicsr/train.py`` through the ``.pth`` hook:

- ``ordered_yaml`` gives :class:`~bebygan_plugin.files.option_files.OptionFileLoader` (safe, ordered mappings) and
  ``_postprocess_yml_value`` is :func:`~bebygan_plugin.files.option_files.parse_override_value` (YAML, never eval);
- :func:`parse_options` refuses ``--force_yml`` keys that are not plain names (BasicSR pastes them into ``exec``),
  turns an unreadable option file into one message and exit status 2, and then locks the run's folder for the life
  of the process (:mod:`bebygan_plugin.files.folder_lock`), before BasicSR loads a resume state, archives or creates
  anything. In a distributed run rank 0 takes the lock and every rank stops when it is refused.
"""
import sys

import basicsr.test
import basicsr.train
import basicsr.utils.options as basicsr_options
import yaml

from ..files.folder_lock import FolderInUseError, lock_folder
from ..files.option_files import OVERRIDE_KEY, OptionFileLoader, parse_override_value
from .private_names import replace_basicsr_force_yml_parser

ORIGINAL = {'parse_options': basicsr_options.parse_options, 'ordered_yaml': basicsr_options.ordered_yaml}
RENAME_HINT = ' (name: in the option file, or --force_yml name=NEW_NAME)'


def ordered_yaml():
    """BasicSR's ``(Loader, Dumper)`` pair with the safe ordered loader."""
    _, dumper = ORIGINAL['ordered_yaml']()
    return OptionFileLoader, dumper


def run_folder(opt: dict) -> str:
    """The folder a parsed run writes: ``experiments/<name>`` (training) or ``results/<name>`` (test)."""
    return opt['path']['experiments_root' if opt.get('is_train') else 'results_root']


def lock_run_folder(opt: dict) -> None:
    """Lock :func:`run_folder` on rank 0; every rank exits with status 2 (rank 0 says why) when it is in use."""
    refusal = None
    if opt.get('rank', 0) == 0:
        try:
            lock_folder(run_folder(opt), 'experiment folder' if opt.get('is_train') else 'results folder',
                        RENAME_HINT)
        except (FolderInUseError, OSError) as err:
            refusal = str(err)
    if opt.get('dist'):
        from torch import distributed as dist

        holder = [refusal]
        dist.broadcast_object_list(holder, src=0)
        refusal = holder[0]
        if refusal is not None:  # every rank leaves the group before exiting (a gloo rank may abort otherwise)
            dist.destroy_process_group()
    if refusal is not None:
        if opt.get('rank', 0) == 0:
            print(f'{sys.argv[0]}: {refusal}', file=sys.stderr, flush=True)
        raise SystemExit(2)


def _refuse_unsafe_override_keys() -> None:
    argv = sys.argv[1:]
    if '--force_yml' not in argv:
        return
    for entry in argv[argv.index('--force_yml') + 1:]:
        if entry.startswith('-'):
            break
        keys = entry.split('=', 1)[0].strip()
        if not OVERRIDE_KEY.match(keys):
            print(f'--force_yml {entry}: keys must be plain option names joined by ":" (e.g. train:ema_decay=0.999)',
                  file=sys.stderr, flush=True)
            raise SystemExit(2)


def parse_options(root_path, is_train=True):
    """BasicSR's ``parse_options`` with safe parsing, named errors and the folder lock (module doc)."""
    _refuse_unsafe_override_keys()
    try:
        opt, args = ORIGINAL['parse_options'](root_path, is_train)
    except (yaml.YAMLError, OSError) as err:
        print(f'{sys.argv[0]}: the option file cannot be used: {err}', file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    lock_run_folder(opt)
    return opt, args


def apply() -> None:
    basicsr_options.ordered_yaml = ordered_yaml
    replace_basicsr_force_yml_parser(parse_override_value)
    for module in (basicsr_options, basicsr.train, basicsr.test):
        module.parse_options = parse_options
