"""Fail-fast checks of ``bebygan-train``, run before BasicSR creates ``experiments/<name>``.

Everything a training run needs is checked up front and all problems are reported at once (the option errors and
the data, weight and environment problems of every section in one report), each naming its culprit (an option key
or a file) and the fix: the option file and every key (:mod:`bebygan_plugin.schema`), the launch and loggers
(:mod:`.environment`), the data (:mod:`.datasets`), the weight files (:mod:`.weight_files`) and
``path.resume_state``.
"""
from os import path as osp
from typing import List

from ..files.training_states import list_training_states
from ..problems import Problem, raise_if_any
from ..run_control.command_line import TRAIN_PROGRAM as PROGRAM
from ..run_control.command_line import read_options, train_argument_parser
from ..schema import check_options
from .datasets import check_datasets
from .environment import check_launch, check_loggers, check_writable
from .weight_files import check_loss_weights, check_metric_weights, check_pretrained_networks

def _resuming(opt: dict, root_path: str, auto_resume: bool) -> bool:
    path = opt.get('path') if isinstance(opt.get('path'), dict) else {}
    states_dir = osp.join(root_path, 'experiments', str(opt.get('name', '')), 'training_states')
    return bool(path.get('resume_state')) or (auto_resume and bool(list_training_states(states_dir)))


def check_resume_state(opt: dict, root_path: str, auto_resume: bool) -> List[Problem]:
    """``path.resume_state`` exists and resumes into an existing ``experiments/<name>`` (unless ``--auto_resume``)."""
    path = opt.get('path') if isinstance(opt.get('path'), dict) else {}
    name = opt.get('name', '')
    if not isinstance(path.get('resume_state'), str) or auto_resume:
        return []
    state = osp.expanduser(path['resume_state'])
    if not osp.isfile(state):
        return [Problem('path.resume_state', f'{state!r} does not exist; fix the path, or remove it and use '
                                             '--auto_resume')]
    if not osp.isdir(osp.join(root_path, 'experiments', str(name))):
        return [Problem('path.resume_state', f'resuming writes into experiments/{name}, which does not exist here: '
                                             'run from the folder holding experiments/ and keep the experiment name')]
    return []


def run_preflight(argv: List[str], root_path: str) -> dict:
    """Check a training command line (``--help`` exits here); returns the parsed options or raises
    :class:`~bebygan_plugin.problems.ProblemsFound`."""
    args = train_argument_parser().parse_args(argv)
    opt, problems = read_options(PROGRAM, args)
    if args.debug and not str(opt.get('name', '')).startswith('debug'):
        opt['name'] = f'debug_{opt.get("name")}'
    problems += check_options(opt, is_train=True)
    problems += check_launch(opt, args.launcher)
    problems += check_loggers(opt)
    problems += check_writable(root_path, 'experiments')
    problems += check_datasets(opt)
    problems += check_resume_state(opt, root_path, args.auto_resume)
    if not _resuming(opt, root_path, args.auto_resume):  # BasicSR loads the checkpoint's networks instead
        problems += check_pretrained_networks(opt, root_path)
    problems += check_loss_weights(opt)
    problems += check_metric_weights(opt)
    raise_if_any(PROGRAM, problems, args.opt)
    return opt

