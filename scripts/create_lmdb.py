r"""BasicSR LMDBs (with meta_info.txt) from existing image folders, checked as pairs.

Example: python scripts/create_lmdb.py --input datasets/Set5/HR datasets/Set5/LR_bicubic/X4 \
    --output datasets/Set5/Set5_HR.lmdb datasets/Set5/Set5_LR_x4.lmdb --strip-suffix x4 --scale 4

Options: python scripts/create_lmdb.py --help
"""
import os
import sys

if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
    from bebygan_plugin.preparation.cli import create_lmdb_main

    sys.exit(create_lmdb_main())
