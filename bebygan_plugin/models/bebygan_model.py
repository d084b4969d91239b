"""BebyGANModel: the Beby-GAN training step (Eq. 10) on top of BasicSR's SRGAN conventions."""
import contextlib
import inspect
import math
from collections import OrderedDict

import torch
from basicsr.losses import build_loss
from basicsr.models.sr_model import SRModel
from basicsr.models.srgan_model import SRGANModel
from basicsr.utils.registry import MODEL_REGISTRY
from torch.nn import functional as F

from ..compat.private_names import is_batch_norm
from ..ops.texture_mask import texture_mask
from ..model_mixins.checkpoint_mixin import CrashSafeCheckpointMixin
from ..model_mixins.distributed import gather_batch, global_batch_loss
from ..model_mixins.step_controls import StepControlsMixin
from ..model_mixins.step_records import StepRecords, nonfinite_flag, skips_on_device, step_without_sync
from ..model_mixins.stop_on_signal import StopOnSignalMixin
from ..model_mixins.validation_strips import ValidationStripsMixin
from ..problems import ProblemsFound
from ..schema import AMP_DTYPES, BEBYGAN_TRAIN, OPTIMIZERS, check_options
from .lr_scheduler import WarmupCosineRestartLR


def weighted(value: torch.Tensor, weight: float, logged: bool = False) -> torch.Tensor:
    """``value * weight`` (of the value alone, without its graph, when it is only ``logged``), without an operator
    when the weight is 1 (no micro-batches; the step records read their values without a graph anyway)."""
    if weight == 1:
        return value
    return (value.detach() if logged else value) * weight


@MODEL_REGISTRY.register()
class BebyGANModel(StepControlsMixin, StopOnSignalMixin, ValidationStripsMixin, CrashSafeCheckpointMixin,
                   SRGANModel):
    """Beby-GAN (Li et al., AAAI 2021) for BasicSR.

    Generator loss, Eq. 10: ``L = l1*L_BB + l2*L_BP + l3*L_P + l4*L_G`` built from the ``train`` options

    - ``pixel_opt``: best-buddy loss (``BestBuddyLoss``, Eq. 1-3), compared with the GT;
    - ``bp_opt``: back-projection loss (``BackProjectionLoss``, Eq. 4), compared with the LR input (or with the GT
      downscaled by S, ``bp_opt.target: gt``);
    - ``perceptual_opt``: BasicSR ``PerceptualLoss`` (VGG19 conv3_4/4_4/5_4, Eq. 6);
    - ``gan_opt``: ``RelativisticAverageGANLoss`` (Eq. 7-9);

    each optional (leave one out to ablate it), each weighted by its own ``loss_weight``. ``mask_opt`` (see
    :meth:`compute_texture_mask`) turns on region-aware adversarial learning (Eq. 5): both real and fake images are
    multiplied by the same texture mask before the discriminator. Without ``mask_opt`` it is plain RaGAN (the paper's
    "w/o RA"). Every option the plugin adds to ``train`` (rule, default, doc) is declared once in
    :data:`bebygan_plugin.schema.BEBYGAN_TRAIN` (``docs/options.md`` lists them); :meth:`init_training_settings`
    refuses bad values with the preflight's messages, also when BasicSR's own ``basicsr/train.py`` builds the
    model.

    The discriminator may take the mask itself (``MaskedUNetDiscriminator``, ``MaskedVGGStyleDiscriminator``) or be
    any BasicSR discriminator, whose inputs are then masked here. A discriminator with ``mask_logits = True``
    returns per-pixel logits zeroed on flat pixels, and the GAN loss is averaged over textured pixels only.
    ``train.scheduler.type: WarmupCosineRestartLR`` gives the paper's schedule for both G and D; EMA of G comes
    from BasicSR (``train.ema_decay``). ``train.amp: {enabled: true, dtype: bf16 | fp16}`` runs G and D under
    autocast (fp16 with a gradient scaler per optimizer); the best-buddy search and the bicubic operator always run
    in float32.

    Reliability: checkpoints (networks with EMA, optimizers, schedulers, GradScalers, RNG states) are written
    atomically (``CrashSafeCheckpointMixin``). A step whose G or D loss is NaN/Inf skips that update with a
    warning; ``train.max_consecutive_nonfinite`` such iterations in a row stop the run with an error.
    Both are decided on the device and reported when the host next reads the step records (:meth:`read_step_records`:
    BasicSR's log every ``logger.print_freq`` iterations, a checkpoint save), so a step that does not print never
    waits for the device (Adam is built with ``fused=True`` for that; see ``training.step_records``).
    Under DDP the relativistic averages of the GAN loss span the global batch, so N processes with batch B each
    train like one process with batch N*B; only a BatchNorm discriminator differs, as it normalises over each
    process's B images (as the authors' code does).
    """

    train_options = BEBYGAN_TRAIN  # the declaration of the train section (bebygan_plugin.schema checks it)
    trains_discriminator = True  # False: G alone on its pixel / perceptual / back-projection terms (RealBebyNetModel)
    term_names = {'pixel': 'l_g_bb', 'back_projection': 'l_g_bp', 'perceptual': 'l_g_percep', 'style': 'l_g_style'}
    scheduler_types = {'WarmupCosineRestartLR': WarmupCosineRestartLR}  # train.scheduler types beside BasicSR's

    def init_training_settings(self) -> None:
        """The options, checked against their declarations first (:class:`~bebygan_plugin.problems.ProblemsFound` lists
        every problem the preflight would name, with its messages), then BasicSR's SRGAN settings and the plugin's."""
        problems = check_options(self.opt, is_train=True, whole_run=False)
        if problems:
            raise ProblemsFound(type(self).__name__, problems, 'the options', f'{type(self).__name__} was not built')
        train_opt = self.opt['train']
        settings = self.train_options.resolve(train_opt)
        self.cri_bp = build_loss(train_opt['bp_opt']).to(self.device) if train_opt.get('bp_opt') else None
        self.mask_opt = settings.get('mask_opt') or {}  # every key filled in; empty: no texture mask
        if self.trains_discriminator:
            super().init_training_settings()
            bare_d = self.get_bare_model(self.net_d)
            self.d_takes_mask = 'mask' in inspect.signature(bare_d.forward).parameters
            self.d_masks_logits = bool(getattr(bare_d, 'mask_logits', False))
        else:  # SRModel's settings: EMA, pixel and perceptual losses, G's optimizer and scheduler
            self.net_d = self.cri_gan = None
            SRModel.init_training_settings(self)
            self.net_d_iters, self.net_d_init_iters = 1, 0
        self.setup_amp(settings['amp'])
        self.max_consecutive_nonfinite = settings['max_consecutive_nonfinite']
        self.nonfinite_streak = 0
        self.setup_speed_options(settings['channels_last'], settings['compile'])
        self.setup_step_records()
        self.setup_step_controls(settings)
        self.setup_stop_on_signal()

    def setup_step_records(self) -> None:
        """Step records kept on the device (``training.step_records``), read at the latest every ``print_freq``
        steps (at most 1000) even if nothing prints."""
        self.step_records = StepRecords()
        self.log_dict = OrderedDict()
        self.max_pending_records = max(1, min(int((self.opt.get('logger') or {}).get('print_freq', 100)), 1000))

    def setup_speed_options(self, channels_last: bool, compile_opt) -> None:
        """``train.channels_last``: G and D weights in NHWC layout (the convolutions then run channels-last).
        ``train.compile``: ``torch.compile`` of the step's two passes, each with its losses (:meth:`generator_pass`:
        texture mask, G, best-buddy, back-projection, perceptual and RaGAN losses; :meth:`discriminator_pass`: D on
        real and fake, RaGAN loss), ``true`` or a mapping of ``torch.compile`` arguments such as ``{mode:
        reduce-overhead}`` (CUDA graphs) or ``{mode: max-autotune}``; static shapes unless ``dynamic`` is given. The
        first step runs eagerly (it fills the losses' device caches); the passes compile at the second, once. The
        networks themselves stay plain modules (checkpoints, EMA and validation see them as without compile).
        Neither option changes what is computed; both only change how fast."""
        self.channels_last = channels_last
        if channels_last:
            for net in filter(None, (self.net_g, self.net_d)):
                net.to(memory_format=torch.channels_last)
        self.compiled_passes = None
        if compile_opt:
            kwargs = {'dynamic': False, **({} if compile_opt is True else dict(compile_opt))}
            self.compiled_passes = (torch.compile(self.generator_pass, **kwargs),
                                    torch.compile(self.discriminator_pass, **kwargs))

    def setup_amp(self, amp_opt: dict) -> None:
        """Autocast dtype (None = full precision) and one GradScaler per optimizer (enabled for fp16 only), from
        the checked ``train.amp`` with its defaults."""
        self.amp_dtype = AMP_DTYPES[amp_opt['dtype']] if amp_opt['enabled'] else None
        use_scaler = self.amp_dtype == torch.float16
        self.grad_scalers = [torch.amp.GradScaler(self.device.type, enabled=use_scaler) for _ in self.optimizers]

    def setup_optimizers(self) -> None:
        """SRGANModel's (G and D), or SRModel's (G alone) without a discriminator."""
        (SRGANModel if self.trains_discriminator else SRModel).setup_optimizers(self)

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def keep_saved_norm_statistics(self):
        """A context for a D update whose graph spans two discriminator passes (real, then fake).

        A BatchNorm layer saves its running statistics for backward, and the second pass updates them in place: on
        CUDA (and under DDP, whose forward re-broadcasts buffers) that bumps their version and backward fails with
        "modified by an inplace operation". The statistics only matter in eval mode, never in these updates, so
        each pass keeps its own copy of them (a few hundred floats). A no-op for discriminators without BatchNorm.
        """
        addresses = {buf.data_ptr() for module in self.get_bare_model(self.net_d).modules()
                     if is_batch_norm(module) for buf in (module.running_mean, module.running_var)
                     if buf is not None}  # looked up now: loading or moving D may have replaced the tensors
        if not addresses:
            return contextlib.nullcontext()

        def pack(saved: torch.Tensor) -> torch.Tensor:
            return saved.clone() if saved.data_ptr() in addresses else saved

        return torch.autograd.graph.saved_tensors_hooks(pack, lambda saved: saved)

    def feed_data(self, data) -> None:
        """BasicSR's, with the batch in channels-last layout when ``train.channels_last`` is on
        (:meth:`lay_out_batch`)."""
        super().feed_data(data)
        self.lay_out_batch()

    def lay_out_batch(self) -> None:
        """The batch's images in channels-last layout when ``train.channels_last`` is on: every network then takes its
        input as its convolutions want it (no layout conversion at the first convolution of G, of each D pass and of
        VGG, a kernel each on a GPU)."""
        if getattr(self, 'channels_last', False):
            for name in ('lq', 'gt', 'gt_usm'):
                if hasattr(self, name):
                    setattr(self, name, getattr(self, name).contiguous(memory_format=torch.channels_last))

    # What each loss compares with: the GT (real-world models may use its unsharp-masked copy, RealBebyGANModel).
    @property
    def pixel_target(self) -> torch.Tensor:
        return self.gt

    perceptual_target = gan_target = pixel_target

    def back_projection_target(self) -> torch.Tensor:
        """The LR input, or the GT when ``bp_opt.target`` is ``gt`` (the loss downscales it with S)."""
        return self.gt if self.cri_bp.target == 'gt' else self.lq

    optimizer_types = OPTIMIZERS  # what get_optimizer builds (the preflight checks train.optim_*.type against it)

    def get_optimizer(self, optim_type, params, lr, **kwargs):
        """BasicSR's Adam, fused unless ``fused`` or ``foreach`` is set in ``train.optim_*``: a fused optimizer skips a
        non-finite step on the device (``training.step_records``), and runs as a few kernels on a GPU."""
        if optim_type == 'Adam' and 'fused' not in kwargs and 'foreach' not in kwargs:
            kwargs['fused'] = True
        return super().get_optimizer(optim_type, params, lr, **kwargs)

    def resume_training(self, resume_state):
        """Also keeps the optimizers fused when the checkpoint was written by non-fused ones (an older version)."""
        fused = [skips_on_device(optimizer) for optimizer in self.optimizers]
        super().resume_training(resume_state)
        for optimizer, was_fused in zip(self.optimizers, fused):
            if was_fused and not skips_on_device(optimizer):
                for group in optimizer.param_groups:
                    group['fused'] = True
                    for param in group['params']:
                        state = optimizer.state.get(param, {})
                        if 'step' in state:
                            state['step'] = state['step'].to(param.device, torch.float32)

    def backward(self, loss: torch.Tensor, optimizer_index: int) -> None:
        """``loss.backward()`` through the optimizer's GradScaler (a no-op scale unless fp16 AMP)."""
        self.grad_scalers[optimizer_index].scale(loss).backward()

    def step(self, optimizer_index: int, found_inf: torch.Tensor, skip=None):
        """The optimizer's update, clipped to ``train.grad_clip`` first (returns the norm before clipping, or None);
        skipped on the device when ``found_inf`` or ``skip`` is 1 (``model_mixins.step_records.step_without_sync``)."""
        optimizer, norm = self.optimizers[optimizer_index], []
        before_step = (lambda: norm.append(self.clip_gradients(optimizer))) if self.grad_clip else None
        step_without_sync(optimizer, self.grad_scalers[optimizer_index], found_inf, skip, before_step)
        return norm[0] if norm else None

    def setup_schedulers(self) -> None:
        sched_opt = dict(self.opt['train']['scheduler'])
        if sched_opt.get('type') != 'WarmupCosineRestartLR':
            return super().setup_schedulers()
        sched_opt.pop('type')
        self.schedulers = [WarmupCosineRestartLR(optimizer, **sched_opt) for optimizer in self.optimizers]

    def compute_texture_mask(self) -> torch.Tensor:
        """Eq. 5 for the current batch, from ``train.mask_opt``: on the GT HR (``source: gt``, the paper) or on the
        bicubic-upsampled LR (``lq_bicubic``, the authors' code), clamped to [0, 1] first unless ``clamp_source:
        false``, with the ``luma_weights`` and ``unbiased_std`` of :func:`texture_mask`."""
        opt = self.mask_opt
        if opt['source'] == 'gt':
            source = self.gt
        else:
            source = F.interpolate(self.lq, size=self.gt.shape[-2:], mode='bicubic', align_corners=False)
        if opt['clamp_source']:
            source = source.clamp(0, 1)
        return texture_mask(source, opt['kernel_size'], opt['threshold'], luma_weights=tuple(opt['luma_weights']),
                            unbiased=opt['unbiased_std'])

    def discriminator_logits(self, img: torch.Tensor, mask) -> torch.Tensor:
        """C(x) of Eq. 9 for one batch of real or of fake images, masked by the texture mask (Eq. 5).

        Real and fake batches always go through the discriminator in separate passes, as in ESRGAN and the authors'
        code: a BatchNorm discriminator normalises each by its own batch statistics instead of mixing the two.
        """
        if self.d_takes_mask:
            return self.net_d(img, mask=mask)
        return self.net_d(img if mask is None else img * mask)

    def gan_weight(self, mask):
        """Per-pixel weights of the GAN expectations: the mask when the discriminator masks its logits."""
        return mask if (mask is not None and self.d_masks_logits) else None

    def gan_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor, for_discriminator: bool, mask):
        """``cri_gan`` in float32 on the global batch (every DDP rank's logits; see ``training.distributed``)."""
        real, fake, weight = real_logits.float(), fake_logits.float(), self.gan_weight(mask)
        if self.opt.get('dist'):
            real, fake = gather_batch(real), gather_batch(fake)
            weight = None if weight is None else gather_batch(weight)
            return global_batch_loss(self.cri_gan(real, fake, for_discriminator, weight))
        return self.cri_gan(real, fake, for_discriminator, weight)

    def warn_skipped(self, update: str, values: dict, current_iter: int) -> None:
        """Logs that the ``update`` ('G' or 'D') of ``current_iter`` was skipped, naming its non-finite losses."""
        from basicsr.utils import get_root_logger

        names = [k for k in values if k in self.term_names.values() or k == 'l_g_gan'] if update == 'G' else ['l_d']
        bad = ', '.join(f'{k}={values[k]:g}' for k in names if not math.isfinite(values[k]))
        get_root_logger().warning(f'iter {current_iter}: non-finite loss ({bad or "on another rank"}): {update} '
                                  f'update skipped ({self._nonfinite_streak + 1} iteration(s) in a row; the run '
                                  f'stops at {self.max_consecutive_nonfinite}, train.max_consecutive_nonfinite)')

    def count_nonfinite(self, skipped: list, current_iter: int) -> None:
        """Track iterations with a skipped update; too many in a row stop the run with an error."""
        if not skipped:
            self._nonfinite_streak = 0
            return
        self._nonfinite_streak += 1
        if self._nonfinite_streak >= self.max_consecutive_nonfinite:
            raise RuntimeError(
                f'Stopping at iter {current_iter}: the losses were NaN/Inf in {self._nonfinite_streak} consecutive '
                f'iterations (last skipped: {", ".join(skipped)}; limit train.max_consecutive_nonfinite = '
                f'{self.max_consecutive_nonfinite}). Checkpoints on disk are intact. Likely causes: a learning rate '
                'too high, fp16 overflow (try train.amp.dtype: bf16), or corrupt training images; fix it and '
                'resume with --auto_resume.')

    def generator_losses(self, output: torch.Tensor, mask) -> OrderedDict:
        """The terms of Eq. 10 for ``output`` (G's estimate of the current batch), each already multiplied by its
        lambda."""
        losses = OrderedDict()
        if self.cri_pix:
            losses[self.term_names['pixel']] = self.cri_pix(output, self.pixel_target)
        if self.cri_bp:
            losses[self.term_names['back_projection']] = self.cri_bp(output, self.back_projection_target())
        if self.cri_perceptual:
            l_percep, l_style = self.cri_perceptual(output, self.perceptual_target)
            if l_percep is not None:
                losses[self.term_names['perceptual']] = l_percep
            if l_style is not None:
                losses[self.term_names['style']] = l_style
        if not self.trains_discriminator:
            return losses
        with torch.no_grad():  # D is frozen in the G step and C(x_r) is a constant of Eq. 8: no graph needed
            real_logits = self.discriminator_logits(self.gan_target, mask)
        fake_logits = self.discriminator_logits(output, mask)
        losses['l_g_gan'] = self.gan_loss(real_logits, fake_logits, False, mask)
        return losses

    def generator_pass(self, train_g: bool):
        """The G half of a step up to its backward: the texture mask (Eq. 5), G's estimate of the current batch and,
        when ``train_g``, the terms of Eq. 10 and their sum; returns ``(output, mask, losses, l_g_total)``. One unit
        for ``train.compile`` (no graph break in it)."""
        mask = self.compute_texture_mask() if self.mask_opt else None
        with self.autocast():
            output = self.net_g(self.lq)
            losses = self.generator_losses(output, mask) if train_g else OrderedDict()
        l_g_total = torch.stack(list(losses.values())).sum() if train_g else None
        return output, mask, losses, l_g_total

    def discriminator_pass(self, fake: torch.Tensor, mask):
        """The D half of a step up to its backward: D on the real and on the (detached) fake batch and the RaGAN loss
        of Eq. 7; returns ``(l_d, real_logits, fake_logits)``. One unit for ``train.compile``."""
        with self.autocast():
            real_logits = self.discriminator_logits(self.gan_target, mask)
            fake_logits = self.discriminator_logits(fake, mask)  # the fake of this iteration's G
            return self.gan_loss(real_logits, fake_logits, True, mask), real_logits, fake_logits

    def optimize_parameters(self, current_iter: int) -> None:
        """One step of Eq. 10: G's update (every ``net_d_iters`` after ``net_d_init_iters``), then D's, each over
        the ``train.accumulate`` micro-batches of the batch (:mod:`bebygan_plugin.model_mixins.step_controls`)."""
        if self.step_records.pending >= self.max_pending_records:
            self.read_step_records()  # nobody printed for a while: keep the records (and the streak check) bounded
        passes = (self.generator_pass, self.discriminator_pass)
        if self.compiled_passes and self.step_records.steps_recorded:  # the first step fills the caches eagerly
            passes = self.compiled_passes
        log, flags = OrderedDict(), OrderedDict()
        train_g = current_iter % self.net_d_iters == 0 and current_iter > self.net_d_init_iters
        with self.named_out_of_memory('G', current_iter):
            fakes = self.generator_update(passes[0], train_g, log, flags)
        if self.trains_discriminator:
            with self.named_out_of_memory('D', current_iter):
                self.discriminator_update(passes[1], fakes, log, flags)
        self.step_records.record(current_iter, log, flags)
        self.count_images()
        if self.ema_decay > 0:
            self.model_ema(decay=self.ema_decay)

    def generator_update(self, generator_pass, train_g: bool, log: OrderedDict, flags: OrderedDict) -> list:
        """G's half of the step: for each micro-batch the pass and (when ``train_g``) its weighted backward, then
        one update; returns ``[(fake, mask)]`` per micro-batch for D and sets ``self.output``."""
        for p in self.net_d.parameters() if self.trains_discriminator else ():
            p.requires_grad = False
        self.optimizer_g.zero_grad()
        fakes, totals, terms = [], [], []
        for weight, last in self.micro_batches():
            with self.without_gradient_sync(self.net_g, last):
                output, mask, losses, l_g_total = generator_pass(train_g)
                if train_g:
                    self.backward(weighted(l_g_total, weight), 0)
                    totals.append(weighted(l_g_total, weight, logged=True))
                    terms.append({k: weighted(v, weight, logged=True) for k, v in losses.items()})
            fakes.append((output.detach(), mask))
        self.output = fakes[0][0] if len(fakes) == 1 else torch.cat([fake for fake, _ in fakes])
        if train_g:
            l_g_total = totals[0] if len(totals) == 1 else torch.stack(totals).sum()
            flags['G'] = nonfinite_flag(l_g_total)
            norm = self.step(0, flags['G'])
            log.update((k, terms[0][k] if len(terms) == 1 else torch.stack([t[k] for t in terms]).sum())
                       for k in terms[0])
            log['l_g_total'] = l_g_total
            if norm is not None:
                log['grad_norm_g'] = norm
        return fakes

    def discriminator_update(self, discriminator_pass, fakes: list, log: OrderedDict, flags: OrderedDict) -> None:
        """D's half of the step on the micro-batches' fakes of this iteration's G, then one update (skipped on the
        device by the NaN guard or ``train.adaptive_d``)."""
        for p in self.net_d.parameters():
            p.requires_grad = True
        self.optimizer_d.zero_grad()
        parts = []
        with self.keep_saved_norm_statistics():
            for (weight, last), (fake, mask) in zip(self.micro_batches(), fakes):
                with self.without_gradient_sync(self.net_d, last):
                    l_d, real_logits, fake_logits = discriminator_pass(fake, mask)
                    self.backward(weighted(l_d, weight), 1)
                parts.append([weighted(t, weight, logged=True) for t in (l_d, real_logits.detach().mean(),
                                                                         fake_logits.detach().mean())] +
                             ([] if mask is None else [weighted(mask.mean(), weight)]))
        values = parts[0] if len(parts) == 1 else [torch.stack(column).sum() for column in zip(*parts)]
        l_d = values[0]
        flags['D'] = nonfinite_flag(l_d)
        skip = self.adaptive_d_skip(l_d)
        norm = self.step(1, flags['D'], skip)
        log['l_d'], log['out_d_real'], log['out_d_fake'] = values[:3]
        if len(values) > 3:
            log['mask_ratio'] = values[3]
        if norm is not None:
            log['grad_norm_d'] = norm
        if skip is not None:
            log['d_updates_skipped'] = self.d_updates_skipped

    # ---------------------------------------------------------------------------------------- host-side reading
    def read_step_records(self) -> None:
        """Reads the steps recorded since the last read (one host sync): warns of each skipped update, counts the
        iterations with one in a row (too many raise, :meth:`count_nonfinite`) and sets ``log_dict`` to the floats
        of the last step, as BasicSR's ``reduce_loss_dict`` would have."""
        for current_iter, values, skipped in self.step_records.read():
            for update in skipped:
                self.warn_skipped(update, values, current_iter)
            self._log_dict = values
            self.count_nonfinite(skipped, current_iter)


    @property
    def log_dict(self) -> OrderedDict:
        """The last step's logged values as floats (reading them waits for the device)."""
        self.read_step_records()
        return self._log_dict

    @log_dict.setter
    def log_dict(self, value) -> None:
        self._log_dict = value

    @property
    def nonfinite_streak(self) -> int:
        """Iterations in a row, up to the last one, with a skipped update (reading it waits for the device)."""
        self.read_step_records()
        return self._nonfinite_streak

    @nonfinite_streak.setter
    def nonfinite_streak(self, value: int) -> None:
        self._nonfinite_streak = value

    def save(self, epoch, current_iter):
        """SRGANModel's (G with its EMA, D, the training state), or SRModel's without a discriminator."""
        self.read_step_records()  # a run past train.max_consecutive_nonfinite stops before writing checkpoints
        if self.trains_discriminator:
            super().save(epoch, current_iter)
        else:
            SRModel.save(self, epoch, current_iter)
