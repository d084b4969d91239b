"""Dataset preparation for training Beby-GAN with BasicSR's LMDB backend (no registrations, no side effects).

- :mod:`.prepare_df2k`: ``bebygan-prepare``, HR folders -> paired HR / LR LMDBs in one pass (DF2K recipe).
- :mod:`.extract_subimages`, :mod:`.generate_lr_bicubic`, :mod:`.create_lmdb`: the single steps, folder to folder
  or folder to LMDB.
- Building blocks: :mod:`.image_rules` (how any input image becomes 8-bit BGR), :mod:`.image_files` (listing,
  keys), :mod:`.subimages`, :mod:`.lr_bicubic`, :mod:`.lmdb_writer`, :mod:`.staging` (outputs appear only when
  complete), :mod:`.parallel` (worker processes with progress bars).
"""
