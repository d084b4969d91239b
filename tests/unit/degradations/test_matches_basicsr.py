"""Oracle: RealBebyGANModel.feed_data against BasicSR 1.4.2's own RealESRGANModel.feed_data, side by side on real
photos (Set5 through RealESRGANDataset, Real-ESRGAN's published degradation options), with the same seeds."""
import random

import numpy as np
import pytest
import torch

from devtools.op_counts import counting
from tests.helpers.real_world import (dataset_options, gt_batch, realesrgan_options, recipe, seed_all, set5_gt_folder,
                                      shrink)
from devtools.recipe import build_in_process

BATCHES = 5  # queue_size 8 with batches of 4: the pool fills in 2, then 3 batches are exchanged with it


def rng_states():
    return random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state()


@pytest.fixture(scope='module')
def models_and_dataset(tmp_path_factory):
    from basicsr.data.realesrgan_dataset import RealESRGANDataset

    tmp = tmp_path_factory.mktemp('oracle')
    root, meta = set5_gt_folder(tmp)
    ours_opt = shrink(recipe('train_RealBebyGAN_x4'), 'ours', root, meta)
    ours_opt['basicsr_random_stream'] = True
    ours = build_in_process(ours_opt, models=tmp / 'm1', training_states=tmp / 't1')
    basicsr = build_in_process(shrink(realesrgan_options(), 'basicsr', root, meta), models=tmp / 'm2',
                               training_states=tmp / 't2')
    return ours, basicsr, RealESRGANDataset(dataset_options(root, meta))


def test_feed_data_equals_basicsr_realesrgan_model(models_and_dataset):
    ours, basicsr, dataset = models_and_dataset
    assert type(basicsr).__name__ == 'RealESRGANModel' and basicsr.device.type == 'cpu'
    worst = 0.0
    for step in range(BATCHES):
        data = gt_batch(dataset, seed=100 + step)
        seed_all(step)
        basicsr.feed_data(data)
        basicsr_states = rng_states()
        seed_all(step)
        ours.feed_data(data)
        assert ours.lq.shape == basicsr.lq.shape == (4, 3, 32, 32) and ours.gt.shape == (4, 3, 128, 128)
        difference = max((getattr(ours, name) - getattr(basicsr, name)).abs().max().item()
                         for name in ('lq', 'gt', 'gt_usm'))
        assert difference <= 1e-5, f'batch {step}: max |ours - BasicSR| = {difference}'
        worst = max(worst, difference)
        ours_states = rng_states()  # the same random numbers were drawn: every generator is where BasicSR left it
        assert ours_states[:2] == basicsr_states[:2] and torch.equal(ours_states[2], basicsr_states[2])
    print(f'max |ours - BasicSR| over {BATCHES} batches of 4: {worst}')


def test_without_host_syncs_and_fewer_operators(models_and_dataset):
    """The default (``basicsr_random_stream: false``) reads nothing from the device, and dispatches fewer operators
    than BasicSR for the same batch; with BasicSR's stream, one read per noise stage."""
    ours, basicsr, dataset = models_and_dataset
    data = gt_batch(dataset, seed=7)
    counts = {}
    for label, model, stream in (('basicsr', basicsr, None), ('exact', ours, True), ('sync_free', ours, False)):
        if stream is not None:
            model.degradation.basicsr_stream = stream
        seed_all(3)
        with counting() as counter:
            model.feed_data(data)
        counts[label] = (counter.total, counter.syncs)
    ours.degradation.basicsr_stream = True
    assert counts['sync_free'][1] == 0 and counts['exact'][1] == 2 and counts['basicsr'][1] >= 10, counts
    assert counts['sync_free'][0] < counts['basicsr'][0], counts


def test_stage_one_equals_basicsr_realesrnet_model(models_and_dataset, tmp_path):
    """RealBebyNetModel (``gt_usm: true``: the degradation and the target both start from the sharpened GT) against
    BasicSR's RealESRNetModel, whose option file is Real-ESRGAN's stage-2 one without D (as Real-ESRGAN's
    train_realesrnet_x4plus.yml): the same pairs, and from the same weights the same training steps (L1 loss,
    Adam, EMA), ours on BebyGANModel's step without a discriminator."""
    _, _, dataset = models_and_dataset
    root, meta = dataset.gt_folder, dataset.opt['meta_info']
    ours_opt = shrink(recipe('train_RealBebyNet_x4'), 'ours_net', root, meta)
    ours_opt['basicsr_random_stream'] = True
    esrnet_opt = shrink(realesrgan_options(), 'basicsr_net', root, meta)
    esrnet_opt.update(model_type='RealESRNetModel', gt_usm=True)
    esrnet_opt['train'].update({k: ours_opt['train'][k] for k in ('ema_decay', 'optim_g', 'scheduler', 'pixel_opt')})
    for key in ('network_d', 'l1_gt_usm', 'percep_gt_usm', 'gan_gt_usm'):
        esrnet_opt.pop(key)
    for key in ('optim_d', 'gan_opt', 'net_d_iters', 'net_d_init_iters'):
        esrnet_opt['train'].pop(key)
    ours = build_in_process(ours_opt, models=tmp_path / 'm1', training_states=tmp_path / 't1')
    basicsr = build_in_process(esrnet_opt, models=tmp_path / 'm2', training_states=tmp_path / 't2')
    assert ours.net_d is None and len(ours.optimizers) == 1
    for net in ('net_g', 'net_g_ema'):
        getattr(basicsr, net).load_state_dict(getattr(ours, net).state_dict())
    for step in range(3):
        data = gt_batch(dataset, seed=200 + step)
        seed_all(step)
        basicsr.feed_data(data)
        seed_all(step)
        ours.feed_data(data)
        for name in ('lq', 'gt'):
            assert (getattr(ours, name) - getattr(basicsr, name)).abs().max().item() <= 1e-5, (step, name)
        basicsr.optimize_parameters(step + 1)
        ours.optimize_parameters(step + 1)
        assert ours.log_dict['l_pix'] == pytest.approx(basicsr.log_dict['l_pix'], rel=1e-5), step
    for net in ('net_g', 'net_g_ema'):
        theirs = getattr(basicsr, net).state_dict()
        for key, value in getattr(ours, net).state_dict().items():
            assert torch.allclose(value, theirs[key], atol=1e-6), (net, key)
