"""``bebygan-eval --results NAME=DIR`` on Set5: a folder of SR images scored by the pipeline that scores
``--bicubic``, its pairing and checks, and ``--paper``."""
import csv
import os

import cv2
import numpy as np

from bebygan_plugin.preparation.lr_bicubic import matlab_resize_uint8, mod_crop
from devtools.paths import SET5
from tests.helpers.evaluation import run_eval

IMAGES = ('baby', 'bird', 'butterfly', 'head', 'woman')
# the released-results naming layouts the pairing tolerates, one per Set5 image
RELEASED_NAMES = {'baby': 'baby_x4.png', 'bird': 'birdx4.png', 'butterfly': 'butterfly_SR.png',
                  'head': 'head_Released.png', 'woman': 'woman.png'}


def read_rows(report_dir):
    with open(report_dir / 'results.csv', newline='') as f:
        return list(csv.DictReader(f))


def set5_spec():
    return f'Set5={SET5 / "HR"}{os.pathsep}{SET5 / "LR_bicubic" / "X4"}'


def bicubic_results(folder):
    """MATLAB bicubic x4 of Set5's LR files, written as a released-results folder (BGR PNG, varied names)."""
    folder.mkdir(parents=True)
    for image in IMAGES:
        lq = cv2.imread(str(SET5 / 'LR_bicubic' / 'X4' / f'{image}x4.png'))
        assert cv2.imwrite(str(folder / RELEASED_NAMES[image]), matlab_resize_uint8(lq, 4))
    return folder


def test_a_results_folder_of_bicubic_images_scores_exactly_like_bicubic(tmp_path, monkeypatch):
    """The same pixels through --results and through --bicubic give the same value in every cell."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    results = bicubic_results(tmp_path / 'released')
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', set5_spec(), '--bicubic', '--results', f'Released={results}',
                    '--metrics', 'psnr,ssim,flat') == 0
    rows = read_rows(out)
    assert [(r['image'], r['method']) for r in rows] == [(i, m) for i in IMAGES for m in ('bicubic', 'Released')]
    for image in IMAGES:
        bicubic, released = (r for r in rows if r['image'] == image)
        for metric in ('psnr', 'ssim', 'flat'):
            assert bicubic[metric] != '' and released[metric] == bicubic[metric], (image, metric)
    assert not (out / 'sr' / 'Released').exists()  # the folder's images are not copied
    report = (out / 'report.md').read_text()
    assert f'- Released: SR images of {results} (paired with the GT by name)' in report
    assert '| Dataset | Metric | bicubic | Released |' in report


def test_results_problems_are_all_named_before_any_work(tmp_path, capsys):
    """Missing, extra, ambiguous and wrong-size SR images, and a second dataset without its subfolder: one report,
    exit status 2, no report folder."""
    folder = bicubic_results(tmp_path / 'released')
    os.remove(folder / RELEASED_NAMES['bird'])  # missing
    cv2.imwrite(str(folder / 'zebra_x4.png'), np.zeros((8, 8, 3), np.uint8))  # extra: no GT named zebra
    cv2.imwrite(str(folder / 'head_x4.png'), np.zeros((8, 8, 3), np.uint8))  # head now has two
    cv2.imwrite(str(folder / RELEASED_NAMES['woman']), np.zeros((100, 60, 3), np.uint8))  # wrong size
    out = tmp_path / 'out'
    assert run_eval('-o', out, '--dataset', set5_spec(), '--results', f'Released={folder}') == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert f'--results Released: {folder} has no SR image for {SET5 / "HR" / "bird.png"}' in err
    assert f'{folder / "zebra_x4.png"} has no GT in --dataset Set5' in err
    assert 'head_Released.png' in err and 'head_x4.png all pair with' in err
    assert f'{folder / "woman.png"}: is 60x100 pixels, but its GT' in err and '228x344' in err

    assert run_eval('-o', out, '--dataset', set5_spec(), '--dataset', f'Again={SET5 / "HR"}',
                    '--results', f'Released={folder}', '--results', f'Gone={tmp_path / "nowhere"}') == 2
    err = capsys.readouterr().err
    assert f'{folder} has no subfolder Set5/' in err and f'{folder} has no subfolder Again/' in err
    assert f'--results Gone: {tmp_path / "nowhere"} does not exist' in err
    assert not out.exists()


def test_per_dataset_subfolders_and_the_uncropped_gt_size(tmp_path, monkeypatch):
    """DIR/<dataset>/ per dataset (case ignored; bebygan-eval's own sr/<method>/ layout), and an SR image the size
    of the uncropped GT is cropped like the GT: the same numbers as the cropped one."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    hr = tmp_path / 'HR'
    hr.mkdir()
    gt = cv2.imread(str(SET5 / 'HR' / 'bird.png'))[:, :-3]  # 288x285: not a multiple of 4 wide
    cv2.imwrite(str(hr / 'bird.png'), gt)
    sr = matlab_resize_uint8(matlab_resize_uint8(mod_crop(gt, 4), 1 / 4), 4)
    padded = np.concatenate([sr, gt[:, sr.shape[1]:]], axis=1)  # the GT's size; the extra columns are cropped
    for dataset, image in (('one', sr), ('TWO', padded)):
        (tmp_path / 'released' / dataset).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / 'released' / dataset / 'bird_rlt.png'), image)
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', f'one={hr}', '--dataset', f'two={hr}', '--bicubic',
                    '--results', f'R={tmp_path / "released"}', '--metrics', 'psnr') == 0
    values = {(r['dataset'], r['method']): r['psnr'] for r in read_rows(out)}
    assert len(set(values.values())) == 1 and len(values) == 4


def test_paper_puts_table2_beside_matching_columns(tmp_path, monkeypatch):
    """--paper: a dataset named like a Table-2 benchmark (B100 = BSDS100) and a method named like a column
    (bebygan = Beby-GAN) get the published value and the difference; others are left out."""
    monkeypatch.setenv('BEBYGAN_OFFLINE', '1')
    results = bicubic_results(tmp_path / 'released')
    out = tmp_path / 'report'
    spec = f'B100={SET5 / "HR"}{os.pathsep}{SET5 / "LR_bicubic" / "X4"}'
    assert run_eval('-o', out, '--dataset', spec, '--bicubic', '--results', f'bebygan={results}', '--paper',
                    '--metrics', 'psnr,ssim') == 0
    rows = read_rows(out)
    psnr = np.mean([float(r['psnr']) for r in rows if r['method'] == 'bebygan'])
    ssim = np.mean([float(r['ssim']) for r in rows if r['method'] == 'bebygan'])
    report = (out / 'report.md').read_text()
    assert '## Against the paper (Table 2)' in report
    assert f'| B100 | PSNR ↑ | bebygan | 25.81 | {psnr:.2f} | {psnr - 25.81:+.2f} |' in report
    assert f'| B100 | SSIM ↑ | bebygan | 0.6781 | {ssim:.4f} | {ssim - 0.6781:+.4f} |' in report
    assert '| B100 | PSNR ↑ | bicubic |' not in report  # not a Table-2 column
    assert 'Against the paper (Table 2)' in (out / 'index.html').read_text()
