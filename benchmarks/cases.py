"""The measured cases: each has a project side, a reference side (from :mod:`devtools.naive_references`), inputs
and checks.

A case object exposes

- ``inputs(device, warmup=False)``: the measured inputs (``warmup=True``: a small version used only to load code
  paths and thread pools before the memory probe takes its baseline);
- ``project(inp)`` / ``reference(inp)``: one full measured operation (forward + backward where it has one);
  ``reference`` is ``None`` when the reference cannot run at that size;
- ``check(inp)``: exactness figures (project vs reference) for the table;
- ``time_target`` / ``mem_target``: the issue's minimum speed-up / memory ratio (``None``: not a target).
"""
import contextlib
import io
import math
import os
import time
from typing import Optional

import torch

import bebygan_plugin  # noqa: F401  (compat patch before basicsr)
from bebygan_plugin.losses.best_buddy_loss import BestBuddyLoss
from bebygan_plugin.ops.best_buddy import candidate_patches, extract_patches
from bebygan_plugin.ops.imresize import imresize_bicubic
from bebygan_plugin.ops.texture_mask import texture_mask

from . import harness, step_profile, train_step
from devtools import naive_references as ref

PYRAMID = (1.0, 0.5, 0.25)


def natural_like(batch: int, size: int, seed: int = 0, channels: int = 3) -> torch.Tensor:
    """Images with smooth and textured regions (bicubic-upsampled coarse noise + fine noise on the right half)."""
    return train_step.synthetic_batch({'batch': batch, 'gt_size': size, 'scale': 4}, seed=seed)['gt'][:, :channels]


def num_patches(size: int, patch: int = 3, stride: int = 3) -> int:
    return ((size - patch) // stride + 1) ** 2


def num_candidates(size: int, scales=PYRAMID, patch: int = 3, stride: int = 3) -> int:
    return sum(num_patches(math.ceil(size * s), patch, stride) for s in scales if math.ceil(size * s) >= patch)


class Case:
    name = ''
    title = ''
    time_target: Optional[float] = None
    mem_target: Optional[float] = None
    mem_limit_bytes: Optional[float] = None
    has_reference = True
    measure_memory = True
    note = ''

    def inputs(self, device, warmup=False):
        raise NotImplementedError

    def project(self, inp):
        raise NotImplementedError

    def reference(self, inp):
        raise NotImplementedError

    def check(self, inp) -> dict:
        return {}


class BestBuddyCase(Case):
    """BestBuddyLoss forward + backward vs the full score tensor in autograd."""
    time_target, mem_target = 8.0, 20.0

    def __init__(self, batch: int, size: int, has_reference: bool = True, mem_limit_gb: Optional[float] = None,
                 name: Optional[str] = None, note: str = '', targets: bool = True):
        self.batch, self.size = batch, size
        self.name = name or f'best_buddy_b{batch}_{size}'
        self.title = f'BestBuddyLoss fwd+bwd, B={batch}, HR {size}x{size}'
        self.has_reference = has_reference
        self.mem_limit_bytes = None if mem_limit_gb is None else mem_limit_gb * 2 ** 30
        if not (has_reference and targets):
            self.time_target = self.mem_target = None
        self.note = note
        self.loss = BestBuddyLoss(loss_weight=1.0, alpha=1.0, beta=1.0, patch_size=3, stride=3, pyramid_scales=PYRAMID)

    def score_elements(self) -> int:
        return self.batch * num_patches(self.size) * num_candidates(self.size)

    def inputs(self, device, warmup=False):
        batch, size = (1, 24) if warmup else (self.batch, self.size)
        gt = natural_like(batch, size, seed=1).to(device)
        gen = torch.Generator().manual_seed(2)
        pred = (gt + 0.03 * torch.randn(gt.shape, generator=gen).to(device)).requires_grad_()
        return {'pred': pred, 'gt': gt}

    def project(self, inp):
        loss = self.loss(inp['pred'], inp['gt'])
        loss.backward()
        inp['pred'].grad = None
        return loss

    def reference(self, inp):
        loss = ref.reference_best_buddy_loss(inp['pred'], inp['gt'], 1.0, 1.0, 3, 3, PYRAMID)
        loss.backward()
        inp['pred'].grad = None
        return loss

    def check(self, inp) -> dict:
        pred, gt = inp['pred'], inp['gt']
        loss_p = self.loss(pred, gt)
        (grad_p,) = torch.autograd.grad(loss_p, pred)
        loss_r, idx_r = ref.reference_best_buddy_loss(pred, gt, 1.0, 1.0, 3, 3, PYRAMID, return_index=True)
        (grad_r,) = torch.autograd.grad(loss_r, pred)
        from bebygan_plugin.ops.best_buddy import find_best_buddies
        with torch.no_grad():
            pp, gp = extract_patches(pred, 3, 3), extract_patches(gt, 3, 3)
            cand = candidate_patches(gt, PYRAMID, 3, 3)
            idx_p = find_best_buddies(pp, gp, cand, 1.0, 1.0)
            diff = (idx_p != idx_r).nonzero(as_tuple=True)
            # A differing buddy is a tie when its exact (float64) score equals the other's up to float32 rounding.
            ties = 0
            if diff[0].numel():
                c64, q_g, q_p = cand.double(), gp.double()[diff], pp.double()[diff]
                c_p, c_r = c64[diff[0], idx_p[diff]], c64[diff[0], idx_r[diff]]
                s_p = ((c_p - q_g) ** 2).sum(-1) + ((c_p - q_p) ** 2).sum(-1)
                s_r = ((c_r - q_g) ** 2).sum(-1) + ((c_r - q_p) ** 2).sum(-1)
                ties = int(((s_p - s_r).abs() <= 1e-5 * (1 + s_r.abs())).sum())
        return {'buddies_differ': int(diff[0].numel()), 'of_which_ties': ties, 'patches': int(idx_p.numel()),
                'loss_abs_diff': float((loss_p - loss_r).abs()),
                'grad_max_abs_diff': float((grad_p - grad_r).abs().max())}


class BestBuddyLargeCase(BestBuddyCase):
    """The large crop the reference cannot hold: project only, with a hard memory limit."""

    def __init__(self):
        super().__init__(4, 512, has_reference=False, mem_limit_gb=2.0)

    def check(self, inp) -> dict:
        elems = self.score_elements()
        return {'full_score_tensor_gb': round(elems * 4 / 2 ** 30, 1)}


class PaperAnchorCase(BestBuddyCase):
    """The paper's timing setting (one 196x196 image); the paper reports 5.9 ms on a GPU."""

    def __init__(self):
        super().__init__(1, 196, name='best_buddy_paper_anchor_b1_196', targets=False,
                         note='paper: 5.9 ms on an RTX 2080 Ti (GPU); a CPU figure is not comparable')
        self.time_target = self.mem_target = None


class TextureMaskCase(Case):
    name = 'texture_mask_b8_192'
    title = 'Texture mask (Eq. 5, k=11), B=8, 192x192'
    time_target = 10.0

    def inputs(self, device, warmup=False):
        batch, size = (1, 32) if warmup else (8, 192)
        return {'img': natural_like(batch, size, seed=3).to(device)}

    def project(self, inp):
        return texture_mask(inp['img'], 11, 0.025)

    def reference(self, inp):
        return ref.reference_texture_mask(inp['img'], 11, 0.025)

    def check(self, inp) -> dict:
        a, b = self.project(inp), self.reference(inp)
        return {'mask_pixels_differ': int((a != b).sum()), 'pixels': int(a.numel()),
                'textured_fraction': round(float(a.mean()), 3)}


class DownsampleCase(Case):
    name = 'bp_downsample_b8_192'
    title = 'Back-projection S(., 1/4), B=8, 192x192 -> 48x48'
    time_target = 20.0

    def inputs(self, device, warmup=False):
        batch, size = (1, 32) if warmup else (8, 192)
        return {'img': natural_like(batch, size, seed=4).to(device)}

    def project(self, inp):
        return imresize_bicubic(inp['img'], 0.25)

    def reference(self, inp):
        return ref.reference_imresize_batch(inp['img'].cpu(), 0.25)

    def check(self, inp) -> dict:
        diff = (self.project(inp).cpu() - self.reference(inp)).abs().max()
        return {'max_abs_diff': float(diff), 'limit': 1e-5}


class TrainStepCase(Case):
    """One training step of ``project`` vs ``reference`` (``train_step.build`` kinds with ``train`` overrides), same
    networks, perceptual loss and real-photo batch.

    ``variant`` None: BebyGANModel vs BasicSR's stock ESRGANModel, against the issue's ceiling for the config
    (``train_step.STEP_RATIO_TARGETS``), with the per-part profile of both (``step_profile``). Otherwise BebyGANModel
    with one speed option (``train_step.STEP_VARIANTS``) vs BebyGANModel without it (information, no target).
    """
    time_target = None  # a ratio ceiling, not a speed-up: see ``max_ratio``

    def __init__(self, config: str, workdir: str, variant: Optional[str] = None):
        self.config, self.cfg, self.workdir, self.variant = config, train_step.TRAIN_CONFIGS[config], workdir, variant
        c = self.cfg
        setting = (f'B={c["batch"]}, HR {c["gt_size"]}, RRDBNet({c["g_feat"]}f,{c["g_blocks"]}b,{c["g_grow"]}g), '
                   f'UNet-D {c["d_feat"]}f, VGG19 (random), real photo crops')
        if variant is None:
            self.name, self.max_ratio = 'train_step', train_step.STEP_RATIO_TARGETS.get(config)
            self.title = f'Train step: BebyGANModel vs ESRGANModel, {setting}'
            self.sides = {'project': ('bebygan', {}), 'reference': ('esrgan', {})}
            self.note = ('VGG19 weights are RANDOM (no download possible): timing only. Reference = stock '
                         'ESRGANModel (L1 + perceptual + RaGAN, UNetDiscriminatorSN).')
        else:
            self.name, self.max_ratio = f'train_step_{variant}', None
            self.title = f'Train step: BebyGANModel with train.{variant} vs without, {setting}'
            self.sides = {'project': ('bebygan', train_step.STEP_VARIANTS[variant]), 'reference': ('bebygan', {})}
            self.note = 'ratio < 1: the option makes the step faster'
        self.measure_memory = variant is None
        self._models = {}
        self.first_step_s = {}

    def model(self, side: str, device):
        """The side's model, built (and stepped once, timed: compilation happens there) on first use."""
        key = (side, str(device))
        if key not in self._models:
            kind, train_overrides = self.sides[side]
            cwd = os.getcwd()
            os.chdir(self.workdir)
            try:
                train_step.prepare_random_vgg('.')
                cfg = dict(self.cfg, num_gpu=0 if str(device) == 'cpu' else 1)
                with contextlib.redirect_stdout(io.StringIO()):
                    model = train_step.build(kind, cfg, train_overrides)
                start = time.perf_counter()
                model.optimize_parameters(1)
                harness.synchronize(device)
                self.first_step_s[side] = time.perf_counter() - start
                self._models[key] = model
            finally:
                os.chdir(cwd)
        return self._models[key]

    def inputs(self, device, warmup=False):
        self.iteration = 1
        return {'device': device}

    def _step(self, side, inp):
        model = self.model(side, inp['device'])
        self.iteration += 1
        model.optimize_parameters(self.iteration)

    def project(self, inp):
        self._step('project', inp)

    def reference(self, inp):
        self._step('reference', inp)

    def check(self, inp) -> dict:
        return {f'first_step_s_{side}': round(t, 2) for side, t in self.first_step_s.items()}

    def profile(self, device, steps: int, clock: str = 'wall') -> dict:
        """Median seconds per step part of both models (``step_profile``), profiled alternately."""
        models = {self.sides[side][0]: self.model(side, device) for side in ('reference', 'project')}
        return step_profile.profile_side_by_side(models, device, steps, clock=clock)


def make_cases(device: str, workdir: str, train_config: str) -> list:
    variants = ['channels_last', 'compile'] + (['amp_bf16', 'amp_fp16'] if device != 'cpu' else [])
    return ([BestBuddyCase(8, 192), BestBuddyLargeCase(), PaperAnchorCase(), TextureMaskCase(), DownsampleCase(),
             TrainStepCase(train_config, workdir)]
            + [TrainStepCase(train_config, workdir, variant) for variant in variants])


def case_by_name(name: str, device: str, workdir: str, train_config: str) -> Case:
    for case in make_cases(device, workdir, train_config):
        if case.name == name:
            return case
    raise KeyError(name)
