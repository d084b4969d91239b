"""The weight files of the pyiqa metrics: the table matches the installed pyiqa's source, and a missing or
altered file is named with its URL and the folder it goes in."""
import importlib.util
from pathlib import Path

import pytest

from bebygan_plugin.metrics.weight_downloads import (PYIQA_CLIP_BACKBONES, PYIQA_METRIC_FILES, PYIQA_URL,
                                                     pyiqa_problems, pyiqa_weight_files)

PYIQA = Path(importlib.util.find_spec('pyiqa').submodule_search_locations[0])


@pytest.mark.parametrize('metric, source, line', [
    ('dists', 'archs/dists_arch.py', "'url': get_url_from_name('{}')"),
    ('topiq_fr', 'archs/topiq_arch.py', "'cfanet_fr_kadid_res50': get_url_from_name('{}')"),
    ('musiq', 'archs/musiq_arch.py', "'koniq10k': get_url_from_name('{}')"),
    ('pi', 'archs/nrqm_arch.py', "'{}'"),
])
def test_the_table_names_the_files_pyiqa_loads(metric, source, line):
    """Read from pyiqa's own arch files (not imported: importing them takes seconds)."""
    text = (PYIQA / source).read_text()
    assert line.format(PYIQA_METRIC_FILES[metric][0]) in text
    if metric == 'pi':
        assert f"'{PYIQA_METRIC_FILES['pi'][1]}'" in (PYIQA / 'archs/niqe_arch.py').read_text()


def test_the_metric_names_and_the_clip_backbone_are_pyiqas():
    configs = (PYIQA / 'default_model_configs.py').read_text()
    assert "'topiq_fr': {\n            'metric_opts': {\n                'type': 'CFANet'," in configs
    assert "'model_name': 'cfanet_fr_kadid_res50'" in configs
    assert "'musiq': {\n            'metric_opts': {'type': 'MUSIQ', 'pretrained': 'koniq10k'}" in configs
    assert "'clipiqa': {\n            'metric_opts': {\n                'type': 'CLIPIQA',\n            }," in configs
    assert "backbone='RN50'" in (PYIQA / 'archs/clipiqa_arch.py').read_text()
    assert f"'RN50': '{PYIQA_CLIP_BACKBONES['clipiqa']}'" in (PYIQA / 'archs/clip_model.py').read_text()


def test_missing_files_are_named_with_their_url_and_folder(torch_home):
    hub = torch_home / 'hub'
    for metric in ('topiq_fr', 'musiq'):
        name = PYIQA_METRIC_FILES[metric][0]
        assert [str(p) for p in pyiqa_problems(metric, f'--metrics {metric}')] == [
            f'--metrics {metric}: {"TOPIQ-FR" if metric == "topiq_fr" else "MUSIQ"} needs {name}, which is not on '
            f'this machine (BEBYGAN_OFFLINE is set). Download and place: {PYIQA_URL.format(name)} -> '
            f'{hub / "pyiqa" / name} (set TORCH_HOME to move the torch hub cache)']
    dists = [str(p) for p in pyiqa_problems('dists', 'val.metrics.dists')]
    assert len(dists) == 2 and 'vgg16-397923af.pth' in dists[0] and 'DISTS_weights-f5e65c96.pth' in dists[1]
    clip = str(pyiqa_problems('clipiqa', 'x')[0])
    assert 'CLIPIQA needs RN50.pt' in clip
    assert f'{PYIQA_CLIP_BACKBONES["clipiqa"]} -> {hub / "clip" / "RN50.pt"}' in clip


def test_present_files_pass_and_an_altered_clip_backbone_is_refused(torch_home):
    for path, _, _ in pyiqa_weight_files('musiq'):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(b'x')
    assert pyiqa_problems('musiq', 'x') == []  # presence only: its loading is tested with real files elsewhere
    (path, _, sha256), = pyiqa_weight_files('clipiqa')
    Path(path).parent.mkdir(parents=True)
    Path(path).write_bytes(b'not the CLIP archive')
    assert len(sha256) == 64
    assert 'RN50.pt is not the original file (its SHA-256 differs)' in str(pyiqa_problems('clipiqa', 'x')[0])
