r"""Paired HR / LR LMDBs from HR folders in one pass (same as the `bebygan-prepare` command).

Example (DF2K, see docs/data.md):
    python scripts/prepare_df2k.py --hr datasets/DIV2K/DIV2K_train_HR datasets/Flickr2K/Flickr2K_HR \
        --out datasets/DF2K --name DF2K_HR_sub --scale 4

Options: python scripts/prepare_df2k.py --help
"""
import os
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
    from bebygan_plugin.preparation.cli import prepare_main

    sys.exit(prepare_main())
