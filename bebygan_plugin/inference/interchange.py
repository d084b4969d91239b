"""Checkpoints in and out: conversion to BasicSR format and network interpolation (Beby-GAN-PI).

Both read any supported layout (:func:`~.models.read_generator_weights`) and write BasicSR's format,
``{'params': ..., 'params_ema': ...}`` (the groups the inputs have) in ``RRDBNet`` keys, atomically, so the result
is a valid ``path.pretrain_network_g`` of any BasicSR option file.
"""
import os
from typing import Dict

from ..files.checkpoint import atomic_torch_save
from ..files.weights import PARAM_KEYS, StateDict
from ..problems import Problem, ProblemsFound
from .generators import GeneratorWeights, read_generator_weights


def _refuse_overwriting(dst: str, sources, program: str) -> None:
    for src in sources:
        if os.path.exists(dst) and os.path.samefile(src, dst):
            raise ProblemsFound(program, [Problem(dst, 'is also an input; write the result to another file')])


def save_basicsr(groups: Dict[str, StateDict], dst: str) -> None:
    """Write ``groups`` as a BasicSR checkpoint (contiguous CPU tensors), atomically."""
    atomic_torch_save({key: {k: v.detach().cpu().contiguous() for k, v in group.items()}
                       for key, group in groups.items()}, dst)


def convert_checkpoint(src: str, dst: str, program: str = 'bebygan-convert') -> GeneratorWeights:
    """Read ``src`` (any supported layout) and write it to ``dst`` in BasicSR format; returns what was read."""
    weights = read_generator_weights(src, program)
    _refuse_overwriting(dst, [src], program)
    save_basicsr(weights.groups, dst)
    return weights


def interpolate_states(psnr: StateDict, gan: StateDict, alpha: float) -> StateDict:
    """Network interpolation (ESRGAN, Wang et al. 2018, Sec. 3.4): θ = (1 − α)·θ_PSNR + α·θ_GAN for every tensor.

    α = 0 gives the PSNR network and α = 1 the GAN network exactly; the sum is computed in float64.
    """
    if set(psnr) != set(gan):
        raise ValueError(f'the networks have different tensors (e.g. {sorted(set(psnr) ^ set(gan))[:3]})')
    out = {}
    for key, a in psnr.items():
        b = gan[key]
        if a.shape != b.shape:
            raise ValueError(f'{key} has shape {tuple(a.shape)} in one network and {tuple(b.shape)} in the other')
        if alpha == 0 or alpha == 1:
            out[key] = (a if alpha == 0 else b).clone()
        else:
            out[key] = ((1 - alpha) * a.double() + alpha * b.double()).to(a.dtype)
    return out


def _group(weights: GeneratorWeights, key: str) -> StateDict:
    return weights.groups[key] if len(weights.groups) > 1 else next(iter(weights.groups.values()))


def interpolate_checkpoints(psnr_model: str, gan_model: str, alpha: float, dst: str,
                            program: str = 'bebygan-interpolate') -> Dict[str, StateDict]:
    """Beby-GAN-PI: interpolate two RRDB checkpoints of one architecture and write the result to ``dst``.

    Every weight group (``params``, ``params_ema``) of either input is interpolated; a file with one set of weights
    (e.g. the authors' state dict) pairs with each group of the other. Mismatched architectures are refused
    before anything is written.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ProblemsFound(program, [Problem('--alpha', f'must be between 0 (the PSNR model) and 1 (the GAN '
                                                         f'model), got {alpha}')])
    psnr, gan = read_generator_weights(psnr_model, program), read_generator_weights(gan_model, program)
    if psnr.config != gan.config:
        raise ProblemsFound(program, [Problem(gan_model, f'is a different architecture from {psnr_model}: '
                                                         f'{gan.describe()} vs {psnr.describe()}; interpolate two '
                                                         'trainings of the same network')])
    _refuse_overwriting(dst, [psnr_model, gan_model], program)
    keys = [key for key in PARAM_KEYS if key in psnr.groups or key in gan.groups]
    pairs = {key: (_group(psnr, key), _group(gan, key)) for key in keys}
    result = {key: interpolate_states(a, b, alpha) for key, (a, b) in pairs.items()}
    save_basicsr(result, dst)
    return result

