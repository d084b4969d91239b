"""The option schema: the generated files are current, every shipped option file validates against the JSON Schema
and typos in it are flagged, and ``BebyGANModel`` built as BasicSR's own ``basicsr/train.py`` builds it (no
preflight) refuses the same bad values with the same messages as the preflight."""
import copy
import glob
import inspect
import json
import os
from os import path as osp

import jsonschema
import pytest

import bebygan_plugin  # noqa: F401  (registers the plugin's components)
from bebygan_plugin.files.option_files import load_option_file
from bebygan_plugin.ops.texture_mask import texture_mask
from bebygan_plugin.problems import ProblemsFound
from bebygan_plugin.schema import MASK_OPT, check_options
from devtools.json_schema import SCHEMA_FILE
from devtools.option_files import generated_files
from devtools.option_files import main as schema_main
from devtools.recipe import tiny_recipe

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
OPTION_FILES = sorted(glob.glob(osp.join(REPO, 'options', '*.yml')) +
                      glob.glob(osp.join(REPO, 'options', 'ablation', '*.yml')))
SCHEMA_LINE = '# yaml-language-server: $schema='


def load(path: str) -> dict:
    opt, problems = load_option_file(str(path))  # the plugin's one reader of option files
    assert not problems, problems
    return opt


@pytest.fixture(scope='module')
def validator():
    with open(osp.join(REPO, SCHEMA_FILE), encoding='utf-8') as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def set_key(opt: dict, dotted: str, value=None, rename: str = None) -> dict:
    """A copy of ``opt`` with ``a.b.c`` set to ``value`` (or renamed to ``rename``, keeping its value)."""
    opt = copy.deepcopy(opt)
    *parents, leaf = dotted.split('.')
    section = opt
    for key in parents:
        section = section[key]
    if rename:
        section[rename] = section.pop(leaf)
    else:
        section[leaf] = value
    return opt


def build_like_basicsr_train(opt: dict, tmp_path):
    """``build_model(opt)`` after BasicSR's ``parse_options`` fills in the run's settings: no preflight."""
    from basicsr.models import build_model

    opt = copy.deepcopy(opt)
    opt.update(is_train=True, dist=False, rank=0, world_size=1, auto_resume=False)
    opt['path'].update(models=str(tmp_path / 'models'), training_states=str(tmp_path / 'states'))
    return build_model(opt)


def test_the_generated_files_are_current(tmp_path):
    for path, text in generated_files().items():
        with open(osp.join(REPO, path), encoding='utf-8') as f:
            assert f.read() == text, f'{path} is stale: run python -m devtools.option_files --write'
    assert schema_main(['--check', '--root', REPO]) == 0
    assert schema_main(['--check', '--root', str(tmp_path)]) == 1  # missing counts as stale
    assert schema_main(['--write', '--root', str(tmp_path)]) == 0
    assert schema_main(['--check', '--root', str(tmp_path)]) == 0


@pytest.mark.parametrize('path', OPTION_FILES, ids=[osp.relpath(p, REPO) for p in OPTION_FILES])
def test_every_shipped_option_file_names_and_passes_the_schema(path, validator):
    with open(path, encoding='utf-8') as f:
        first = f.readline().strip()
    assert first.startswith(SCHEMA_LINE), f'{path}: the first line must be {SCHEMA_LINE}<relative path>'
    target = osp.normpath(osp.join(osp.dirname(path), first[len(SCHEMA_LINE):]))
    assert target == osp.join(REPO, os.path.normpath(SCHEMA_FILE))
    errors = [f'{list(e.absolute_path)}: {e.message}' for e in validator.iter_errors(load(path))]
    assert not errors


TYPOS = [
    ('train.mask_opt.threshold', 'treshold'),
    ('manual_seed', 'manual_sed'),
    ('datasets.train.gt_size', 'gt_sise'),
    ('network_g.num_block', 'num_blocks'),  # RRDBNet's arguments
    ('network_d.mask_logits', 'mask_logit'),
    ('train.pixel_opt', 'pixle_opt'),
    ('train.pixel_opt.alpha', 'alfa'),
    ('train.bp_opt.loss_weight', 'loss_wieght'),
    ('train.scheduler.warmup_iter', 'warmup_iters'),
    ('train.amp.dtype', 'dype'),
    ('val.metrics.lpips.crop_border', 'crop_boder'),
    ('logger.print_freq', 'print_frq'),
    ('path.strict_load_g', 'strict_lod_g'),
    ('datasets.val', 'valid'),
]


@pytest.mark.parametrize('dotted, typo', TYPOS, ids=[t[1] for t in TYPOS])
def test_the_schema_flags_a_misspelled_key(dotted, typo, validator):
    recipe_file = load(osp.join(REPO, 'options', 'train_BebyGAN_x4.yml'))
    assert not list(validator.iter_errors(recipe_file))
    messages = all_messages(validator.iter_errors(set_key(recipe_file, dotted, rename=typo)))
    assert any(f"'{typo}'" in m for m in messages), messages


def all_messages(errors) -> list:
    """The messages of ``errors`` and of the errors under them (``anyOf`` / ``allOf`` branches)."""
    return [m for e in errors for m in [e.message] + all_messages(e.context)]


BAD_VALUES = [('train.mask_opt.kernel_size', 4), ('train.mask_opt.threshold', 'x'),
              ('train.max_consecutive_nonfinite', True), ('train.amp.dtype', 'fp8'), ('train.channels_last', 'yes'),
              ('train.mask_opt.luma_weights', [0.3, 0.6]), ('train.gan_opt.type', 'GANLoss')]


@pytest.mark.parametrize('dotted, value', BAD_VALUES, ids=[f'{d}={v}' for d, v in BAD_VALUES])
def test_the_schema_flags_a_bad_value_of_a_plugin_option(dotted, value, validator):
    opt = set_key(load(osp.join(REPO, 'options', 'train_BebyGAN_x4.yml')), dotted, value)
    assert list(validator.iter_errors(opt))


def test_the_model_refuses_bad_values_without_the_preflight_with_its_messages(tmp_path):
    opt = tiny_recipe('schema_check')
    assert check_options(opt) == []
    for dotted, value in (('train.mask_opt.kernel_size', 4), ('train.mask_opt.threshold', 'x'),
                          ('train.max_consecutive_nonfinite', True)):
        opt = set_key(opt, dotted, value)
    opt = set_key(opt, 'train.mask_opt.unbiased_std', rename='unbiased')
    expected = [str(p) for p in check_options(opt)]
    assert expected == [
        "train.mask_opt: unknown key 'unbiased'; did you mean 'unbiased_std'?",
        'train.mask_opt.kernel_size: must be a positive odd integer (a window centred on each pixel), got 4',
        "train.mask_opt.threshold: must be a number, got 'x'",
        'train.max_consecutive_nonfinite: must be an integer >= 1, got True']
    with pytest.raises(ProblemsFound) as err:
        build_like_basicsr_train(opt, tmp_path)
    assert isinstance(err.value, ValueError)
    assert [str(p) for p in err.value.problems] == expected
    assert str(err.value).splitlines() == [
        'BebyGANModel: 4 problem(s) in the options; BebyGANModel was not built. Fix and run again:'] + \
        [f'  - {line}' for line in expected]


def test_the_model_takes_the_declared_defaults(tmp_path):
    opt = tiny_recipe('schema_check')
    opt['train']['mask_opt'] = {'source': 'lq_bicubic'}
    for key in ('amp', 'channels_last', 'compile'):
        del opt['train'][key]
    model = build_like_basicsr_train(opt, tmp_path)
    defaults = {o.key: o.default for o in MASK_OPT.options}
    assert model.mask_opt == dict(defaults, source='lq_bicubic')
    assert (defaults['kernel_size'], defaults['threshold']) == (11, 0.025)  # Eq. 5 as the paper sets it
    params = inspect.signature(texture_mask).parameters
    assert (params['kernel_size'].default, params['threshold'].default, params['luma_weights'].default) == \
        (defaults['kernel_size'], defaults['threshold'], defaults['luma_weights'])
    assert model.amp_dtype is None and model.max_consecutive_nonfinite == 10
