"""The Table 1 ablation recipes: each passes the option checks and differs from options/train_BebyGAN_x4.yml only
where the paper's ablation says."""
import copy

import pytest

from bebygan_plugin.files.option_files import load_option_file
from bebygan_plugin.schema import check_options
from devtools.paths import REPO_ROOT

OPTIONS = REPO_ROOT / 'options'


def load(path):
    opt, problems = load_option_file(str(path))  # the plugin's one reader of option files
    assert not problems, problems
    return opt


def without_bbl(opt):
    opt['name'] += '_woBBL'
    opt['train']['pixel_opt'] = {'type': 'L1Loss', 'loss_weight': opt['train']['pixel_opt']['loss_weight']}


def without_ra(opt):
    opt['name'] += '_woRA'
    del opt['train']['mask_opt']


@pytest.mark.parametrize('file_name, ablate', [('train_BebyGAN_x4_woBBL.yml', without_bbl),
                                               ('train_BebyGAN_x4_woRA.yml', without_ra)])
def test_ablation_is_the_recipe_with_one_change_and_passes_the_option_checks(file_name, ablate):
    recipe = load(OPTIONS / 'train_BebyGAN_x4.yml')
    ablation = load(OPTIONS / 'ablation' / file_name)
    expected = copy.deepcopy(recipe)
    ablate(expected)
    assert ablation == expected, (f'options/ablation/{file_name} must be options/train_BebyGAN_x4.yml with only the '
                                  'ablated change: copy the recipe\'s new values into it')
    assert expected != recipe
    assert check_options(ablation) == []
