"""Fail-fast checks of ``bebygan-test``, run before BasicSR creates ``results/<name>``.

The same pieces as training's checks, for a test run: the option file and its keys (``datasets.test_*`` /
``val_*`` phases, ``val.save_img``, no ``train`` section needed), the launch, every test set (folders, pairing,
scale, and every image decoded), ``path.pretrain_network_g`` (required for a generator with parameters: loads,
holds ``param_key_g``, fits ``network_g``) and the weights of the metrics.
"""
from typing import List

from ..problems import raise_if_any
from ..run_control.command_line import TEST_PROGRAM as PROGRAM
from ..run_control.command_line import read_options, test_argument_parser
from ..schema import check_options
from .datasets import check_datasets
from .environment import check_launch, check_writable
from .weight_files import check_metric_weights, check_pretrained_networks

def run_preflight(argv: List[str], root_path: str) -> dict:
    """Check a test command line (``--help`` exits here); returns the parsed options or raises
    :class:`~bebygan_plugin.problems.ProblemsFound`."""
    args = test_argument_parser().parse_args(argv)
    opt, problems = read_options(PROGRAM, args)
    problems += check_options(opt, is_train=False)
    problems += check_launch(opt, args.launcher)
    problems += check_writable(root_path, 'results')
    problems += check_datasets(opt)
    problems += check_pretrained_networks(opt, root_path, require_generator=True)
    problems += check_metric_weights(opt)
    raise_if_any(PROGRAM, problems, args.opt)
    return opt

