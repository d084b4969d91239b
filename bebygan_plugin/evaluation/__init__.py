"""Evaluation: the paper's Table 2 and Figure-7 comparisons for any generators and SR folders on benchmark
folders, and the scores of a training's checkpoints.

``bebygan-eval`` (:mod:`.cli`) is a thin wrapper around :func:`run_evaluation` and :func:`run_checkpoints`. The
pieces: :mod:`.datasets` (GT/LQ pairing and checks), :mod:`.methods` (bicubic baseline, generators through
:mod:`bebygan_plugin.inference`, SR folders), :mod:`.results` (SR folders paired with the GT by name),
:mod:`.metrics` (PSNR, SSIM, LPIPS, NIQE, PI, flat, DISTS, TOPIQ-FR, MUSIQ, CLIPIQA), :mod:`.figures` (Figure-7
style comparisons), :mod:`.report` (results.csv, report.md, index.html), :mod:`.paper_table2` (the published
Table 2), :mod:`.checkpoints` and :mod:`.curves` (checkpoints.csv, checkpoints.png, the best iteration per metric).
"""
from .datasets import DatasetSpec
from .figures import Crop
from .runner import EvalConfig, run_checkpoints, run_evaluation

__all__ = ['Crop', 'DatasetSpec', 'EvalConfig', 'run_checkpoints', 'run_evaluation']
