"""Test (evaluate / super-resolve) with BasicSR's pipeline and the Beby-GAN components registered:

    python bebygan_plugin/test.py -opt options/test_BebyGAN_x4.yml

Results are written under ``./results/<name>``.
"""
import os
import sys

if __package__ in (None, ''):  # run as a script from a source checkout
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not the package dir itself

import bebygan_plugin  # noqa: E402,F401
from basicsr.test import test_pipeline  # noqa: E402


def main() -> None:
    test_pipeline(os.getcwd())


if __name__ == '__main__':
    main()
