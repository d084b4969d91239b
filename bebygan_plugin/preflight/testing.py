"""Fail-fast checks of ``bebygan-test``, run before BasicSR creates ``results/<name>``.

The same pieces as training's checks, for a test run: the option file and its keys (``datasets.test_*`` /
``val_*`` phases, ``val.save_img``, no ``train`` section needed), the launch, every test set (folders, pairing,
scale, and every image decoded), ``path.pretrain_network_g`` (required for a generator with parameters: loads,
holds ``param_key_g``, fits ``network_g``) and the weights of the metrics.
"""
import argparse
from typing import List

from ..problems import raise_if_any
from .command_line import basicsr_argument_parser, read_options
from .datasets import check_datasets
from .environment import check_launch, check_run_folder_free, check_writable
from .options import check_options
from .weight_files import check_metric_weights, check_pretrained_networks

PROGRAM = 'bebygan-test'


def argument_parser() -> argparse.ArgumentParser:
    """``bebygan-test``'s command line: BasicSR's test flags."""
    return basicsr_argument_parser(
        PROGRAM, is_train=False,
        description='Test a trained network with BasicSR\'s test pipeline and the Beby-GAN components registered: '
                    'metrics per test set in the log, super-resolved images in ./results/<name>/visualization/. '
                    'Every problem of the option file, test sets and weights is reported before anything is '
                    'created.',
        example=f'{PROGRAM} -opt options/test_BebyGAN_x4.yml')


def run_preflight(argv: List[str], root_path: str) -> dict:
    """Check a test command line (``--help`` exits here); returns the parsed options or raises
    :class:`~bebygan_plugin.problems.ProblemsFound`."""
    args = argument_parser().parse_args(argv)
    opt, problems = read_options(PROGRAM, args)
    static = check_options(opt, is_train=False)
    problems += static
    problems += check_launch(opt, args.launcher)
    problems += check_writable(root_path, 'results')
    problems += check_run_folder_free(opt, root_path, 'results')
    problems += check_datasets(opt)
    broken = {p.where.split('.')[0] for p in static}
    if 'path' not in broken and 'network_g' not in broken:
        problems += check_pretrained_networks(opt, root_path, require_generator=True)
    if 'val' not in broken:
        problems += check_metric_weights(opt)
    raise_if_any(PROGRAM, problems, args.opt)
    return opt

