r"""MATLAB-style bicubic LR images from a folder of HR images (one step of the DF2K recipe).

Example: python scripts/generate_lr_bicubic.py --hr datasets/Set5/HR --out datasets/Set5/LR_x4 --scale 4

Options: python scripts/generate_lr_bicubic.py --help
"""
import os
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
    from bebygan_plugin.preparation.cli import generate_lr_bicubic_main

    sys.exit(generate_lr_bicubic_main())
