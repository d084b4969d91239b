"""Fine-tuning the released Real-ESRGAN x4plus weights (options/finetune_RealBebyGAN_x4.yml), offline: the files
are created here in the exact released layouts (RealESRGAN_x4plus.pth: RRDBNet 23 blocks under ``params_ema``;
RealESRGAN_x4plus_netD.pth: BasicSR's UNetDiscriminatorSN under ``params``), with random values."""
import time

import pytest
import torch
from basicsr.archs.discriminator_arch import UNetDiscriminatorSN
from basicsr.archs.rrdbnet_arch import RRDBNet

from tests.helpers.real_world import gt_batch, recipe, set5_gt_folder, shrink
from devtools.recipe import build_in_process

ITERATIONS = 1


def released_files(folder):
    """``(g_path, d_path, g_state, d_state)``: files in the layouts of Real-ESRGAN's v0.1.0 release."""
    torch.manual_seed(21)
    g_state = RRDBNet(3, 3, num_feat=64, num_block=23, num_grow_ch=32, scale=4).state_dict()
    d = UNetDiscriminatorSN(3, num_feat=64, skip_connection=True)
    d(torch.rand(1, 3, 32, 32))  # a forward pass: spectral norm's power-iteration vectors are not the initial ones
    d_state = d.state_dict()
    g_path, d_path = folder / 'RealESRGAN_x4plus.pth', folder / 'RealESRGAN_x4plus_netD.pth'
    torch.save({'params_ema': g_state}, g_path)
    torch.save({'params': d_state}, d_path)
    return g_path, d_path, g_state, d_state


@pytest.fixture(scope='module')
def finetune_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('finetune')
    g_path, d_path, g_state, d_state = released_files(tmp)
    root, meta = set5_gt_folder(tmp)
    full = recipe('finetune_RealBebyGAN_x4')
    opt = shrink(full, 'finetune', root, meta, batch=2, gt_size=32, queue_size=4, total_iter=ITERATIONS)
    opt['network_g'], opt['network_d'] = full['network_g'], full['network_d']  # the released sizes
    opt['path'].update({k: full['path'][k] for k in full['path'] if k.startswith(('param_key', 'strict_load'))},
                       pretrain_network_g=str(g_path), pretrain_network_d=str(d_path))
    model = build_in_process(opt, models=tmp / 'models', training_states=tmp / 'states')
    return model, g_state, d_state, root, meta


def test_the_released_g_and_d_load_as_they_are(finetune_model):
    model, g_state, d_state, _, _ = finetune_model
    assert type(model.net_d).__name__ == 'MaskedUNetDiscriminator'
    for net, state in ((model.net_g, g_state), (model.net_d, d_state), (model.net_g_ema, g_state)):
        loaded = net.state_dict()
        assert loaded.keys() == state.keys()
        assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_a_tiny_cpu_finetune_from_the_released_layouts(finetune_model, capsys):
    from basicsr.data.realesrgan_dataset import RealESRGANDataset

    from tests.helpers.real_world import dataset_options

    model, g_state, _, root, meta = finetune_model
    dataset = RealESRGANDataset(dataset_options(root, meta, batch=2))
    start = time.perf_counter()
    for iteration in range(1, ITERATIONS + 1):
        model.feed_data(gt_batch(dataset, seed=iteration, batch=2, size=64))
        model.optimize_parameters(iteration)
        model.update_learning_rate(iteration)
    seconds = time.perf_counter() - start
    logged = model.log_dict
    assert all(torch.isfinite(torch.tensor(value)) for value in logged.values()), logged
    assert {'l_g_bb', 'l_g_bp', 'l_g_gan', 'l_d'} <= set(logged)
    changed = [k for k, v in model.net_g.state_dict().items() if not torch.equal(v, g_state[k])]
    assert changed, 'the fine-tune did not update G'
    with capsys.disabled():
        print(f'\n[finetune from the released layouts: {ITERATIONS} iterations, batch 2, gt_size 32, '
              f'RRDBNet 23 blocks + U-Net D 64: {seconds:.1f} s on the CPU]')
