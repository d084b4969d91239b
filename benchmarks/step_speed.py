"""The training step side by side in one run: stock ``ESRGANModel`` (fp32), ``BebyGANModel`` (fp32) and
``BebyGANModel`` with speed options, plus what each eager step asks of the host (operators and syncs).

    python -m benchmarks.step_speed                       # paper setting (B=8, 192x192, 23 blocks), on a GPU if any
    python -m benchmarks.step_speed --device cpu --config default --reps 5 --threads 1 --clock cpu
    python -m benchmarks.step_speed --variant bf16='{"amp": {"enabled": true, "dtype": "bf16"}}'

Every model is built first, on the same real-photo batch (``benchmarks.train_step``, VGG19 *randomly initialised*:
no pretrained weights offline, timing only), and stepped ``--warmup`` times (``train.compile`` compiles at its
second step; CUDA graphs record in the steps after). Then ``--reps`` rounds time one step of each model, the order
reversed every other round (slow drifts of a shared machine hit every model alike); the table gives the median,
the spread and the ratio of medians to ESRGAN. The variants: ``fp32`` (the recipe as it is) and ``best``: on a GPU
``train.compile: {mode: reduce-overhead}`` (CUDA graphs) + ``amp: bf16`` + ``channels_last``, on a CPU
``train.compile: true`` (inductor); ``--variant NAME=JSON`` adds any other ``train`` overrides. After each timed
variant's first compiled steps the logged losses are compared with the fp32 model's (same seed, same batch).

The operator and sync counts are ``benchmarks.launch_count``'s (one step after a warm-up, the GPU search plan).
"""
import argparse
import json
import os
import statistics
import time
from typing import Dict

import torch

from benchmarks import harness, launch_count, train_step

BEST = {'cuda': {'compile': {'mode': 'reduce-overhead'}, 'amp': {'enabled': True, 'dtype': 'bf16'},
                 'channels_last': True},
        'cpu': {'compile': True}}


def parse_variants(device: torch.device, extra) -> Dict[str, tuple]:
    """name -> (model kind, train overrides): ESRGAN fp32, BebyGAN fp32, BebyGAN best, and ``--variant`` ones."""
    variants = {'ESRGANModel fp32': ('esrgan', {}), 'BebyGANModel fp32': ('bebygan', {}),
                'BebyGANModel best': ('bebygan', BEST['cuda' if device.type == 'cuda' else 'cpu'])}
    for item in extra or []:
        name, _, overrides = item.partition('=')
        variants[f'BebyGANModel {name}'] = ('bebygan', json.loads(overrides))
    return variants


def time_steps(models: dict, device, reps: int, first_iter: int, clock: str = 'wall') -> Dict[str, list]:
    """``reps`` rounds of one timed step per model, alternating the order; seconds per step (``clock``: see
    ``harness.CLOCKS``)."""
    now = harness.clock_for(clock, device)
    samples = {name: [] for name in models}
    order = list(models)
    iteration = first_iter
    for rep in range(reps):
        for name in (order if rep % 2 == 0 else order[::-1]):
            harness.synchronize(device)
            start = now()
            models[name].optimize_parameters(iteration)
            harness.synchronize(device)
            samples[name].append(now() - start)
        iteration += 1
    return samples


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--config', choices=sorted(train_step.TRAIN_CONFIGS), default='paper')
    parser.add_argument('--reps', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=4, help='untimed steps per model first (compile: >= 2)')
    parser.add_argument('--variant', action='append', metavar='NAME=JSON', help='BebyGANModel with these train '
                        'overrides, e.g. bf16=\'{"amp": {"enabled": true, "dtype": "bf16"}}\'')
    parser.add_argument('--no-best', action='store_true', help='leave out the "best" variant')
    parser.add_argument('--no-counts', action='store_true', help='skip the operator / sync counts')
    parser.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument('--clock', choices=sorted(harness.CLOCKS), default='wall',
                        help='wall, or cpu: this process\'s CPU time (a shared CPU; use it with --threads 1)')
    args = parser.parse_args(argv)
    if args.warmup < 1:
        parser.error(f'--warmup must be at least 1 (got {args.warmup}): the logged losses come from a warm-up step')
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = dict(train_step.TRAIN_CONFIGS[args.config], num_gpu=0 if device.type == 'cpu' else 1)
    variants = parse_variants(device, args.variant)
    if args.no_best:
        variants.pop('BebyGANModel best')
    info = harness.machine_info(str(device))
    print(f'{info.get("gpu") or info["cpu"]}, torch {torch.__version__}, {torch.get_num_threads()} threads; '
          f'config {args.config} {cfg}', flush=True)
    with train_step.random_vgg_workdir():
        models, warmup_s, losses = {}, {}, {}
        for name, (kind, overrides) in variants.items():
            models[name] = train_step.build(kind, cfg, overrides)
            start = time.perf_counter()
            for it in range(1, args.warmup + 1):
                models[name].optimize_parameters(it)
            harness.synchronize(device)
            warmup_s[name] = time.perf_counter() - start
            losses[name] = models[name].get_current_log()
            print(f'[step_speed] {name}: {args.warmup} warm-up steps {warmup_s[name]:.1f} s', flush=True)
        samples = time_steps(models, device, args.reps, args.warmup + 1, args.clock)
        del models
        counts = None if args.no_counts else launch_count.measure(('esrgan', 'bebygan'), cfg, 'gpu')

    reference = statistics.median(samples['ESRGANModel fp32'])
    print(f'\n{args.reps} alternating rounds, one step each ({args.clock} clock); medians (min-max); ratio to '
          f'ESRGANModel fp32; load average at the end {os.getloadavg()}\n')
    print('| model | step | spread | ratio | warm-up steps |')
    print('| --- | --- | --- | --- | --- |')
    for name, times in samples.items():
        median = statistics.median(times)
        print(f'| {name} | {median * 1e3:.1f} ms | {min(times) * 1e3:.1f}-{max(times) * 1e3:.1f} ms | '
              f'{median / reference:.3f}x | {warmup_s[name]:.1f} s |')
    fp32_log = losses['BebyGANModel fp32']
    for name, log in losses.items():
        if name.startswith('BebyGANModel') and name != 'BebyGANModel fp32':
            worst = max(abs(log[k] - fp32_log[k]) / max(abs(fp32_log[k]), 1e-8) for k in fp32_log if k in log)
            print(f'{name}: logged losses after the warm-up vs fp32: largest relative difference {worst:.2e}')
    if counts is not None:
        print('\nper eager step (fp32), the GPU search plan:\n')
        print(launch_count.format_table(counts, 10))


if __name__ == '__main__':
    main()
