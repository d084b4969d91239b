"""Dataset preparation (issue 21's additions while the room is still called ``data``): GT-only training data for
BasicSR's ``RealESRGANDataset`` (:mod:`.gt_only`)."""
