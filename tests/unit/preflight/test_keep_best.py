"""val.keep_best: net_g_best.pth follows the best validation of the chosen metric, and its option is checked."""
import pytest
import torch

from bebygan_plugin.schema import check_options
from bebygan_plugin.schema.plugin_options import keep_best_problems
from devtools.recipe import build_in_process, skimage_recipe


@pytest.fixture
def model(tmp_path):
    opt = skimage_recipe('keep_best', tmp_path, total_iter=4)
    opt['val']['keep_best'] = {'metric': 'lpips'}
    opt['val']['metrics']['lpips'] = {'type': 'calculate_psnr', 'better': 'lower'}  # only its direction matters
    opt['path'].update(models=str(tmp_path / 'models'), training_states=str(tmp_path / 'states'))
    net = build_in_process(opt)
    for dataset in ('chelsea', 'other'):
        net._initialize_best_metric_results(dataset)
    return net


def validate(model, dataset, iteration, **values):
    """What BasicSR's validation does after computing the metrics: update the best of each, in order."""
    for metric, value in values.items():
        model._update_best_metric_result(dataset, metric, value, iteration)


def test_the_best_validation_so_far_is_saved_with_both_weight_groups(model, tmp_path):
    best = tmp_path / 'models' / 'net_g_best.pth'
    snapshots = {}
    for iteration, lpips in ((2, 0.30), (4, 0.25), (6, 0.27), (8, 0.28)):  # best (lower) at iteration 4
        with torch.no_grad():
            model.net_g.conv_first.bias.fill_(iteration)
            model.net_g_ema.conv_first.bias.fill_(-iteration)
        validate(model, 'chelsea', iteration, psnr=20.0 + iteration, lpips=lpips)
        validate(model, 'other', iteration, lpips=0.1)  # the chosen set is the only one: others do not count
        snapshots[iteration] = torch.load(best, weights_only=True)
    assert snapshots[2]['params']['conv_first.bias'][0] == 2
    for iteration in (4, 6, 8):
        saved = snapshots[iteration]
        assert set(saved) == {'params', 'params_ema'}
        assert saved['params']['conv_first.bias'][0] == 4 and saved['params_ema']['conv_first.bias'][0] == -4
    assert not list((tmp_path / 'models').glob('.*'))  # written atomically: no temporary file left


def _opt(**keep):
    opt = skimage_recipe('x', '/data', total_iter=4)
    opt['val']['keep_best'] = keep
    return opt


@pytest.mark.parametrize('keep, message', [
    ({'metric': 'lpips'}, "val.keep_best.metric: 'lpips' is not a key of val.metrics (psnr, ssim)"),
    ({'metric': 'psnr', 'dataset': 'Set14'}, "val.keep_best.dataset: 'Set14' is not the name of a validation set "
                                             '(chelsea)'),
    ({'metric': 'psnr', 'when': 'always'}, "val.keep_best: unknown key 'when'; valid keys: dataset, metric"),
    ({'dataset': 'chelsea'}, 'val.keep_best.metric: required: the key of val.metrics to follow, e.g. {metric: psnr}'),
])
def test_keep_best_names_what_is_wrong(keep, message):
    assert message in [str(p) for p in check_options(_opt(**keep))]


def test_keep_best_needs_the_set_with_several_and_a_model_that_keeps_it():
    opt = _opt(metric='psnr')
    opt['datasets']['val_2'] = dict(opt['datasets']['val'], name='Set14')
    assert [str(p) for p in keep_best_problems(opt)] == [
        'val.keep_best.dataset: required with several validation sets: one of chelsea, Set14']
    opt = _opt(metric='psnr')
    opt['model_type'] = 'SRModel'
    assert 'model_type SRModel does not keep a best checkpoint' in str(keep_best_problems(opt))
    assert keep_best_problems(_opt(metric='psnr')) == []
    assert not [p for p in check_options(_opt(metric='psnr'), is_train=True) if 'keep_best' in p.where]
