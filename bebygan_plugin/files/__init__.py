"""The low room: files every other room reads and writes, importing nothing of the package above it.

- :mod:`.images`: the one image reader / writer (formats, decoding as stored, channel order named by the caller).
- :mod:`.atomic`: atomic file writes (hidden temporary file, fsync, rename) and the clean-up of killed writes.
- :mod:`.checkpoint`: ``torch.save`` made atomic and retried, ``weights_only`` loading with one-line errors.
- :mod:`.weights`: reading weight files of any kind and finding their weights, and whether they fit a network.
- :mod:`.training_states`: which training state a run resumes from (the newest complete checkpoint).
- :mod:`.option_files`: the one reader of option YAML files.
- :mod:`.paths`: checks of output paths before anything is written.
"""
