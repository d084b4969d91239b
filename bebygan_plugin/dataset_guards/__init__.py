"""Run-time guards of BasicSR's datasets: a corrupt image met while training or testing is named with its file or
LMDB key and the fix, or skipped on request (:mod:`.corrupt_images`; installed in BasicSR by
:mod:`bebygan_plugin.compat.undecodable_images`)."""
