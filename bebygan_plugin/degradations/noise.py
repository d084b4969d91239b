"""Additive Gaussian and Poisson noise of Real-ESRGAN's degradation, per image in a batch, colour or gray.

Each draws what BasicSR's ``random_add_gaussian_noise_pt`` / ``random_add_poisson_noise_pt`` draw, in the same order
and with the same floating-point operations, but without reading the device:

- the Poisson noise's number of levels per image (``2**ceil(log2(number of distinct 8-bit values))``) is counted on
  the device (BasicSR: ``torch.unique`` per image, a host sync each);
- whether any image of the batch gets gray noise decides whether BasicSR draws the gray noise field at all. Here it
  is drawn whenever ``0 < gray_prob < 1`` (``basicsr_stream=False``): no host sync, the same noise wherever BasicSR
  draws it; when no image of the batch is gray the torch generator then runs ahead of BasicSR's. With
  ``basicsr_stream=True`` the host reads the decision, as BasicSR does (one host sync per call), and the random
  stream stays BasicSR's in every batch.
"""
import torch

MAX_EXPONENT = 8  # an 8-bit image has at most 2**8 distinct values


def draws_gray_field(gray: torch.Tensor, gray_prob: float, basicsr_stream: bool) -> bool:
    """Whether the gray noise field is drawn for the per-image 0/1 ``gray`` flags (see the module's docstring)."""
    if gray_prob <= 0 or gray_prob >= 1:
        return gray_prob >= 1
    return bool(gray.sum() > 0) if basicsr_stream else True


def per_image_draws(img: torch.Tensor, value_range, gray_prob: float) -> tuple:
    """``(value, gray)``: a value uniform in ``value_range`` and a 0/1 gray flag (probability ``gray_prob``) per image,
    both ``(b, 1, 1, 1)``, drawn from torch's generator of ``img``'s device."""
    b = img.size(0)
    value = torch.rand(b, dtype=img.dtype, device=img.device) * (value_range[1] - value_range[0]) + value_range[0]
    gray = (torch.rand(b, dtype=img.dtype, device=img.device) < gray_prob).float()
    return value.reshape(b, 1, 1, 1), gray.reshape(b, 1, 1, 1)


def add_gaussian_noise(img: torch.Tensor, sigma_range, gray_prob: float, basicsr_stream: bool = False) -> torch.Tensor:
    """``img`` (``(b, c, h, w)`` in [0, 1]) plus Gaussian noise of a sigma (in 8-bit levels) uniform in
    ``sigma_range`` per image, the same field on every channel with probability ``gray_prob``; clipped to [0, 1].
    (BasicSR draws one gray field for the batch and scales it per image; so does this.)"""
    sigma, gray = per_image_draws(img, sigma_range, gray_prob)
    with_gray = draws_gray_field(gray, gray_prob, basicsr_stream)
    if with_gray:
        gray_field = torch.randn(*img.shape[2:4], dtype=img.dtype, device=img.device) * sigma / 255.
    noise = torch.randn(*img.shape, dtype=img.dtype, device=img.device) * sigma / 255.
    if with_gray:
        noise = noise * (1 - gray) + gray_field * gray
    return torch.clamp(img + noise, 0, 1)


def quantise_8bit(img: torch.Tensor) -> torch.Tensor:
    return torch.clamp((img * 255.0).round(), 0, 255) / 255.


def poisson_levels(img8: torch.Tensor) -> torch.Tensor:
    """``2**ceil(log2(n))`` per image, ``n`` its number of distinct values, for 8-bit images ``(b, c, h, w)`` (values
    k/255); ``(b, 1, 1, 1)``, counted on the device."""
    b = img8.size(0)
    codes = (img8 * 255).round().long().reshape(b, -1)
    present = torch.zeros(b, 256, dtype=img8.dtype, device=img8.device).scatter_(1, codes, 1.)
    distinct = present.sum(1, keepdim=True)
    powers = 2 ** torch.arange(MAX_EXPONENT + 1, device=img8.device)  # made on the device: no host-to-device copy
    exponent = (distinct > powers).sum(1)  # the smallest k with 2**k >= n (exact: integers, no logarithm)
    return powers[exponent].to(img8.dtype).reshape(b, 1, 1, 1)


def shot_noise(img8: torch.Tensor) -> torch.Tensor:
    levels = poisson_levels(img8)
    return torch.poisson(img8 * levels) / levels - img8


def add_poisson_noise(img: torch.Tensor, scale_range, gray_prob: float, basicsr_stream: bool = False) -> torch.Tensor:
    """``img`` (``(b, 3, h, w)`` in [0, 1]) plus Poisson (shot) noise of the image quantised to 8 bits, scaled by a
    factor uniform in ``scale_range`` per image, computed on the luma (BT.601) and shared by the channels with
    probability ``gray_prob``; clipped to [0, 1]."""
    scale, gray = per_image_draws(img, scale_range, gray_prob)
    with_gray = draws_gray_field(gray, gray_prob, basicsr_stream)
    if with_gray:
        r, g, b = img.unbind(dim=-3)
        luma = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
        gray_noise = shot_noise(quantise_8bit(luma)).expand(img.shape)
    noise = shot_noise(quantise_8bit(img))
    if with_gray:
        noise = noise * (1 - gray) + gray_noise * gray
    return torch.clamp(img + noise * scale, 0, 1)
