"""What Real-ESRGAN's second-order degradation adds to a real-world Beby-GAN step, and what it asks of the host,
beside BasicSR's own ``RealESRGANModel.feed_data`` (issue 21).

    python -m benchmarks.degradation                               # the recipe's batch (12) and crop (256), 23 blocks
    python -m benchmarks.degradation --device cpu --threads 1 --clock cpu --reps 3
    python -m benchmarks.degradation --device cuda --reps 10       # GPU figures (benchmarks/gpu_checks.sh)

The data are real photos: the ``skimage.data`` photos of the demo written as a GT-only training set and read by
BasicSR's ``RealESRGANDataset`` with Real-ESRGAN's kernel options (400x400 crops, kernels per image). The model is
``RealBebyGANModel`` of ``options/train_RealBebyGAN_x4.yml`` at full size (RRDBNet 23 blocks, U-Net D 64 features,
VGG19 perceptual loss *randomly initialised*: no pretrained weights offline, timing only).

Timing: ``--reps`` rounds, each ``feed_data`` (degradation + training-pair pool + unsharp mask, on a fresh batch)
then ``optimize_parameters`` (the step itself); the medians, and the degradation's share: feed / (feed + step).
Counts (on the CPU, batch ``--count-batch``, 4 as in issue 21): dispatched operators and host syncs of one
``feed_data`` of ours (``basicsr_random_stream`` false and true) and of BasicSR 1.4.2's ``RealESRGANModel`` (run on
the CPU through ``bebygan_plugin.compat.realesrgan_on_cpu``), the same batch and seeds, over ``--count-seeds`` seeds.
"""
import argparse
import copy
import os
import random
import statistics

import numpy as np
import torch
import yaml

import bebygan_plugin  # noqa: F401  (compat patches + registration before basicsr)
from basicsr.models import build_model
from benchmarks import harness, train_step
from devtools.op_counts import counting

REPO = harness.REPO
PHOTOS = ('astronaut', 'coffee', 'rocket', 'immunohistochemistry', 'hubble_deep_field', 'chelsea')


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_photos(folder: str) -> str:
    """The photos as PNG files in ``folder`` and a ``meta_info.txt`` naming them; returns the meta_info path."""
    import cv2
    from skimage import data

    os.makedirs(folder, exist_ok=True)
    for name in PHOTOS:
        img = np.ascontiguousarray(getattr(data, name)()[..., :3][..., ::-1])
        cv2.imwrite(os.path.join(folder, f'{name}.png'), img)
    meta = os.path.join(folder, 'meta_info.txt')
    with open(meta, 'w', encoding='utf-8') as f:
        f.writelines(f'{name}.png\n' for name in PHOTOS)
    return meta


def recipe_opt(folder: str, meta: str, batch: int, gt_size: int, blocks: int, device: str) -> dict:
    with open(os.path.join(REPO, 'options', 'train_RealBebyGAN_x4.yml'), encoding='utf-8') as f:
        opt = yaml.safe_load(f)
    opt.update(num_gpu=1 if device == 'cuda' else 0, gt_size=gt_size, is_train=True, dist=False, rank=0,
               world_size=1, auto_resume=False)
    opt['datasets']['train'].update(dataroot_gt=folder, meta_info=meta, phase='train', scale=opt['scale'],
                                    batch_size_per_gpu=batch, gt_size=gt_size)
    opt['network_g']['num_block'] = blocks
    opt['path'] = {'pretrain_network_g': None, 'resume_state': None, 'models': 'models',
                   'training_states': 'training_states', 'experiments_root': '.', 'log': '.', 'visualization': '.'}
    opt['queue_size'] = batch * 15  # the recipe's 180 at batch 12
    opt.pop('val', None)
    return opt


def gt_batch(dataset, batch: int, seed: int) -> dict:
    seed_all(seed)
    items = [dataset[i % len(dataset)] for i in range(batch)]
    return {k: torch.stack([item[k] for item in items]) for k in ('gt', 'kernel1', 'kernel2', 'sinc_kernel')}


def realesrgan_opt(opt: dict) -> dict:
    """BasicSR's ``RealESRGANModel`` with the same degradation options (its option file's layout), tiny networks:
    only its ``feed_data`` is counted."""
    basic = copy.deepcopy(opt)
    basic.update(model_type='RealESRGANModel', l1_gt_usm=True, percep_gt_usm=True, gan_gt_usm=False)
    basic['network_g'].update(num_feat=8, num_block=1, num_grow_ch=4)
    basic['network_d'] = {'type': 'UNetDiscriminatorSN', 'num_in_ch': 3, 'num_feat': 8, 'skip_connection': True}
    basic['train'] = {k: v for k, v in basic['train'].items() if k in ('optim_g', 'optim_d', 'scheduler', 'total_iter',
                                                                          'warmup_iter', 'net_d_iters',
                                                                          'net_d_init_iters', 'ema_decay')}
    basic['train']['gan_opt'] = {'type': 'GANLoss', 'gan_type': 'vanilla', 'loss_weight': 0.1}
    return basic


def count_feed_data(opt: dict, dataset, batch: int, seeds: int) -> dict:
    """``label -> [(operators, syncs) per seed]`` of one ``feed_data`` after the pool is full."""
    count_opt = copy.deepcopy(opt)
    count_opt.update(num_gpu=0, queue_size=batch)
    count_opt['datasets']['train']['batch_size_per_gpu'] = batch
    count_opt['network_g'].update(num_feat=8, num_block=1, num_grow_ch=4)
    count_opt['network_d']['num_feat'] = 8
    count_opt['train'].pop('perceptual_opt')
    models = {'ours (basicsr_random_stream: false)': build_model(copy.deepcopy(count_opt))}
    exact = copy.deepcopy(count_opt)
    exact['basicsr_random_stream'] = True
    models['ours (basicsr_random_stream: true)'] = build_model(exact)
    models['BasicSR 1.4.2 RealESRGANModel'] = build_model(realesrgan_opt(count_opt))
    counts = {label: [] for label in models}
    for seed in range(seeds):
        data = gt_batch(dataset, batch, 1000 + seed)
        for label, model in models.items():
            seed_all(seed)
            model.feed_data(data)  # fills the pool (queue_size = batch): the counted call exchanges with it
            seed_all(seed)
            with counting() as counter:
                model.feed_data(data)
            counts[label].append((counter.total, counter.syncs))
    return counts


def time_steps(model, dataset, batch: int, reps: int, device, clock: str) -> dict:
    """Seconds of ``feed_data`` and of ``optimize_parameters``, ``reps`` rounds after one untimed round."""
    now = harness.clock_for(clock, device)
    samples = {'feed_data': [], 'optimize_parameters': []}
    for rep in range(reps + 1):
        data = gt_batch(dataset, batch, rep)
        for name, call, arg in (('feed_data', model.feed_data, data),
                                ('optimize_parameters', model.optimize_parameters, rep + 1)):
            harness.synchronize(device)
            start = now()
            call(arg)
            harness.synchronize(device)
            if rep:
                samples[name].append(now() - start)
    return samples


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch', type=int, default=12, help="the recipe's batch_size_per_gpu")
    parser.add_argument('--gt-size', type=int, default=256, help="the recipe's gt_size")
    parser.add_argument('--blocks', type=int, default=23, help='RRDBNet blocks (the recipe: 23)')
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--count-batch', type=int, default=4)
    parser.add_argument('--count-seeds', type=int, default=3)
    parser.add_argument('--no-counts', action='store_true')
    parser.add_argument('--no-timing', action='store_true')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--clock', choices=sorted(harness.CLOCKS), default='wall')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from basicsr.data.realesrgan_dataset import RealESRGANDataset

    with train_step.random_vgg_workdir() as workdir:
        folder = os.path.join(workdir, 'gt')
        meta = write_photos(folder)
        opt = recipe_opt(folder, meta, args.batch, args.gt_size, args.blocks, args.device)
        dataset = RealESRGANDataset(copy.deepcopy(opt['datasets']['train']))
        if not args.no_counts:
            counts = count_feed_data(opt, dataset, args.count_batch, args.count_seeds)
            print(f'feed_data of a batch of {args.count_batch} (400x400 GT crops of RealESRGANDataset), '
                  f'{args.count_seeds} seeds: operators / host syncs')
            for label, values in counts.items():
                print(f'  {label:40s} ' + '  '.join(f'{ops:4d} / {syncs:2d}' for ops, syncs in values))
        if not args.no_timing:
            torch.manual_seed(0)
            model = build_model(copy.deepcopy(opt))
            samples = time_steps(model, dataset, args.batch, args.reps, torch.device(args.device), args.clock)
            feed, step = (statistics.median(samples[k]) for k in ('feed_data', 'optimize_parameters'))
            spread = {k: f'{min(v):.3f}-{max(v):.3f}' for k, v in samples.items()}
            print(f'{args.device}, batch {args.batch}, gt_size {args.gt_size}, RRDBNet {args.blocks} blocks, '
                  f'{args.reps} reps, {args.clock} clock, {torch.get_num_threads()} threads')
            print(f'  feed_data (degradation + pool + USM): median {feed:.3f} s  (range {spread["feed_data"]})')
            print(f'  optimize_parameters (the step):       median {step:.3f} s  '
                  f'(range {spread["optimize_parameters"]})')
            print(f'  degradation share of the step: {feed / (feed + step):.1%}  (feed / step: {feed / step:.1%})')


if __name__ == '__main__':
    main()
