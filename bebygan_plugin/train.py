"""Train with BasicSR's pipeline and the Beby-GAN components registered:

    python bebygan_plugin/train.py -opt options/train_BebyGAN_x4.yml [--auto_resume] [--launcher pytorch] [--quiet]

Experiments are written under ``./experiments/<name>`` (the current directory is BasicSR's root path). Bad input
(option typos, missing data or weights, scale mismatches...) is reported before anything is created; see
``bebygan_plugin.training.preflight``. ``--quiet`` (ours, not BasicSR's) keeps the option and network dumps in the
log file only and shows a progress line with it/s and ETA at most every 10 s (``bebygan_plugin.training.console``).
"""
import os
import sys

if __package__ in (None, ''):  # run as a script: make the package importable from a source checkout
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not the package dir itself

import bebygan_plugin  # noqa: E402,F401  (compat patches + registration)
from basicsr.train import train_pipeline  # noqa: E402

from bebygan_plugin.training import distributed  # noqa: E402
from bebygan_plugin.training.console import QUIET_FLAG, quiet_console  # noqa: E402
from bebygan_plugin.training.preflight import preflight_or_exit  # noqa: E402


def main() -> None:
    if QUIET_FLAG in sys.argv[1:]:
        sys.argv.remove(QUIET_FLAG)  # BasicSR's own parser would reject it
        quiet_console()
    preflight_or_exit(sys.argv[1:], os.getcwd())  # exits with the list of problems before anything is created
    train_pipeline(os.getcwd())
    distributed.finish()


if __name__ == '__main__':
    main()
