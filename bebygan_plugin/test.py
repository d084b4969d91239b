"""Test (evaluate / super-resolve) with BasicSR's pipeline and the Beby-GAN components registered:

    python bebygan_plugin/test.py -opt options/test_BebyGAN_x4.yml

Results are written under ``./results/<name>``. Bad input (option typos, missing or corrupt test images, missing
weights) is reported before anything is created; see :mod:`bebygan_plugin.preflight`. ``--help`` lists the flags.
"""
import os
import sys

if __package__ in (None, ''):  # run as a script from a source checkout
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not the package dir itself

import bebygan_plugin  # noqa: E402,F401
from basicsr.test import test_pipeline  # noqa: E402

from bebygan_plugin.dataset_guards.corrupt_images import stop_on_corrupt_image  # noqa: E402
from bebygan_plugin.preflight import testing  # noqa: E402
from bebygan_plugin.run_control.command_line import preflight_or_exit  # noqa: E402


def main() -> None:
    preflight_or_exit(testing.run_preflight, sys.argv[1:], os.getcwd())  # --help, or the problems, first
    with stop_on_corrupt_image(testing.PROGRAM, 'Fix or remove the image and run again.'):
        test_pipeline(os.getcwd())


if __name__ == '__main__':
    main()
