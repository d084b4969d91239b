"""The real-world option keys (Real-ESRGAN's top-level degradation keys) are declared like every other: bad values
and missing keys are named by ``bebygan-train`` (in process) before any work (exit 2) and, with the same
messages, by RealBebyGANModel and RealBebyNetModel built as BasicSR's own ``basicsr/train.py`` builds them."""
import copy

import pytest

from bebygan_plugin.problems import ProblemsFound
from bebygan_plugin.schema import check_options
from tests.helpers import training_runs as support
from tests.helpers.real_world import recipe, set5_gt_folder, shrink
from tests.helpers.cli import console_exit

EXPECTED = [
    'gray_noise_prob: must be a number in [0, 1], got 1.5',
    "resize_range2: must be two numbers [min, max], got [0.3]",
    "noise_range2: required by {model} to synthesise the LQ (Real-ESRGAN's values: options/train_RealBebyGAN_x4.yml)",
    "basicsr_random_stream: must be true or false, got 'yes': a string; write true without quotes",
]


def bad_options(tmp_path, name: str) -> dict:
    root, meta = set5_gt_folder(tmp_path)
    opt = shrink(recipe(name), name, root, meta, batch=2, gt_size=32, queue_size=4)
    opt.update(gray_noise_prob=1.5, resize_range2=[0.3], basicsr_random_stream='yes')
    del opt['noise_range2']
    return opt


@pytest.mark.parametrize('name', ['train_RealBebyGAN_x4', 'train_RealBebyNet_x4'])
def test_the_model_names_the_preflights_problems(tmp_path, name):
    from basicsr.models import build_model

    opt = bad_options(tmp_path, name)
    model = opt['model_type']
    expected = sorted(m.format(model=model) for m in EXPECTED)
    assert sorted(str(p) for p in check_options(opt)) == expected
    opt = copy.deepcopy(opt)  # what basicsr/train.py's parse_options adds before build_model(opt)
    opt.update(is_train=True, dist=False, rank=0, world_size=1, auto_resume=False, root_path=str(tmp_path))
    opt['path'].update(models=str(tmp_path / 'models'), training_states=str(tmp_path / 'states'))
    with pytest.raises(ProblemsFound) as err:
        build_model(opt)
    assert sorted(str(p) for p in err.value.problems) == expected


def test_bebygan_train_names_them_before_any_work(tmp_path, workdir, monkeypatch, capsys):
    from bebygan_plugin import train

    opt = bad_options(tmp_path, 'train_RealBebyGAN_x4')
    opt['queue_size'] = 5  # not a multiple of the batch: a whole-run rule
    path = support.write_options(str(tmp_path / 'bad.yml'), opt)
    assert console_exit(train.main, '-opt', path, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    for message in EXPECTED + ['queue_size: 5 is not a multiple of datasets.train.batch_size_per_gpu 2']:
        assert f'  - {message.format(model="RealBebyGANModel")}\n' in err
    assert not (workdir / 'experiments').exists()
