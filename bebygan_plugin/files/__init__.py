"""The low room: files every other room reads and writes, importing nothing of the package above it.

- :mod:`.images`: the one image reader / writer (formats, decoding as stored, channel order named by the caller).
- :mod:`.atomic`: atomic file writes (hidden temporary file, fsync, rename) and the clean-up of killed writes.
- :mod:`.checkpoint`: ``torch.save`` made atomic and retried, ``weights_only`` loading with one-line errors.
- :mod:`.weights`: reading weight files of any kind and finding their weights; the downloaded ImageNet / pyiqa
  weights that losses and metrics need.
"""
