"""The command line of ``bebygan-train`` and ``bebygan-test`` and its option file, read the way BasicSR's
``parse_options`` reads them.

BasicSR parses ``sys.argv`` itself once the start-up checks (:mod:`bebygan_plugin.preflight`) pass; these parsers
only validate it first and give each entry point its own ``--help`` (a test run has no ``--auto_resume`` or
``--debug``).
"""
import argparse
from typing import Callable, List, Optional, Tuple

from ..compat.private_names import basicsr_force_yml_value
from ..files.option_files import load_option_file
from ..problems import Problem, ProblemsFound, exit_on_problems

LAUNCHERS = ('none', 'pytorch', 'slurm')
TRAIN_PROGRAM, TEST_PROGRAM = 'bebygan-train', 'bebygan-test'


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



def train_argument_parser() -> argparse.ArgumentParser:
    """``bebygan-train``'s command line: BasicSR's training flags, and ``--quiet``."""
    parser = basicsr_argument_parser(
        TRAIN_PROGRAM, is_train=True,
        description='Train with BasicSR\'s pipeline and the Beby-GAN components registered. Experiments are written '
                    'to ./experiments/<name>/ (models, training_states, logs); every problem of the option file, '
                    'data and weights is reported before anything is created.',
        example=f'{TRAIN_PROGRAM} -opt options/train_BebyGAN_x4.yml --auto_resume')
    parser.add_argument('--quiet', action='store_true',
                        help='console: warnings, validation and a progress line (it/s, ETA) at most every 10 s; the '
                             'log file in experiments/<name>/ keeps everything')
    return parser


def test_argument_parser() -> argparse.ArgumentParser:
    """``bebygan-test``'s command line: BasicSR's test flags."""
    return basicsr_argument_parser(
        TEST_PROGRAM, is_train=False,
        description='Test a trained network with BasicSR\'s test pipeline and the Beby-GAN components registered: '
                    'metrics per test set in the log, super-resolved images in ./results/<name>/visualization/. '
                    'Every problem of the option file, test sets and weights is reported before anything is '
                    'created.',
        example=f'{TEST_PROGRAM} -opt options/test_BebyGAN_x4.yml')

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
