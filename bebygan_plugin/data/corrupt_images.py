"""Corrupt images met while BasicSR's datasets load: named with their file or LMDB key, or skipped on request."""

SKIP_OPTION = 'skip_corrupt_images'  # dataset option: true skips (and logs) undecodable training images
