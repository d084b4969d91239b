"""Dataset preparation for training Beby-GAN with BasicSR (no registrations, no side effects).

- :mod:`.cli`: the console scripts (``bebygan-prepare``, ``scripts/*.py``): argument parsing, one call each into
  :mod:`.prepare_df2k` (HR folders -> paired HR / LR LMDBs in one pass, the DF2K recipe), :mod:`.gt_only`
  (``--gt-only``: GT-only data for ``RealESRGANDataset``, optionally Real-ESRGAN's multi-scale copies) or the single
  steps :mod:`.extract_subimages`, :mod:`.generate_lr_bicubic`, :mod:`.create_lmdb` (folder to folder or to LMDB);
  ``bebygan-degrade`` (:mod:`.degrade`): the real-world training's synthetic pairs written as files (a preview, or a
  fixed, seeded validation set).
- Building blocks: :mod:`.image_rules` (how any input image becomes 8-bit BGR, on top of
  :mod:`bebygan_plugin.files.images`), :mod:`.image_files` (listing, keys), :mod:`.subimages`, :mod:`.lr_bicubic`,
  :mod:`.lmdb_writer` and :mod:`.folder_writer` (an LMDB or a folder with ``meta_info.txt``), :mod:`.staging`
  (outputs appear only when complete), :mod:`.folder_output`, :mod:`.parallel` (worker processes with progress bars)
  and :mod:`.reporting` (the end-of-run report).
  What a training run does with an undecodable image is in :mod:`bebygan_plugin.dataset_guards`.
"""
