"""The command line of a BasicSR run and its option file, read the way BasicSR's ``parse_options`` reads them.

BasicSR parses ``sys.argv`` itself once the checks pass; these parsers only validate it first and give each entry
point its own ``--help`` (a test run has no ``--auto_resume`` or ``--debug``).
"""
import argparse
from typing import Callable, List, Optional, Tuple

from ..compat.private_names import basicsr_force_yml_value
from ..files.option_files import load_option_file
from ..problems import Problem, ProblemsFound, exit_on_problems

LAUNCHERS = ('none', 'pytorch', 'slurm')


def basicsr_argument_parser(program: str, is_train: bool, description: str, example: str) -> argparse.ArgumentParser:
    """The flags BasicSR's ``parse_options`` accepts for a training (``is_train``) or test run."""
    parser = argparse.ArgumentParser(prog=program, description=description, epilog=f'Example: {example}')
    parser.add_argument('-opt', required=True, metavar='OPTIONS_YML', help='the option file (YAML)')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='pytorch: one process per GPU under python -m torch.distributed.run; slurm: under srun '
                             '(default: none, one process)')
    if is_train:
        parser.add_argument('--auto_resume', action='store_true',
                            help='continue from the newest complete checkpoint of experiments/<name>/')
        parser.add_argument('--debug', action='store_true',
                            help="BasicSR's debug mode: name prefixed with debug_, frequent logs and checkpoints")
    parser.add_argument('--local_rank', type=int, default=0, help=argparse.SUPPRESS)  # torch.distributed.launch
    parser.add_argument('--force_yml', nargs='+', default=None, metavar='KEY:SUBKEY=VALUE',
                        help='override option values, e.g. --force_yml name=my_run num_gpu=1 (sections must exist)')
    return parser


def apply_force_yml(opt: dict, entries: Optional[List[str]]) -> List[Problem]:
    """BasicSR's ``--force_yml a:b=value`` overrides (which may not create new sections)."""
    problems = []
    for entry in entries or []:
        if entry.count('=') != 1:
            problems.append(Problem(f'--force_yml {entry}', 'expected KEY:SUBKEY=VALUE'))
            continue
        keys, value = (part.strip() for part in entry.split('='))
        node, parts = opt, keys.split(':')
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                problems.append(Problem(f'--force_yml {entry}', f"section '{part}' does not exist in the options"))
                break
            node = node[part]
        else:
            node[parts[-1]] = basicsr_force_yml_value(value)
    return problems


def read_options(program: str, args: argparse.Namespace) -> Tuple[dict, List[Problem]]:
    """The option file ``args.opt`` with ``args.force_yml`` applied, and the problems of the overrides; raises
    :class:`~bebygan_plugin.problems.ProblemsFound` when the file cannot be used at all."""
    opt, problems = load_option_file(args.opt)
    if opt is None:
        raise ProblemsFound(program, problems, args.opt)
    return opt, apply_force_yml(opt, args.force_yml)


def preflight_or_exit(run_preflight: Callable[[List[str], str], dict], argv: List[str], root_path: str) -> dict:
    """``run_preflight(argv, root_path)``; on bad input print the problems (rank 0 only) and exit with status 2."""
    try:
        return run_preflight(argv, root_path)
    except ProblemsFound as err:
        exit_on_problems(err)
