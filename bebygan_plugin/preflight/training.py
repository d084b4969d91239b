"""``bebygan-train``'s checks, all problems in one report before BasicSR creates ``experiments/<name>``: the
options, launch, loggers, data, weight files and ``path.resume_state``."""
from os import path as osp
from typing import List

from ..files.checkpoint import CheckpointError
from ..files.training_states import (experiment_options, list_training_states, load_checked_state,
                                     resumed_network_paths, will_resume)
from ..problems import Problem, raise_if_any
from ..run_control.command_line import TRAIN_PROGRAM as PROGRAM
from ..run_control.command_line import read_options, train_argument_parser
from ..schema import check_options
from .datasets import check_datasets
from .environment import check_launch, check_loggers, check_run_folder_free, check_writable
from .weight_files import check_loss_weights, check_metric_weights, check_pretrained_networks, check_resume_networks


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


def check_resume(opt: dict, root_path: str, auto_resume: bool) -> List[Problem]:
    """What a resumed run loads: a readable ``path.resume_state``, networks that fit ``network_*`` (the first key
    whose shapes differ is named), and iterations left before ``train.total_iter``."""
    run_opt = experiment_options(opt, root_path)
    paths = run_opt['path']
    if auto_resume:
        states = list_training_states(run_opt['path']['training_states'])
        if not states:
            return []
        (iteration, state_file), where = states[0], '--auto_resume'
    elif paths.get('resume_state'):
        state_file, where = osp.expanduser(paths['resume_state']), 'path.resume_state'
        try:
            iteration = load_checked_state(run_opt, state_file)['iter']
        except CheckpointError as err:
            return [Problem(where, f'{err}; point it at a complete checkpoint, or remove it and use --auto_resume')]
    else:
        return []
    networks = [(key[len('network_'):], file, 'params') for key, file in resumed_network_paths(run_opt, iteration)]
    problems = check_resume_networks(run_opt, networks, where)
    total = (opt.get('train') or {}).get('total_iter')
    if isinstance(total, (int, float)) and not isinstance(total, bool) and iteration >= total:
        weights = osp.join(run_opt['path']['models'], f'net_g_{iteration}.pth')
        problems.append(Problem('train.total_iter', f'is {total:g}, and {state_file} has reached iteration '
                                                    f'{iteration}: nothing is left to train (BasicSR would stop at '
                                                    'once and exit as if it had trained). Raise train.total_iter to '
                                                    f'train on; the weights of iteration {iteration} are {weights}'))
    return problems


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
    problems += check_run_folder_free(opt, root_path, 'experiments')
    problems += check_datasets(opt)
    state_problems = check_resume_state(opt, root_path, args.auto_resume)
    problems += state_problems
    if not will_resume(opt, root_path, args.auto_resume):  # BasicSR loads the checkpoint's networks instead
        problems += check_pretrained_networks(opt, root_path)
    elif not state_problems:
        problems += check_resume(opt, root_path, args.auto_resume)
    problems += check_loss_weights(opt)
    problems += check_metric_weights(opt)
    raise_if_any(PROGRAM, problems, args.opt)
    return opt

