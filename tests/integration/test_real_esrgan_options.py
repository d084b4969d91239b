"""Real-ESRGAN's own option file (tests/data/real_esrgan, its published layout and values) runs with the plugin's
models once its model_type is changed, through ``python -m bebygan_plugin.train`` (at CPU size: tiny networks, the
Set5 GT-only data, no perceptual loss: its ImageNet VGG19 is not available offline)."""
from tests.helpers.real_world import realesrgan_options, set5_gt_folder, shrink
from devtools.recipe import run_training


def test_realesrgan_option_file_trains_as_real_bebygan_model(tmp_path):
    root, meta = set5_gt_folder(tmp_path)
    opt = shrink(realesrgan_options(), 'realesrgan_as_bebygan', root, meta, batch=2, gt_size=32, queue_size=4,
                 total_iter=2)
    opt['model_type'] = 'RealBebyGANModel'
    run_training(opt, tmp_path, timeout=600)
    experiment = tmp_path / 'experiments' / 'realesrgan_as_bebygan'
    assert (experiment / 'models' / 'net_g_2.pth').is_file() and (experiment / 'models' / 'net_d_2.pth').is_file()
    log = next(experiment.glob('train_*.log')).read_text()
    assert 'l_g_gan' in log and 'l_g_bb' in log  # its L1Loss is the pixel loss; its vanilla GANLoss the GAN loss
