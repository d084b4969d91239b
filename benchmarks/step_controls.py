"""The training step with and without issue 23's controls, side by side in one run, and what accumulation does to
the RaGAN gradients.

    python -m benchmarks.step_controls --config default --reps 5 --threads 1 --clock cpu
    python -m benchmarks.step_controls --config small --reps 3 --warmup 1 --threads 1 --clock cpu   # 96x96 crops

1. Step time: ``BebyGANModel`` as the recipe has it (``base``) against the same model with ``train.grad_clip: 1``,
   ``train.adaptive_d: {threshold: 0.1}`` and ``train.accumulate: 2`` (the same batch of ``--config``, so the same
   global batch in two micro-batches), each built on the same real-photo batch (``benchmarks.train_step``, random
   VGG19: timing only), ``--warmup`` untimed steps each, then ``--reps`` rounds of one step per model, the order
   reversed every other round (``benchmarks.step_speed.time_steps``). Ratios of medians to ``base``.
2. Validation images: one validation of the Set5 pairs shipped in ``tests/data`` (x4, whole images) with a
   TensorBoard writer, with the strips (:mod:`bebygan_plugin.model_mixins.validation_strips`) and without them,
   alternating; the cost per validation and per training step at the recipe's ``val_freq``.
3. RaGAN under accumulation: the gradients of G and D after one step with ``accumulate: 2`` against the full batch
   (same weights, same batch), as the relative L2 difference ``|g_acc - g_full| / |g_full|``, for ``--ragan-batches``
   batches; the G gradient also without the GAN term (expected: float rounding only).
"""
import argparse
import os
import statistics

import torch

from benchmarks import harness, step_speed, train_step

VARIANTS = {
    'base': {},
    'grad_clip': {'grad_clip': 1.0},
    'adaptive_d': {'adaptive_d': {'threshold': 0.1}},
    'accumulate_2': {'accumulate': 2},
}
TARGETS = {'grad_clip': 1.02, 'adaptive_d': 1.02, 'accumulate_2': 1.10, 'validation strips': 1.02}
RECIPE_VAL_FREQ = 5000
# the benchmark's own smaller setting (96x96 crops: a quarter of the default's pixels) for a crowded machine
CONFIGS = {**train_step.TRAIN_CONFIGS, 'small': dict(train_step.TRAIN_CONFIGS['default'], gt_size=96)}
SET5 = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests', 'data', 'Set5')


def step_times(cfg: dict, reps: int, warmup: int, clock: str) -> dict:
    models = {}
    for name, overrides in VARIANTS.items():
        models[name] = train_step.build('bebygan', cfg, overrides)
        for it in range(1, warmup + 1):
            models[name].optimize_parameters(it)
        print(f'[step_controls] {name}: built, {warmup} warm-up steps', flush=True)
    return step_speed.time_steps(models, torch.device('cpu'), reps, warmup + 1, clock)


def validation_times(cfg: dict, reps: int, clock: str, workdir: str) -> dict:
    """Seconds of one validation of Set5 with and without the strips (a TensorBoard writer in both)."""
    from basicsr.data import build_dataloader, build_dataset
    from torch.utils.tensorboard import SummaryWriter

    from bebygan_plugin.model_mixins import validation_strips

    model = train_step.build('bebygan', cfg)
    model.opt['val'] = {'save_img': False, 'metrics': {'psnr': {'type': 'calculate_psnr', 'crop_border': 4,
                                                                 'test_y_channel': True}}}
    dataset = build_dataset({'name': 'Set5', 'type': 'PairedImageDataset', 'dataroot_gt': f'{SET5}/HR',
                             'dataroot_lq': f'{SET5}/LR_bicubic/X4', 'io_backend': {'type': 'disk'},
                             'phase': 'val', 'scale': 4, 'filename_tmpl': '{}x4'})
    loader = build_dataloader(dataset, {'phase': 'val'}, num_gpu=0, dist=False)
    writer = SummaryWriter(os.path.join(workdir, 'tb'))
    now, strips, samples = harness.clock_for(clock, 'cpu'), validation_strips.STRIPS, {'with strips': [],
                                                                                        'without': []}
    try:
        for rep in range(reps + 1):
            for name in (('with strips', 'without') if rep % 2 == 0 else ('without', 'with strips')):
                validation_strips.STRIPS = strips if name == 'with strips' else 0
                start = now()
                model.nondist_validation(loader, rep, writer, False)
                if rep:  # the first round warms up
                    samples[name].append(now() - start)
    finally:
        validation_strips.STRIPS = strips
        writer.close()
    return samples


def grads(model) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for net in (model.net_g, model.net_d) for p in net.parameters()
                      if p.grad is not None])


def ragan_differences(cfg: dict, batches: int) -> list:
    """Per batch: relative L2 difference of G's and D's gradients, accumulate 2 vs the full batch, with the GAN term
    and (G only) without it."""
    rows = []
    for seed in range(batches):
        batch = train_step.real_batch(cfg, seed=seed)
        row = {}
        for label, overrides in (('', {}), (' without GAN', {'gan_opt': {'type': 'RelativisticAverageGANLoss',
                                                                        'loss_weight': 0.0}})):
            got = {}
            for parts in (1, 2):
                model = train_step.build('bebygan', cfg, {**overrides, 'accumulate': parts})
                model.feed_data(batch)
                model.optimize_parameters(1)
                g_size = sum(p.numel() for p in model.net_g.parameters())
                all_grads = grads(model)
                got[parts] = (all_grads[:g_size], all_grads[g_size:])
            for index, net in enumerate(('G', 'D')):
                if label and net == 'D':
                    continue
                full, acc = got[1][index], got[2][index]
                row[f'{net}{label}'] = float((acc - full).norm() / full.norm())
        rows.append(row)
        print(f'[step_controls] RaGAN batch {seed}: {row}', flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', choices=sorted(CONFIGS), default='default')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--clock', choices=sorted(harness.CLOCKS), default='wall')
    parser.add_argument('--ragan-batches', type=int, default=3)
    parser.add_argument('--only', nargs='*', choices=('steps', 'validation', 'ragan'),
                        default=['steps', 'validation', 'ragan'])
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = dict(CONFIGS[args.config], num_gpu=0)
    info = harness.machine_info('cpu')
    print(f'{info["cpu"]}, torch {torch.__version__}, {torch.get_num_threads()} threads, {args.clock} clock; '
          f'config {args.config} {cfg}; load average at the start {os.getloadavg()}', flush=True)
    with train_step.random_vgg_workdir() as workdir:
        steps = step_times(cfg, args.reps, args.warmup, args.clock) if 'steps' in args.only else None
        validation = validation_times(cfg, args.reps, args.clock, workdir) if 'validation' in args.only \
            else None
        ragan = ragan_differences(cfg, args.ragan_batches) if 'ragan' in args.only else None
    print(f'\nload average at the end {os.getloadavg()}')
    if steps:
        base = statistics.median(steps['base'])
        print(f'\n{args.reps} alternating rounds, one step each; medians (min-max); ratio to base\n')
        print('| variant | step | spread | ratio | target |')
        print('| --- | --- | --- | --- | --- |')
        for name, times in steps.items():
            median = statistics.median(times)
            target = f'<= {TARGETS[name]:.2f}x' if name in TARGETS else '-'
            print(f'| {name} | {median:.2f} s | {min(times):.2f}-{max(times):.2f} s | {median / base:.3f}x | '
                  f'{target} |')
    if validation:
        with_, without = (statistics.median(validation[k]) for k in ('with strips', 'without'))
        step = statistics.median(steps['base']) if steps else None
        per_step = '' if step is None else \
            f'; per step at val_freq {RECIPE_VAL_FREQ}: {(with_ - without) / RECIPE_VAL_FREQ / step * 100:+.4f}%'
        print(f'\nvalidation of Set5 (5 images, x4) with a TensorBoard writer: with strips {with_:.2f} s, without '
              f'{without:.2f} s ({with_ / without:.3f}x{per_step}); all: '
              f'{ {k: [round(v, 2) for v in vs] for k, vs in validation.items()} }')
    if ragan:
        print('\nRaGAN under accumulate 2 vs the full batch, relative L2 difference of the gradients:\n')
        for key in ragan[0]:
            values = [row[key] for row in ragan]
            print(f'- {key}: median {statistics.median(values):.2e} (min {min(values):.2e}, max {max(values):.2e})')


if __name__ == '__main__':
    main()
