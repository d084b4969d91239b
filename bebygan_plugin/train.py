"""Train with BasicSR's pipeline and the Beby-GAN components registered:

    python bebygan_plugin/train.py -opt options/train_BebyGAN_x4.yml [--auto_resume] [--launcher pytorch] [--quiet]

Experiments are written under ``./experiments/<name>`` (the current directory is BasicSR's root path). Bad input
(option typos, missing or corrupt data, missing weights, scale mismatches...) is reported before anything is
created; see :mod:`bebygan_plugin.preflight`. ``--help`` lists the flags. ``--quiet`` (ours, not BasicSR's) keeps
the option and network dumps in the log file only and shows a progress line with it/s and ETA at most every 10 s
(:mod:`bebygan_plugin.run_control.console`). SIGTERM / SIGINT stop the run after the current iteration with a
checkpoint to resume from (:mod:`bebygan_plugin.run_control.stop_signals`); an out-of-memory error in a step is named
with what to change (:mod:`bebygan_plugin.run_control.out_of_memory`).
"""
import os
import sys

if __package__ in (None, ''):  # run as a script: make the package importable from a source checkout
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not the package dir itself

import bebygan_plugin  # noqa: E402,F401  (compat patches + registration)
from basicsr.train import train_pipeline  # noqa: E402

from bebygan_plugin.dataset_guards.corrupt_images import stop_on_corrupt_image  # noqa: E402
from bebygan_plugin.preflight import training  # noqa: E402
from bebygan_plugin.run_control import process_group  # noqa: E402
from bebygan_plugin.run_control.command_line import preflight_or_exit  # noqa: E402
from bebygan_plugin.run_control.console import QUIET_FLAG, quiet_console  # noqa: E402
from bebygan_plugin.run_control.out_of_memory import stop_on_out_of_memory  # noqa: E402
from bebygan_plugin.run_control.stop_signals import stop_on_signals  # noqa: E402


def main() -> None:
    preflight_or_exit(training.run_preflight, sys.argv[1:], os.getcwd())  # --help, or the problems, first
    if QUIET_FLAG in sys.argv[1:]:
        sys.argv.remove(QUIET_FLAG)  # BasicSR's own parser would reject it
        quiet_console()
    with stop_on_corrupt_image(training.PROGRAM, 'The checkpoints saved so far are intact: fix the data and '
                                                 'continue with --auto_resume.'), \
            stop_on_signals(training.PROGRAM), stop_on_out_of_memory(training.PROGRAM):
        train_pipeline(os.getcwd())
    process_group.finish()


if __name__ == '__main__':
    main()
