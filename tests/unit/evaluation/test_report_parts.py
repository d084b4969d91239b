"""The pieces of the evaluation on hand-made inputs: the flat metric, the automatic crop, the figure's panels and
the report table."""
import numpy as np
import pytest

from bebygan_plugin.evaluation.figures import Crop, comparison_figure, pick_crop
from bebygan_plugin.evaluation.scoring import flat_error, flat_mask
from bebygan_plugin.evaluation.report import Evaluation, report_html, report_markdown, results_csv

HALF = 48  # hand-made images: left half flat, right half textured


@pytest.fixture
def half_flat_gt():
    """Left half a constant gray, right half uniform noise (local std far above the Eq. 5 threshold)."""
    rng = np.random.default_rng(0)
    gt = np.full((64, 2 * HALF, 3), 120, np.uint8)
    gt[:, HALF:] = rng.integers(0, 256, (64, HALF, 3), dtype=np.uint8)
    return gt


def test_flat_mask_is_the_left_half_less_the_window_radius(half_flat_gt):
    """An 11x11 window centred 6+ pixels left of the edge sees only the constant: flat; one that reaches the noise
    is textured."""
    mask = flat_mask(half_flat_gt)
    assert mask[:, :HALF - 5].all()
    assert not mask[:, HALF - 5:].any()


def test_flat_error_counts_only_the_gts_flat_pixels(half_flat_gt):
    gt = half_flat_gt
    brighter_flat = gt.copy()
    brighter_flat[:, :HALF - 5] += 10  # every flat pixel off by 10 levels
    assert flat_error(brighter_flat, gt) == pytest.approx(10.0, abs=1e-12)

    noisy_texture = gt.copy()
    noisy_texture[:, HALF - 5:] = 255 - noisy_texture[:, HALF - 5:]  # only textured pixels change
    assert flat_error(noisy_texture, gt) == 0.0

    half = gt.copy()
    half[:, :(HALF - 5) // 2] += 6  # columns 0-20: 17 of the 39 flat columns inside the 4-pixel border crop
    assert flat_error(half, gt) == pytest.approx(6 * (21 - 4) / (HALF - 5 - 4), abs=1e-12)


def test_flat_error_is_nan_when_the_gt_has_no_flat_pixel(half_flat_gt):
    texture = np.ascontiguousarray(np.tile(half_flat_gt[:, HALF:], (1, 2, 1)))
    assert np.isnan(flat_error(texture, texture))


def test_pick_crop_finds_where_the_methods_differ():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 256, (200, 240, 3), dtype=np.uint8)
    a, b = gt.copy(), gt.copy()
    b[120:170, 30:80] = 255 - b[120:170, 30:80]  # the only place where the two methods disagree
    crop = pick_crop(gt, [a, b])
    assert (crop.w, crop.h) == (50, 50)  # a quarter of the shorter side
    assert (crop.x, crop.y) == (30, 120)
    only = pick_crop(gt, [b])  # one method: where it is furthest from the GT
    assert (only.x, only.y) == (30, 120)


def test_figure_has_the_gt_overview_one_crop_per_method_and_the_gt_crop():
    rng = np.random.default_rng(2)
    gt = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    srs = {name: rng.integers(0, 256, gt.shape, dtype=np.uint8) for name in ('bicubic', 'stage1', 'stage2')}
    values = {'bicubic': {'psnr': 20.0, 'ssim': 0.5}, 'stage1': {'psnr': 22.0, 'ssim': 0.6},
              'stage2': {'psnr': 21.0, 'ssim': None}}
    crop = Crop(30, 40, 50, 40)
    figure = comparison_figure('demo / x', gt, srs, values, crop)
    assert [label for label, _ in figure.panels] == ['GT overview', 'bicubic', 'stage1', 'stage2', 'GT']
    pixels = np.asarray(figure.image)  # RGB
    for label, (left, top, right, bottom) in figure.panels[1:]:
        source = gt if label == 'GT' else srs[label]
        zoom = np.repeat(np.repeat(source[40:80, 30:80, ::-1], 4, axis=0), 4, axis=1)  # 200 / 50 = 4x
        assert np.array_equal(pixels[top:bottom, left:right], zoom), label
    left, top, right, bottom = figure.panels[0][1]
    ys, xs = np.nonzero((pixels[top:bottom, left:right] == (230, 20, 20)).all(axis=2))  # the zoom box, in red
    scale = (right - left) / 160
    assert abs(xs.min() - 30 * scale) <= 1 and abs(xs.max() - 80 * scale) <= 1
    assert abs(ys.min() - 40 * scale) <= 1 and abs(ys.max() - 80 * scale) <= 1
    # the best value of each metric is written in red beneath its crop
    assert ((pixels == (200, 0, 0)).all(axis=2)).any()


def _evaluation():
    rows = []
    for image, (a, b) in {'one': (30.0, 31.0), 'two': (28.0, 25.0)}.items():
        rows.append({'dataset': 'Set', 'image': image, 'method': 'bicubic', 'psnr': a, 'lpips': 0.30, 'ssim': None})
        rows.append({'dataset': 'Set', 'image': image, 'method': 'ours', 'psnr': b, 'lpips': 0.20,
                     'ssim': 0.7 if image == 'one' else None})
    return Evaluation(methods=['bicubic', 'ours'], method_sources={'bicubic': 'bicubic x4', 'ours': 'net.pth'},
                      datasets={'Set': 'GT folder'}, metrics=['psnr', 'ssim', 'lpips'], skipped_metrics={},
                      scale=4, rows=rows, figures=[{'dataset': 'Set', 'image': 'one', 'path': 'figures/Set_one.png'}])


def test_report_table_has_table2_layout_with_the_best_in_bold():
    markdown = report_markdown(_evaluation())
    assert '| Dataset | Metric | bicubic | ours |' in markdown
    assert '| Set (2) | LPIPS ↓ | 0.3000 | **0.2000** |' in markdown  # Table 2's row order: LPIPS first
    assert '|  | PSNR ↑ | **29.00** | 28.00 |' in markdown
    assert '|  | SSIM ↑ | – | 0.7000 (1/2) |' in markdown  # a mean over fewer images says so; one value: no bold
    page = report_html(_evaluation())
    assert '<td><b>0.2000</b></td>' in page and 'src="figures/Set_one.png"' in page


def test_results_csv_has_one_row_per_image_and_method_and_empty_cells():
    lines = results_csv(_evaluation()).splitlines()
    assert lines[0] == 'dataset,image,method,psnr,ssim,lpips,niqe,pi,flat'
    assert lines[1] == 'Set,one,bicubic,30.0,,0.3,,,'
    assert len(lines) == 5


def test_command_line_specs_parse_and_name_the_expected_form(capsys):
    import os

    from bebygan_plugin.evaluation.cli import parse_arguments
    from bebygan_plugin.evaluation.datasets import DatasetSpec

    config = parse_arguments(['-o', 'r', '--dataset', f'Set14=a/HR{os.pathsep}a/LR', '--dataset', 'DIV2K=b',
                              '--model', 'ours=m.pth', '--crop', '1,2,30,40'])
    assert list(config.datasets) == [DatasetSpec('Set14', 'a/HR', 'a/LR'), DatasetSpec('DIV2K', 'b', None)]
    assert list(config.models) == [('ours', 'm.pth')] and config.crop == Crop(1, 2, 30, 40)
    assert config.metrics is None and config.tile is None and config.device == 'auto'
    for bad, expected in ((['--dataset', 'nameless'], 'expected NAME=GT_DIR'),
                          (['--model', 'm.pth'], 'expected NAME=MODEL'), (['--crop', '1,2'], 'expected X,Y,W,H')):
        with pytest.raises(SystemExit):
            parse_arguments(['-o', 'r', *bad])
        assert expected in capsys.readouterr().err
