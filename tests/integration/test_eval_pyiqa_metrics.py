"""DISTS, TOPIQ-FR, MUSIQ and CLIPIQA in bebygan-eval and as BasicSR validation metrics: offline, each asked-for
metric stops the run before any work naming its files; with the files in place the values flow through.

No pretrained weights exist offline: the plumbing is checked with a RANDOMLY initialised TOPIQ-FR network saved
under the real file name, so the values below check the pipeline (crop, channel order, reference), not TOPIQ."""
import csv
import os

import numpy as np
import pytest
import torch

from bebygan_plugin.metrics.weight_downloads import PYIQA_METRIC_FILES
from bebygan_plugin.preflight.weight_files import check_metric_weights
from devtools.paths import SET5
from tests.helpers.evaluation import run_eval


def test_each_asked_for_metric_without_weights_is_named_before_any_work(torch_home, tmp_path, capsys):
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', f'Set5={SET5 / "HR"}', '--bicubic',
                    '--metrics', 'psnr,dists,topiq_fr,musiq,clipiqa') == 2
    err = capsys.readouterr().err
    assert not out.exists() and 'Evaluate' not in err
    for metric, label, files in (('dists', 'DISTS', ['vgg16-397923af.pth', 'DISTS_weights-f5e65c96.pth']),
                                 ('topiq_fr', 'TOPIQ-FR', ['cfanet_fr_kadid_res50-2c4cc61d.pth']),
                                 ('musiq', 'MUSIQ', ['musiq_koniq_ckpt-e95806b9.pth']),
                                 ('clipiqa', 'CLIPIQA', ['RN50.pt'])):
        assert f'--metrics {metric}: {label} needs' in err, metric
        for name in files:
            assert f'--metrics {metric}: ' in err and name in err, (metric, name)
    assert str(torch_home / 'hub' / 'pyiqa') in err and str(torch_home / 'hub' / 'clip') in err


def test_default_metrics_leave_the_new_ones_out(torch_home, tmp_path):
    assert run_eval('-o', tmp_path / 'r', '--dataset', f'Set5={SET5 / "HR"}', '--bicubic') == 0
    report = (tmp_path / 'r' / 'report.md').read_text()
    assert 'DISTS' not in report and 'MUSIQ' not in report and 'PSNR' in report


def test_val_metrics_through_calculate_pyiqa_are_checked_at_start_up(torch_home):
    opt = {'datasets': {'val': {}}, 'val': {'metrics': {
        'dists': {'type': 'calculate_pyiqa', 'metric_name': 'dists', 'better': 'lower'},
        'niqe': {'type': 'calculate_pyiqa', 'metric_name': 'niqe'}}}}  # no weights of its own: not checked
    problems = [str(p) for p in check_metric_weights(opt)]
    assert len(problems) == 2 and all(p.startswith('val.metrics.dists: DISTS needs') for p in problems)


@pytest.fixture
def random_topiq_fr(torch_home):
    """TOPIQ-FR's file, holding a randomly initialised network (the real one cannot be downloaded here)."""
    from pyiqa.archs.topiq_arch import CFANet

    torch.manual_seed(0)
    net = CFANet(semantic_model_name='resnet50', model_name='cfanet_fr_kadid_res50', use_ref=True,
                 backbone_pretrain=False, pretrained=False)
    path = torch_home / 'hub' / 'pyiqa' / PYIQA_METRIC_FILES['topiq_fr'][0]
    path.parent.mkdir(parents=True)
    torch.save({'params': {k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}}, path)
    return net


def test_topiq_fr_runs_from_its_file_alone_with_the_papers_crop_and_rgb(random_topiq_fr, tmp_path, monkeypatch):
    """Its whole network comes from its one file (no ImageNet backbone download); the value equals pyiqa's own on
    the cropped RGB images."""
    from bebygan_plugin.preparation.lr_bicubic import matlab_resize_uint8, mod_crop
    from bebygan_plugin.files.images import read_image
    from bebygan_plugin.metrics import pyiqa_metric

    pyiqa_metric._pyiqa_metric.cache_clear()
    hr = tmp_path / 'HR'
    hr.mkdir()
    os.symlink(SET5 / 'HR' / 'baby.png', hr / 'baby.png')
    out = tmp_path / 'report'
    assert run_eval('-o', out, '--dataset', f'Set5={hr}', '--bicubic', '--metrics', 'topiq_fr') == 0
    with open(out / 'results.csv', newline='') as f:
        (row,) = list(csv.DictReader(f))
    gt = mod_crop(read_image(hr / 'baby.png'), 4)
    sr = matlab_resize_uint8(matlab_resize_uint8(gt, 1 / 4), 4)

    def tensor(rgb):
        return torch.from_numpy(rgb[4:-4, 4:-4].astype(np.float32) / 255).permute(2, 0, 1)[None]

    reference = random_topiq_fr.half().float().eval()
    with torch.no_grad():
        expected = reference(tensor(sr), tensor(gt)).item()
    assert float(row['topiq_fr']) == pytest.approx(expected, rel=1e-4)
    pyiqa_metric._pyiqa_metric.cache_clear()
