"""Texture mask (Eq. 5) and the masked discriminators of region-aware adversarial learning."""
import numpy as np
import pytest
import torch
from basicsr.archs import build_network
from skimage import data
from torch.nn import functional as F

from bebygan_plugin.losses.relativistic_gan_loss import RelativisticAverageGANLoss
from bebygan_plugin.ops.color import luminance
from bebygan_plugin.ops.texture_mask import local_std, texture_mask


def _photo(name: str, size: int = 64) -> torch.Tensor:
    img = getattr(data, name)()[:size, :size, :3]
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255).unsqueeze(0)


def test_local_std_equals_the_std_of_each_unfolded_window():
    torch.manual_seed(0)
    gray = torch.rand(2, 1, 20, 17)
    k = 11
    windows = F.unfold(F.pad(gray, (k // 2,) * 4, mode='reflect'), k)  # (B, k*k, H*W)
    expected = windows.std(dim=1, unbiased=False).view(2, 1, 20, 17)
    assert torch.allclose(local_std(gray, k), expected, atol=1e-6)


def test_unbiased_local_std_and_luma_weights_follow_torch_std_and_the_weights():
    """The authors' mask: torch.std's unbiased estimate over the k*k window, luma (0.2989, 0.587, 0.114)."""
    torch.manual_seed(1)
    img = torch.rand(2, 3, 20, 17)
    weights = (0.2989, 0.587, 0.114)
    gray = luminance(img, weights)
    assert torch.allclose(gray, 0.2989 * img[:, :1] + 0.587 * img[:, 1:2] + 0.114 * img[:, 2:])
    windows = F.unfold(F.pad(gray, (5,) * 4, mode='reflect'), 11)
    expected = windows.std(dim=1).view(2, 1, 20, 17)  # unbiased: / (k*k - 1)
    assert torch.allclose(local_std(gray, 11, unbiased=True), expected, atol=1e-6)
    assert torch.equal(texture_mask(img, 11, 0.2, luma_weights=weights, unbiased=True),
                       (local_std(gray, 11, unbiased=True) >= 0.2).float())
    with pytest.raises(ValueError, match='kernel_size > 1'):
        texture_mask(img, 1, unbiased=True)


def test_mask_is_zero_on_flat_images_and_one_on_textured_ones():
    flat = torch.full((1, 3, 40, 40), 0.6)
    gentle_ramp = torch.linspace(0, 0.02, 40).view(1, 1, 1, 40).expand(1, 3, 40, 40)
    assert texture_mask(flat).sum() == 0
    assert texture_mask(gentle_ramp).sum() == 0  # std over 11 px of a 0.02 ramp is far below 0.025
    checker = (torch.arange(40).view(-1, 1) // 2 + torch.arange(40).view(1, -1) // 2) % 2
    assert texture_mask(checker.float().expand(1, 3, 40, 40)).min() == 1


def test_mask_on_a_real_photo_separates_sky_from_texture():
    # skimage's "rocket": clear sky in the upper middle, trees and the launch structures along the bottom.
    img = torch.from_numpy(data.rocket()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    mask = texture_mask(img)
    assert mask.shape == (1, 1, 427, 640)
    assert mask[..., :100, 120:520].mean() < 0.05
    assert mask[..., 360:, :440].mean() > 0.7
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert not mask.requires_grad


def test_mask_threshold_and_luminance_follow_eq_5():
    img = _photo('astronaut')
    std = local_std(luminance(img), 11)
    for delta in (0.01, 0.025, 0.1):
        assert torch.equal(texture_mask(img, 11, delta), (std >= delta).float())
    assert torch.allclose(luminance(img), 0.299 * img[:, :1] + 0.587 * img[:, 1:2] + 0.114 * img[:, 2:])


def _masked_unet(mask_logits: bool):
    torch.manual_seed(0)
    return build_network({'type': 'MaskedUNetDiscriminator', 'num_in_ch': 3, 'num_feat': 8,
                          'mask_logits': mask_logits})


def test_masked_unet_discriminator_ignores_flat_pixels():
    net_d = _masked_unet(mask_logits=True)
    x = _photo('coffee', 32).requires_grad_(True)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    logits = net_d(x, mask)
    assert logits.shape == (1, 1, 32, 32)
    assert torch.all(logits[mask.expand_as(logits) == 0] == 0)
    # Changing flat input pixels changes nothing (eval: spectral norm's power iteration frozen).
    net_d.eval()
    x2 = torch.where(mask.bool(), x, torch.rand_like(x))
    assert torch.allclose(net_d(x2, mask), net_d(x, mask), atol=1e-6)  # same values, other memory layout
    net_d.train()
    # Region-aware RaGAN: no gradient reaches flat pixels, textured ones do get one.
    fake = (x * 0.9).detach().requires_grad_(True)
    loss = RelativisticAverageGANLoss()(net_d(x, mask), net_d(fake, mask), True, mask)
    loss.backward()
    flat = ~mask.bool().expand_as(x)
    assert fake.grad[flat].abs().max() == 0
    assert fake.grad[~flat].abs().sum() > 0


def test_unmasked_logits_option_keeps_logits_everywhere():
    net_d = _masked_unet(mask_logits=False)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :8, :] = 1
    assert (net_d(torch.rand(1, 3, 16, 16), mask)[..., 8:, :] != 0).any()


def test_masked_vgg_discriminator_takes_the_papers_192_crops_and_masks():
    torch.manual_seed(0)
    net_d = build_network({'type': 'MaskedVGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 8, 'input_size': 192})
    net_d.eval()
    x = torch.rand(2, 3, 192, 192)
    mask = (torch.rand(2, 1, 192, 192) > 0.5).float()
    out = net_d(x, mask)
    assert out.shape == (2, 1)
    assert torch.equal(out, net_d(x * mask))
    with pytest.raises(ValueError, match='gt_size'):
        net_d(torch.rand(1, 3, 128, 128))
    with pytest.raises(ValueError, match='divisible by 32'):
        build_network({'type': 'MaskedVGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 8, 'input_size': 100})
