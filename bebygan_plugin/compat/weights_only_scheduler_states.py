"""Patch 2: resume states load under ``torch.load(weights_only=True)``, the default since torch 2.6.

BasicSR's scheduler states hold a ``collections.Counter``; that one type is allowed, so resume states load safely
without unpickling code.
"""
import collections

import torch


def apply() -> None:
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals([collections.Counter])
