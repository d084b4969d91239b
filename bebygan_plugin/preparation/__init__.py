"""Dataset preparation for training Beby-GAN with BasicSR's LMDB backend (no registrations, no side effects).

- :mod:`.cli`: the console scripts (``bebygan-prepare``, ``scripts/*.py``): argument parsing, one call each into
  :mod:`.prepare_df2k` (HR folders -> paired HR / LR LMDBs in one pass, the DF2K recipe) or the single steps
  :mod:`.extract_subimages`, :mod:`.generate_lr_bicubic`, :mod:`.create_lmdb` (folder to folder or to LMDB).
- Building blocks: :mod:`.image_rules` (how any input image becomes 8-bit BGR, on top of
  :mod:`bebygan_plugin.files.images`), :mod:`.image_files` (listing, keys), :mod:`.subimages`, :mod:`.lr_bicubic`,
  :mod:`.lmdb_writer`, :mod:`.staging` (outputs appear only when complete), :mod:`.folder_output`,
  :mod:`.parallel` (worker processes with progress bars) and :mod:`.reporting` (the end-of-run report).
  What a training run does with an undecodable image is in :mod:`bebygan_plugin.dataset_guards`.
"""
