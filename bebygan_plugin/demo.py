"""Offline demo: the two-stage Beby-GAN recipe at CPU size on real photos shipped with scikit-image.

    bebygan-demo [--workdir bebygan_demo] [--psnr-iters 1500] [--gan-iters 300]

1. Writes a small paired x4 dataset from ``skimage.data`` photos: the HR images (cropped to a multiple of 4) and
   their LR made with the project's MATLAB-style bicubic operator (the degradation of the paper's benchmarks).
2. Stage 1: a small RRDB trained with L1 (the "PSNR-trained RRDB" the paper starts from); 1500 iterations
   are enough for it to beat bicubic on the held-out photo.
3. Stage 2: Beby-GAN from that initialisation: best-buddy loss, back-projection loss and the region-aware RaGAN
   with a masked U-Net discriminator, warm-up + cosine schedule, EMA.
4. Evaluates bicubic, stage 1 and stage 2 on a held-out photo with ``bebygan-eval``'s pipeline (every metric of
   the paper's Table 2 that can run on this machine, plus ``flat``) and writes ``<workdir>/evaluation/``: report.md,
   index.html, results.csv, the comparison figure (figures/) and the super-resolved images (sr/).

The perceptual loss (Eq. 6) is OFF here: it needs ImageNet-trained VGG19 weights, which cannot be downloaded
offline, and a randomly initialised VGG would not be a perceptual loss. See docs/weights.md
to turn it on. Both stages run through BasicSR's own training pipeline (``bebygan-train --quiet``: a progress line
with it/s and ETA about every 10 s; the options and networks go to the log file), so the logs, checkpoints and
validation images land in ``<workdir>/experiments/`` as in any BasicSR run.
"""
import argparse
import os
import subprocess
import sys
import time
from os import path as osp
from typing import TYPE_CHECKING, Dict, List, Sequence, Tuple

import numpy as np
import yaml

if TYPE_CHECKING:
    from bebygan_plugin.evaluation.report import Evaluation

TRAIN_PHOTOS = ('astronaut', 'coffee', 'rocket', 'immunohistochemistry', 'hubble_deep_field')
VAL_PHOTOS = ('chelsea',)
SCALE = 4
TINY_RRDB = {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 32, 'num_block': 2, 'num_grow_ch': 16}
METHOD_NAMES = {'demo_RRDB_PSNR_x4': 'stage1_L1', 'demo_BebyGAN_x4': 'stage2_BebyGAN'}  # report columns


def skimage_photo(name: str, max_side: int = 512) -> np.ndarray:
    """An RGB uint8 photo from ``skimage.data``, centre-cropped to at most ``max_side`` and to a multiple of 4."""
    from skimage import data

    img = getattr(data, name)()[..., :3]
    h, w = img.shape[:2]
    ch, cw = min(h, max_side) // SCALE * SCALE, min(w, max_side) // SCALE * SCALE
    top, left = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(img[top:top + ch, left:left + cw])


def write_pairs(names, hr_dir: str, lr_dir: str) -> None:
    """HR PNGs and their bicubic x4 LR (same file names) for BasicSR's PairedImageDataset."""
    import torch

    from bebygan_plugin.files.images import write_image
    from bebygan_plugin.ops.imresize import imresize_bicubic

    os.makedirs(hr_dir, exist_ok=True)
    os.makedirs(lr_dir, exist_ok=True)
    for name in names:
        hr = skimage_photo(name)
        hr_t = torch.from_numpy(hr).permute(2, 0, 1).float().div(255).unsqueeze(0)
        lr = imresize_bicubic(hr_t, 1 / SCALE)[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
        write_image(osp.join(hr_dir, f'{name}.png'), hr, order='rgb')
        write_image(osp.join(lr_dir, f'{name}.png'), lr, order='rgb')


def _paired_set(name: str, root: str, phase_opts: Dict) -> Dict:
    return {'name': name, 'type': 'PairedImageDataset', 'dataroot_gt': f'{root}/HR', 'dataroot_lq': f'{root}/LR_x4',
            'io_backend': {'type': 'disk'}, **phase_opts}


def stage_options(name: str, iters: int, model_type: str, train_opts: Dict, extra: Dict, ema_decay: float) -> Dict:
    """A complete BasicSR option dict for one demo stage (CPU, tiny RRDB, 96x96 HR crops)."""
    train_set = _paired_set('skimage_train', 'datasets/skimage_train', {
        'gt_size': 96, 'use_hflip': True, 'use_rot': True, 'num_worker_per_gpu': 0, 'batch_size_per_gpu': 4,
        'dataset_enlarge_ratio': 50, 'prefetch_mode': None})
    val_set = _paired_set('skimage_val', 'datasets/skimage_val', {})
    metrics = {m: {'type': f'calculate_{m}', 'crop_border': SCALE, 'test_y_channel': True} for m in ('psnr', 'ssim')}
    return {
        'name': name, 'model_type': model_type, 'scale': SCALE, 'num_gpu': 0, 'manual_seed': 0,
        'datasets': {'train': train_set, 'val': val_set},
        'network_g': dict(TINY_RRDB), **extra,
        'train': {'total_iter': iters, 'warmup_iter': -1, 'ema_decay': ema_decay, **train_opts},
        'val': {'val_freq': iters + 1, 'save_img': True, 'metrics': metrics},  # once: BasicSR validates at the end
        # a progress record every iteration, so that the console's line (--quiet: at most one per 10 s) comes every
        # ~10 s at any speed; the log file gets them all
        'logger': {'print_freq': 1, 'save_checkpoint_freq': iters, 'use_tb_logger': False},
    }


def psnr_stage(iters: int) -> Dict:
    adam = {'type': 'Adam', 'lr': 5e-4, 'weight_decay': 0, 'betas': [0.9, 0.99]}
    train = {'optim_g': adam, 'scheduler': {'type': 'CosineAnnealingRestartLR', 'periods': [iters],
                                            'restart_weights': [1], 'eta_min': 1e-5},
             'pixel_opt': {'type': 'L1Loss', 'loss_weight': 1.0}}
    # No EMA: over a few hundred iterations from scratch an average would mostly remember the random init.
    return stage_options('demo_RRDB_PSNR_x4', iters, 'SRModel', train, {'path': {'resume_state': None}}, 0)


def bebygan_stage(iters: int, psnr_name: str) -> Dict:
    adam = {'type': 'Adam', 'lr': 1e-4, 'weight_decay': 0, 'betas': [0.9, 0.999]}
    train = {
        'optim_g': dict(adam), 'optim_d': dict(adam),
        'scheduler': {'type': 'WarmupCosineRestartLR', 'periods': [iters], 'warmup_iter': iters // 10,
                      'eta_min': 1e-6},
        'pixel_opt': {'type': 'BestBuddyLoss', 'loss_weight': 0.1, 'alpha': 1.0, 'beta': 1.0},
        'bp_opt': {'type': 'BackProjectionLoss', 'loss_weight': 1.0, 'scale': SCALE},
        # perceptual_opt left out on purpose: ImageNet VGG19 weights are not available offline (see module doc)
        'gan_opt': {'type': 'RelativisticAverageGANLoss', 'loss_weight': 0.005},
        'mask_opt': {'source': 'gt', 'kernel_size': 11, 'threshold': 0.025},
    }
    extra = {
        'network_d': {'type': 'MaskedUNetDiscriminator', 'num_in_ch': 3, 'num_feat': 16, 'mask_logits': True},
        'path': {'pretrain_network_g': f'experiments/{psnr_name}/models/net_g_latest.pth', 'param_key_g': 'params_ema',
                 'strict_load_g': True, 'resume_state': None},
    }
    return stage_options('demo_BebyGAN_x4', iters, 'BebyGANModel', train, extra, 0.99)


def run_stage(workdir: str, opt: Dict) -> None:
    """Train one stage with ``python -m bebygan_plugin.train --quiet`` in ``workdir``."""
    opt_path = osp.join(workdir, 'options', f"{opt['name']}.yml")
    os.makedirs(osp.dirname(opt_path), exist_ok=True)
    with open(opt_path, 'w') as f:
        yaml.safe_dump(opt, f, sort_keys=False)
    print(f"\n=== {opt['name']}: {opt['train']['total_iter']} iterations ({opt['model_type']}) ===", flush=True)
    subprocess.run([sys.executable, '-m', 'bebygan_plugin.train', '-opt', osp.relpath(opt_path, workdir), '--quiet'],
                   cwd=workdir, check=True)


def evaluate(workdir: str, stages: Sequence[Dict]) -> Tuple['Evaluation', Dict[str, str]]:
    """Bicubic and each stage's generator (EMA weights when present) on the held-out photos, through the evaluation
    pipeline; returns the evaluation and the paths of its report files."""
    from bebygan_plugin.evaluation import DatasetSpec, EvalConfig, run_evaluation

    val = osp.join(workdir, 'datasets', 'skimage_val')
    models = [(METHOD_NAMES[opt['name']], osp.join(workdir, 'experiments', opt['name'], 'models', 'net_g_latest.pth'))
              for opt in stages]
    config = EvalConfig(out_dir=osp.join(workdir, 'evaluation'), models=models, bicubic=True, device='cpu',
                        datasets=[DatasetSpec('skimage_val', osp.join(val, 'HR'), osp.join(val, 'LR_x4'))])
    return run_evaluation(config)


def findings(evaluation: 'Evaluation') -> List[str]:
    """What the numbers say, and nothing else: per metric the values and the best method, then stage 2 - stage 1."""
    from bebygan_plugin.evaluation.scoring import METRICS
    from bebygan_plugin.evaluation.report import TABLE_ORDER

    lines = []
    first, second = METHOD_NAMES.values()
    for dataset in evaluation.datasets:
        count = evaluation.image_count(dataset)
        lines.append(f'On {dataset} ({count} held-out photo{"s" if count > 1 else ""}), x{evaluation.scale}:')
        changes = []
        for name in (m for m in TABLE_ORDER if m in evaluation.metrics):
            metric = METRICS[name]
            means = {method: evaluation.mean(dataset, method, name)[0] for method in evaluation.methods}
            known = {method: value for method, value in means.items() if value is not None}
            if not known:
                continue
            pick = max if metric.higher_is_better else min
            best = pick(known, key=known.get)
            values = ', '.join(f'{method} {metric.format(value)}' for method, value in known.items())
            lines.append(f'  {metric.label} {metric.arrow}: {values}; best: {best}')
            if means.get(first) is not None and means.get(second) is not None:
                delta = means[second] - means[first]
                better = delta > 0 if metric.higher_is_better else delta < 0
                verdict = 'better' if better else ('the same' if delta == 0 else 'worse')
                changes.append(f'{metric.label} {delta:+.{metric.decimals}f} ({verdict})')
        if changes:
            lines.append(f'  {second} against {first}: ' + ', '.join(changes))
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--workdir', default='bebygan_demo', help='folder for data, experiments and results')
    parser.add_argument('--psnr-iters', type=int, default=1500, help='stage 1 (L1 RRDB) iterations')
    parser.add_argument('--gan-iters', type=int, default=300, help='stage 2 (Beby-GAN) iterations')
    args = parser.parse_args(argv)
    if args.psnr_iters < 1 or args.gan_iters < 10:
        parser.error('--psnr-iters must be >= 1 and --gan-iters >= 10')
    from bebygan_plugin.evaluation.report import markdown_table

    start = time.time()
    workdir = osp.abspath(args.workdir)
    print(f'Writing the skimage.data x4 pairs to {workdir}/datasets', flush=True)
    write_pairs(TRAIN_PHOTOS, osp.join(workdir, 'datasets/skimage_train/HR'),
                osp.join(workdir, 'datasets/skimage_train/LR_x4'))
    write_pairs(VAL_PHOTOS, osp.join(workdir, 'datasets/skimage_val/HR'),
                osp.join(workdir, 'datasets/skimage_val/LR_x4'))
    stage1 = psnr_stage(args.psnr_iters)
    stage2 = bebygan_stage(args.gan_iters, stage1['name'])
    run_stage(workdir, stage1)
    run_stage(workdir, stage2)
    print('\n=== Evaluation: bicubic, stage 1, stage 2 on the held-out photo ===', flush=True)
    evaluation, paths = evaluate(workdir, [stage1, stage2])
    print('\n' + '\n'.join(markdown_table(evaluation)) + '\n')
    print('\n'.join(findings(evaluation)))
    print(f'\nWhat was trained: a {TINY_RRDB["num_block"]}-block, {TINY_RRDB["num_feat"]}-channel RRDB on '
          f'{len(TRAIN_PHOTOS)} photos, {args.psnr_iters} L1 iterations then {args.gan_iters} Beby-GAN iterations '
          'on the CPU, without the perceptual loss (its ImageNet VGG19 weights are not available offline): the '
          "recipe running end to end, not the paper's model.")
    report_dir = osp.dirname(paths['report.md'])
    print(f'\nReport: {paths["report.md"]}\nPage: {paths["index.html"]}\nFigures: '
          + ', '.join(osp.join(report_dir, f['path']) for f in evaluation.figures)
          + f'\nSR images: {report_dir}/sr/\nExperiments (logs, checkpoints): {workdir}/experiments')
    print(f'\nDemo finished in {time.time() - start:.0f} s.')


if __name__ == '__main__':
    main()
