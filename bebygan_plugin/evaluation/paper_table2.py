"""The published numbers of the paper's Table 2, for ``bebygan-eval --paper``.

Source: W. Li, K. Zhou, L. Qi, L. Lu, J. Lu, "Best-Buddy GANs for Highly Detailed Image Super-Resolution",
AAAI 2021 (arXiv:2103.15295), Table 2: "Quantitative comparison of PSNR-oriented (on the left) and GAN-based
methods (on the right) on benchmarks", x4. LPIPS and PI: lower is better; PSNR and SSIM: higher is better
(Y channel; the table does not state the border, 4 pixels is the x4 convention of the methods compared).
RankSRGAN's column (†) comes from several models, each optimised for a different objective.

Transcribed value by value from the paper; ``tests/unit/evaluation`` checks the table's shape and the values
the text quotes. The authors released the super-resolved images of every column (Simple-SR README), so each
column can be re-measured with ``bebygan-eval --results NAME=DIR --paper``.
"""
import re
from typing import Dict, Optional

SOURCE = 'Li et al., Best-Buddy GANs for Highly Detailed Image Super-Resolution, AAAI 2021, Table 2 (x4)'
SCALE = 4
METHODS = ('SRResNet', 'RRDB', 'RCAN', 'SRGAN', 'ESRGAN-PI', 'ESRGAN', 'RankSRGAN', 'Beby-GAN-PI', 'Beby-GAN')
METRICS = ('lpips', 'pi', 'psnr', 'ssim')  # the table's rows for each dataset, in its order

# dataset -> metric -> one value per METHODS entry, in that order
_ROWS = {
    'Set14': {
        'lpips': (0.3043, 0.2934, 0.2922, 0.3162, 0.2771, 0.2372, 0.2545, 0.2537, 0.2202),
        'pi': (5.36, 5.27, 5.30, 2.87, 2.61, 2.93, 2.61, 2.57, 3.08),
        'psnr': (28.57, 28.95, 28.97, 25.90, 26.39, 26.28, 26.57, 26.56, 26.96),
        'ssim': (0.7834, 0.7912, 0.7913, 0.6942, 0.7021, 0.6985, 0.7052, 0.7061, 0.7282),
    },
    'BSDS100': {
        'lpips': (0.3437, 0.3341, 0.3320, 0.3387, 0.2801, 0.2599, 0.2790, 0.2777, 0.2385),
        'pi': (5.34, 5.30, 5.19, 2.62, 2.27, 2.48, 2.15, 2.13, 2.44),
        'psnr': (27.61, 27.84, 27.84, 25.38, 25.72, 25.32, 25.57, 25.56, 25.81),
        'ssim': (0.7376, 0.7453, 0.7456, 0.6423, 0.6638, 0.6514, 0.6492, 0.6536, 0.6781),
    },
    'DIV2K': {
        'lpips': (0.2991, 0.2863, 0.2862, 0.3109, 0.2741, 0.2222, 0.2368, 0.2352, 0.1991),
        'pi': (5.40, 5.28, 5.33, 3.25, 2.95, 3.27, 3.00, 3.02, 3.33),
        'psnr': (30.49, 30.90, 30.86, 27.16, 27.80, 28.16, 28.01, 28.12, 28.71),
        'ssim': (0.8391, 0.8478, 0.8469, 0.7600, 0.7653, 0.7752, 0.7652, 0.7688, 0.7923),
    },
    'UH4K': {
        'lpips': (0.2304, 0.2225, 0.2208, 0.3346, 0.2694, 0.2160, 0.2745, 0.2711, 0.2009),
        'pi': (5.53, 5.50, 5.56, 3.91, 2.93, 3.42, 2.87, 2.89, 3.54),
        'psnr': (32.11, 32.45, 32.46, 27.85, 28.94, 29.43, 28.99, 29.13, 30.02),
        'ssim': (0.8691, 0.8756, 0.8751, 0.7706, 0.7874, 0.8052, 0.7850, 0.7892, 0.8214),
    },
}
TABLE2: Dict[str, Dict[str, Dict[str, float]]] = {
    dataset: {metric: dict(zip(METHODS, values)) for metric, values in rows.items()} for dataset, rows in _ROWS.items()}

# Other names the same benchmark goes by (release folders, other papers)
DATASET_ALIASES = {'b100': 'BSDS100', 'bsd100': 'BSDS100', 'bsds100': 'BSDS100', 'set14': 'Set14',
                   'div2k': 'DIV2K', 'div2kvalid': 'DIV2K', 'div2kval': 'DIV2K', 'div2k100': 'DIV2K', 'uh4k': 'UH4K'}


def _plain(name: str) -> str:
    return re.sub(r'[^a-z0-9]', '', name.lower())


def paper_dataset(name: str) -> Optional[str]:
    """The Table 2 dataset a ``--dataset`` name stands for (case, ``-`` and ``_`` ignored), or None."""
    return DATASET_ALIASES.get(_plain(name))


def paper_method(name: str) -> Optional[str]:
    """The Table 2 column a method name stands for (``BebyGAN-PI``, ``bebygan_pi``, ``Beby-GAN-PI`` ...), or None."""
    return {_plain(m): m for m in METHODS}.get(_plain(name))


def published(dataset: str, method: str, metric: str) -> Optional[float]:
    """Table 2's value for a ``--dataset`` name, a method name and a metric, or None where the table has none."""
    table_dataset, table_method = paper_dataset(dataset), paper_method(method)
    if table_dataset is None or table_method is None or metric not in METRICS:
        return None
    return TABLE2[table_dataset][metric][table_method]
