r"""Crop a folder of images into overlapping sub-images (one step of the DF2K recipe).

Example: python scripts/extract_subimages.py --input datasets/DIV2K/DIV2K_train_HR \
    --output datasets/DIV2K/DIV2K_train_HR_sub --crop-size 480 --step 240

Options: python scripts/extract_subimages.py --help
"""
import os
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
    from bebygan_plugin.preparation.cli import extract_subimages_main

    sys.exit(extract_subimages_main())
