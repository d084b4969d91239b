"""A real distributed training run: ``python -m torch.distributed.run --nproc_per_node=N bebygan_plugin/train.py
-opt ... --launcher pytorch``, then an ``--auto_resume`` continuation, on Set5 crops from ``tests/data``.

    python -m benchmarks.distributed_run                              # CPU: gloo, 2 processes
    python -m benchmarks.distributed_run --gpu --nproc 1 --iters 200  # one GPU: NCCL (the backend BasicSR uses)

It prints the backend the run uses (``bebygan_plugin.compat.distributed_on_cpu.dist_backend`` of its options),
seconds per iteration after the first logged one, whether checkpoints were written and whether the resumed run
reached the new total. The network is the paper's discriminator with a small RRDB (``--blocks``) and 128x128 crops,
the recipe's losses without the perceptual term (no VGG19 weights offline). Not part of the test run
(``tests/reliability/test_distributed_ddp.py`` checks correctness on CPU).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from os import path as osp

from devtools import runs as support  # Set5 crops, free ports, the training script
from devtools.recipe import set5_recipe
from bebygan_plugin.compat.distributed_on_cpu import dist_backend


def launch(root: str, nproc: int, extra_args) -> tuple:
    cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', '--master_addr=127.0.0.1',
           f'--master_port={support.free_port()}', support.TRAIN_SCRIPT, '-opt', 'run.yml', '--launcher', 'pytorch',
           *extra_args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, time.perf_counter() - start


def seconds_per_iter(log_text: str) -> float:
    """Median ``time (data)`` of BasicSR's iteration lines after the first one (warm-up excluded)."""
    times = [float(t) for t in re.findall(r'time \(data\): ([0-9.]+) ', log_text)][1:]
    return sorted(times)[len(times) // 2] if times else float('nan')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--gpu', action='store_true', help='num_gpu = nproc (NCCL); default CPU (gloo)')
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--blocks', type=int, default=6, help='RRDB blocks of the generator')
    parser.add_argument('--gt-size', type=int, default=128)
    parser.add_argument('--batch', type=int, default=4, help='batch per process')
    parser.add_argument('--amp', choices=('bf16', 'fp16'), default=None, help='train.amp dtype (default: fp32)')
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix='bebygan-dist-')
    try:
        return run(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace, root: str) -> int:
    support.make_pairs(osp.join(root, 'train'), support.CROP_NAMES, gt_size=args.gt_size)
    opt = set5_recipe('run', osp.join(root, 'train'), batch=args.batch, total_iter=args.iters,
                      save_freq=args.iters // 2, gt_size=args.gt_size, flips=True)
    opt['num_gpu'] = args.nproc if args.gpu else 0
    opt['network_g'].update(num_feat=64, num_block=args.blocks, num_grow_ch=32)
    opt['network_d'] = {'type': 'MaskedVGGStyleDiscriminator', 'num_in_ch': 3, 'num_feat': 64,
                         'input_size': args.gt_size}
    opt['logger']['print_freq'] = max(1, args.iters // 20)
    if args.amp:
        opt['train']['amp'] = {'enabled': True, 'dtype': args.amp}
    support.write_options(osp.join(root, 'run.yml'), opt)

    proc, wall = launch(root, args.nproc, [])
    if proc.returncode:
        print(proc.stdout[:3000], '\n...\n', proc.stdout[-3000:])
        return 1
    logs = sorted(f for f in os.listdir(osp.join(root, 'experiments', 'run')) if f.endswith('.log'))
    log_text = open(osp.join(root, 'experiments', 'run', logs[-1]), encoding='utf-8').read() if logs else ''
    models = sorted(os.listdir(osp.join(root, 'experiments', 'run', 'models')))
    print(f'[dist] {args.nproc} process(es), {"GPU" if args.gpu else "CPU"}, {args.amp or "fp32"}, backend '
          f'{dist_backend(opt)}: exit {proc.returncode}, {wall:.1f} s wall, '
          f'{seconds_per_iter(log_text):.4f} s/iter (median after the first logged), checkpoints {models}')

    resumed, wall = launch(root, args.nproc, ['--auto_resume', '--force_yml', f'train:total_iter={args.iters + 10}'])
    if resumed.returncode:
        print(resumed.stdout[:3000], '\n...\n', resumed.stdout[-3000:])
    last = max((int(i.replace(',', '')) for i in re.findall(r'iter:\s*([0-9,]+)', resumed.stdout)), default=0)
    print(f'[dist] auto-resume to {args.iters + 10}: exit {resumed.returncode}, {wall:.1f} s wall, '
          f'last logged iteration {last}')
    return int(bool(resumed.returncode))


if __name__ == '__main__':
    sys.exit(main())
