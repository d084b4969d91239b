"""Types checked up front: a number or boolean written as text in a real YAML file (``lr: 2e-4`` is a string to
PyYAML, ``use_hflip: 'no'`` would be true to Python) is named with its key and the fix, before anything is created,
by ``bebygan-train`` (its ``main`` in process: exit 2, no ``experiments/``) and by ``BebyGANModel`` built as
BasicSR's own ``basicsr/train.py`` builds it (no preflight), with the same messages."""
import copy

import pytest
import yaml

from bebygan_plugin.files.option_files import load_option_file
from bebygan_plugin.problems import ProblemsFound
from bebygan_plugin.schema import check_options
from tests.helpers import training_runs as support
from devtools.recipe import set_option, tiny_recipe
from tests.helpers.cli import console_exit

# (dotted key, value as written in the YAML file, the message the user gets)
MISTYPED = [
    ('train.optim_g.lr', '2e-4', "train.optim_g.lr: '2e-4' is a string; write 2e-4 as !!float 2e-4 or 0.0002"),
    ('train.optim_d.betas', '[0.9, "0.99"]', "train.optim_d.betas[1]: '0.99' is a string; write 0.99 without quotes"),
    ('train.optim_g.weight_decay', '1e-5', "train.optim_g.weight_decay: '1e-5' is a string; write 1e-5 as !!float "
                                           '1e-5 or 0.00001'),
    ('train.gan_opt.loss_weight', '5e-3', "train.gan_opt.loss_weight: '5e-3' is a string; write 5e-3 as !!float 5e-3 "
                                          'or 0.005'),
    ('train.bp_opt.loss_weight', "'1'", "train.bp_opt.loss_weight: '1' is a string; write 1 without quotes"),
    ('train.ema_decay', "'0.999'", "train.ema_decay: '0.999' is a string; write 0.999 without quotes"),
    ('train.total_iter', '4e0', "train.total_iter: '4e0' is a string; write 4e0 as !!float 4e0 or 4"),
    ('train.scheduler.periods', "['4']", "train.scheduler.periods[0]: '4' is a string; write 4 without quotes"),
    ('datasets.train.gt_size', "'32'", "datasets.train.gt_size: '32' is a string; write 32 without quotes"),
    ('datasets.train.batch_size_per_gpu', "'2'", "datasets.train.batch_size_per_gpu: '2' is a string; write 2 "
                                                 'without quotes'),
    ('datasets.train.use_hflip', "'no'", "datasets.train.use_hflip: must be true or false, got 'no': a string; "
                                         'write false without quotes'),
    ('datasets.train.io_backend', '{type: disk, readonly: true, tpye: disk}',
     "datasets.train.io_backend: unknown key 'tpye'; did you mean 'type'?"),
    ('val.val_freq', '2e0', "val.val_freq: '2e0' is a string; write 2e0 as !!float 2e0 or 2"),
    ('val.save_img', "'false'", "val.save_img: must be true or false, got 'false': a string; write false without "
                                'quotes'),
    ('val.metrics.psnr.crop_border', "'4'", "val.metrics.psnr.crop_border: '4' is a string; write 4 without quotes"),
    ('val.metrics.psnr.better', 'best', "val.metrics.psnr.better: must be 'higher' or 'lower', got 'best'"),
    ('logger.print_freq', '1e2', "logger.print_freq: '1e2' is a string; write 1e2 as !!float 1e2 or 100"),
    ('logger.use_tb_logger', "'yes'", "logger.use_tb_logger: must be true or false, got 'yes': a string; write true "
                                      'without quotes'),
]


@pytest.fixture(scope='module')
def mistyped_yaml(tmp_path_factory):
    """A real option file of the CPU recipe with every value of :data:`MISTYPED` written as a user would write it."""
    root = tmp_path_factory.mktemp('types')
    support.make_pairs(str(root / 'train'), support.CROP_NAMES[:4])
    support.make_pairs(str(root / 'val'), support.CROP_NAMES[4:6])
    opt = tiny_recipe('types', (str(root / 'train/hr'), str(root / 'train/lr')),
                      (str(root / 'val/hr'), str(root / 'val/lr')))
    opt['val']['save_img'] = False
    for i, (dotted, _, _) in enumerate(MISTYPED):
        set_option(opt, dotted, f'VALUE_{i}_')
    text = yaml.safe_dump(opt, sort_keys=False)
    for i, (_, written, _) in enumerate(MISTYPED):
        text = text.replace(f'VALUE_{i}_', written)
    path = root / 'mistyped.yml'
    path.write_text(text)
    return path


def test_each_mistyped_value_is_named_and_the_same_values_written_as_numbers_pass(mistyped_yaml):
    opt, problems = load_option_file(str(mistyped_yaml))
    assert problems == []
    assert sorted(str(p) for p in check_options(opt)) == sorted(m for _, _, m in MISTYPED)
    for dotted, _, _ in MISTYPED:  # with the values written as numbers and booleans, nothing is left
        set_option(opt, dotted, _fixed(dotted))
    assert check_options(opt) == []


def _fixed(dotted: str):
    return {'train.optim_g.lr': 2e-4, 'train.optim_d.betas': [0.9, 0.99], 'train.optim_g.weight_decay': 0,
            'train.gan_opt.loss_weight': 5e-3, 'train.bp_opt.loss_weight': 1, 'train.ema_decay': 0.999,
            'train.total_iter': 4, 'train.scheduler.periods': [4], 'datasets.train.gt_size': 32,
            'datasets.train.batch_size_per_gpu': 2, 'datasets.train.use_hflip': False,
            'datasets.train.io_backend': {'type': 'disk'}, 'val.val_freq': 2, 'val.save_img': False,
            'val.metrics.psnr.crop_border': 4, 'val.metrics.psnr.better': 'higher', 'logger.print_freq': 100,
            'logger.use_tb_logger': False}[dotted]


def test_bebygan_train_names_every_mistyped_value_and_creates_nothing(mistyped_yaml, workdir, monkeypatch, capsys):
    from bebygan_plugin import train

    assert console_exit(train.main, '-opt', mistyped_yaml, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'bebygan-train: {len(MISTYPED)} problem(s) in ')
    for _, _, message in MISTYPED:
        assert f'  - {message}\n' in err
    assert 'Traceback' not in err
    assert not (workdir / 'experiments').exists() and not (workdir / 'tb_logger').exists()


def test_the_model_built_as_basicsr_builds_it_names_the_same_values(mistyped_yaml, tmp_path):
    from basicsr.models import build_model

    opt, problems = load_option_file(str(mistyped_yaml))
    assert problems == []
    expected = [str(p) for p in check_options(opt)]
    opt = copy.deepcopy(opt)  # what basicsr/train.py's parse_options adds before build_model(opt)
    opt.update(is_train=True, dist=False, rank=0, world_size=1, auto_resume=False, root_path=str(tmp_path))
    opt['path'].update(models=str(tmp_path / 'models'), training_states=str(tmp_path / 'states'))
    for phase, dataset in opt['datasets'].items():
        dataset.update(phase=phase.split('_')[0], scale=opt['scale'])
    with pytest.raises(ProblemsFound) as err:
        build_model(opt)
    assert [str(p) for p in err.value.problems] == expected
    assert str(err.value).startswith(f'BebyGANModel: {len(MISTYPED)} problem(s) in the options; '
                                     'BebyGANModel was not built. Fix and run again:')
