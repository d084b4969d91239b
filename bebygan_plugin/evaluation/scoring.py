"""The metrics of the paper's Table 2, ``flat``, and the metrics papers report since (DISTS, TOPIQ, MUSIQ, CLIPIQA)
on one super-resolved image against its GT.

Protocol (the paper's, with BasicSR's implementations): images are 8-bit BGR arrays as BasicSR reads them, and
every metric ignores a border of ``border`` pixels on each side: the scale (4 for x4, ``CROP_BORDER``).

- ``psnr``, ``ssim``: on the Y channel of MATLAB's YCbCr (``basicsr.metrics.calculate_psnr`` / ``calculate_ssim``).
- ``lpips``: LPIPS with the VGG backbone (the paper's choice), on RGB (``calculate_lpips`` of this plugin).
- ``niqe``: BasicSR's NIQE (``basicsr.metrics.niqe.calculate_niqe``, parameters shipped with basicsr) on Y.
- ``pi``: the Perceptual Index ((10 - Ma) + NIQE) / 2 of the PIRM challenge, through pyiqa, which shaves the
  PIRM protocol's 4-pixel border itself at every scale.
- ``flat``: mean absolute error, in 8-bit levels over the three channels, on the GT's flat pixels: where the
  Eq. 5 texture mask of the GT is 0, the regions where region-aware learning is meant to avoid GAN artifacts.
- ``dists`` (DISTS, full-reference, lower is better), ``topiq_fr`` (TOPIQ trained on KADID, full-reference, higher
  is better), ``musiq`` (MUSIQ trained on KonIQ, no-reference, higher), ``clipiqa`` (CLIP-IQA with the RN50
  backbone, no-reference, higher): pyiqa's implementations and default weights, on RGB. Only when asked for
  (``--metrics``): each needs its own downloaded weights
  (``bebygan_plugin.metrics.weight_downloads.PYIQA_METRIC_FILES``).
"""
import warnings
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..problems import Problem

CROP_BORDER = 4


@dataclass(frozen=True)
class Metric:
    """One column of the report: how to compute it, whether higher is better, how to print it."""

    name: str
    label: str
    higher_is_better: bool
    decimals: int
    compute: Callable[[np.ndarray, np.ndarray, int], float]  # (sr, gt, border) uint8 BGR -> value
    default: bool = True  # computed when --metrics is not given (and it can run here)

    @property
    def arrow(self) -> str:
        return '↑' if self.higher_is_better else '↓'

    def format(self, value: Optional[float]) -> str:
        return '' if value is None else f'{value:.{self.decimals}f}'


def _psnr(sr: np.ndarray, gt: np.ndarray, border: int) -> float:
    from basicsr.metrics import calculate_psnr

    return float(calculate_psnr(sr, gt, border, input_order='HWC', test_y_channel=True))


def _ssim(sr: np.ndarray, gt: np.ndarray, border: int) -> float:
    from basicsr.metrics import calculate_ssim

    return float(calculate_ssim(sr, gt, border, input_order='HWC', test_y_channel=True))


def _lpips(sr: np.ndarray, gt: np.ndarray, border: int) -> float:
    from ..metrics.lpips_metric import calculate_lpips

    return calculate_lpips(sr, gt, crop_border=border, net='vgg')


def _niqe(sr: np.ndarray, gt: np.ndarray, border: int) -> float:
    from basicsr.metrics.niqe import calculate_niqe

    with warnings.catch_warnings():  # a near-flat image: numpy warns on the way to the SVD failure reported
        warnings.simplefilter('ignore', RuntimeWarning)
        return float(calculate_niqe(sr, border, input_order='HWC', convert_to='y'))


def _pyiqa(metric_name: str, crop: bool = True) -> Callable[[np.ndarray, np.ndarray, int], float]:
    """pyiqa's ``metric_name`` through ``calculate_pyiqa`` (``crop``: shave ``border`` pixels first)."""
    def compute(sr: np.ndarray, gt: np.ndarray, border: int) -> float:
        from ..metrics.pyiqa_metric import calculate_pyiqa

        return calculate_pyiqa(sr, gt, metric_name=metric_name, crop_border=border if crop else 0)

    return compute


def flat_mask(gt: np.ndarray) -> np.ndarray:
    """``HxW`` bool: True on the GT's flat pixels, where the Eq. 5 texture mask (k = 11, delta = 0.025) is 0."""
    from ..ops.texture_mask import texture_mask

    rgb = torch.from_numpy(np.ascontiguousarray(gt[..., ::-1].transpose(2, 0, 1))).double().div(255)[None]
    return texture_mask(rgb)[0, 0].numpy() == 0  # texture_mask's defaults: the paper's k and delta


def flat_error(sr: np.ndarray, gt: np.ndarray, border: int = CROP_BORDER) -> float:
    """Mean |SR - GT| in 8-bit levels over the channels of the GT's flat pixels (mask of the whole GT, then the
    border crop); NaN when the GT has no flat pixel inside the crop."""
    b = border
    flat = flat_mask(gt)[b:-b, b:-b]
    if not flat.any():
        return float('nan')
    diff = np.abs(sr[b:-b, b:-b].astype(np.float64) - gt[b:-b, b:-b].astype(np.float64))
    return float(diff[flat].mean())


METRICS: Dict[str, Metric] = {m.name: m for m in (
    Metric('lpips', 'LPIPS', False, 4, _lpips),
    Metric('pi', 'PI', False, 2, _pyiqa('pi', crop=False)),  # pyiqa's PI shaves PIRM's 4 pixels itself
    Metric('psnr', 'PSNR', True, 2, _psnr),
    Metric('ssim', 'SSIM', True, 4, _ssim),
    Metric('dists', 'DISTS', False, 4, _pyiqa('dists'), default=False),
    Metric('topiq_fr', 'TOPIQ-FR', True, 4, _pyiqa('topiq_fr'), default=False),
    Metric('musiq', 'MUSIQ', True, 2, _pyiqa('musiq'), default=False),
    Metric('clipiqa', 'CLIPIQA', True, 4, _pyiqa('clipiqa'), default=False),
    Metric('niqe', 'NIQE', False, 2, _niqe),
    Metric('flat', 'flat MAE', False, 2, flat_error),
)}
CSV_ORDER = ('psnr', 'ssim', 'lpips', 'dists', 'topiq_fr', 'niqe', 'pi', 'musiq', 'clipiqa', 'flat')  # results.csv


def metric_problems(name: str) -> List[Problem]:
    """Why ``name`` cannot run on this machine (empty when it can)."""
    from ..metrics.weight_downloads import PYIQA_METRIC_FILES, lpips_problems, pyiqa_problems

    where = f'--metrics {name}'
    if name == 'lpips':
        return lpips_problems({'type': 'calculate_lpips', 'net': 'vgg'}, where)
    if name in PYIQA_METRIC_FILES:
        return pyiqa_problems(name, where)
    return []


def choose_metrics(requested: Optional[Sequence[str]]) -> Tuple[List[str], Dict[str, str], List[Problem]]:
    """The metrics to compute, those skipped with the reason, and the problems that stop the run.

    ``requested`` None: every default metric that can run here (the others are skipped, with the reason). An
    explicit list: each one must run here, else it is a problem (unknown name, missing weights: the file to place
    and where).
    """
    if requested is None:
        chosen, skipped = [], {}
        for name in (n for n, m in METRICS.items() if m.default):
            problems = metric_problems(name)
            if problems:
                skipped[name] = '; '.join(p.message for p in problems)
            else:
                chosen.append(name)
        return chosen, skipped, []
    problems = [] if requested else [Problem('--metrics', f'empty; choose from {",".join(CSV_ORDER)}')]
    for name in requested:
        if name not in METRICS:
            problems.append(Problem('--metrics', f'unknown metric {name!r}; choose from {",".join(CSV_ORDER)}'))
        else:
            problems += metric_problems(name)
    return [n for n in METRICS if n in requested], {}, problems


def compute_metrics(sr: np.ndarray, gt: np.ndarray, names: Sequence[str], border: int = CROP_BORDER
                    ) -> Tuple[Dict[str, Optional[float]], Dict[str, str]]:
    """Each metric of ``names`` on ``sr`` (uint8 BGR) against ``gt``, ``border`` pixels of each side ignored, and
    why each metric left empty (None) is.

    A metric that fails or gives no number on this image is left empty and the others go on.
    """
    values: Dict[str, Optional[float]] = {}
    failures: Dict[str, str] = {}
    for name in names:
        try:
            value = METRICS[name].compute(sr, gt, border)
            reason = '' if not np.isnan(value) else f'gave {value}'  # PSNR of an exact copy is inf: a value
            if name == 'flat' and np.isnan(value):
                reason = 'the GT has no flat pixel (every 11x11 window is textured)'
        except Exception as err:  # noqa: BLE001 - e.g. NIQE's SVD on a near-flat output: leave the cell empty
            reason = f'{type(err).__name__}: {err}'
        values[name] = None if reason else float(value)
        if reason:
            failures[name] = reason
    return values, failures


__all__ = ['CROP_BORDER', 'CSV_ORDER', 'METRICS', 'Metric', 'choose_metrics', 'compute_metrics', 'flat_error',
           'flat_mask', 'metric_problems']
