"""Evaluation: the paper's Table 2 and Figure-7 comparisons for any generators on benchmark folders.

``bebygan-eval`` (:mod:`.cli`) is a thin wrapper around :func:`run_evaluation`. The pieces: :mod:`.datasets`
(GT/LQ pairing and checks), :mod:`.methods` (bicubic baseline, generators through :mod:`bebygan_plugin.inference`),
:mod:`.metrics` (PSNR, SSIM, LPIPS, NIQE, PI, flat), :mod:`.figures` (Figure-7 style comparisons) and
:mod:`.report` (results.csv, report.md, index.html).
"""
from .datasets import DatasetSpec
from .figures import Crop
from .runner import EvalConfig, run_evaluation

__all__ = ['Crop', 'DatasetSpec', 'EvalConfig', 'run_evaluation']
