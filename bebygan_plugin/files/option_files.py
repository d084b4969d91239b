"""Option files: the one reader of BasicSR option YAML files (training, testing, inference)."""
from os import path as osp
from typing import List, Optional, Tuple

import yaml

from ..problems import Problem


def load_option_file(opt_path: str) -> Tuple[Optional[dict], List[Problem]]:
    """``(opt, problems)``: the YAML parsed like BasicSR does, or the reason it cannot be."""
    if not osp.isfile(opt_path):
        return None, [Problem('-opt', f'option file {opt_path!r} does not exist')]
    from basicsr.utils.options import ordered_yaml

    try:
        with open(opt_path, encoding='utf-8') as f:
            opt = yaml.load(f, Loader=ordered_yaml()[0])  # noqa: S506 - issue 22 (helper safety) makes it safe
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = f'{opt_path} line {mark.line + 1}, column {mark.column + 1}' if mark else opt_path
        return None, [Problem(where, f'is not valid YAML: {getattr(err, "problem", None) or err}')]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(opt_path, f'cannot be read: {err}')]
    if not isinstance(opt, dict):
        return None, [Problem(opt_path, f'must hold a mapping of options, got {type(opt).__name__}')]
    return opt, []
