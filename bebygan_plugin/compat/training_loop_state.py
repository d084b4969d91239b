"""Patch 8 (a read, not an edit): the epoch of BasicSR's training loop, which the model is never told.

``basicsr.train.train_pipeline`` keeps ``epoch`` in a local variable and passes it to ``model.save`` only at its
periodic saves. A save between them (a stop on SIGTERM, :mod:`bebygan_plugin.model_mixins.stop_on_signal`) needs it
too: ``<iter>.state`` records it, and a resumed run restarts that epoch's sampler and bounds its loop by it.
"""
import sys
from typing import Optional


def training_loop_epoch() -> Optional[int]:
    """The ``epoch`` of the ``basicsr.train.train_pipeline`` call on this thread's stack (None outside one)."""
    from basicsr.train import train_pipeline

    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is train_pipeline.__code__:
            return frame.f_locals.get('epoch')
        frame = frame.f_back
    return None
