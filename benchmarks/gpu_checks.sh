#!/usr/bin/env bash
# The GPU checks in one time-boxed run on a CUDA machine (results on stdout and in benchmarks/results/):
#     bash benchmarks/gpu_checks.sh [PYTHON]                  # everything below (about 20 minutes at most)
#     CHECKS=issue16 bash benchmarks/gpu_checks.sh [PYTHON]   # issue 16 only (at most 9.5 minutes)
#     CHECKS=issue21 bash benchmarks/gpu_checks.sh [PYTHON]   # issue 21 only (at most 5 minutes)
# issue 21 (real-world training): the degradation's share of a RealBebyGANModel step at the recipe's batch (12) and
#   crop (256), RRDBNet 23 blocks (benchmarks/degradation.py; the operator / sync counts are CPU figures);
# issue 16 (a step that is not launch-bound):
#   - the paper-setting step (B=8, 192x192, 23 blocks) side by side: stock ESRGANModel fp32, BebyGANModel fp32,
#     BebyGANModel bf16 (no compile), and the best options (train.compile {mode: reduce-overhead} + bf16 +
#     channels_last), with the operator / sync counts (targets: fp32 <= 1.00x ESRGAN, best <= 0.5x, bf16 <= 0.8x fp32);
#   - inference, the paper's timing case (320x180 -> 1280x720, 23 blocks) in fp32 / bf16 / fp16, eager and
#     compiled (CUDA graphs; target <= 10 ms);
# issues 8 and 11:
#   - best-buddy loss at 196x196 (paper: 5.9 ms on an RTX 2080 Ti), training step BebyGANModel vs ESRGANModel, and
#     fp32 vs bf16 AMP (and channels_last), at issue 11's setting (B=4, 6 blocks) and the paper's (B=8, 23 blocks);
#   - inference: the 4K tiled case against a Real-ESRGAN-style tiler and the whole image (6 and 23 blocks);
#   - a one-GPU NCCL training run through torch.distributed.run, with an auto-resume.
set -u
PY=${1:-python}
CHECKS=${CHECKS:-all}
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
if [ "$CHECKS" = issue21 ]; then
    timeout 300 $PY -m benchmarks.degradation --device cuda --reps 10 --no-counts
    exit 0
fi
timeout 330 $PY -m benchmarks.step_speed --device cuda --config paper --reps 7 --warmup 5 \
    --variant bf16='{"amp": {"enabled": true, "dtype": "bf16"}}'
timeout 240 $PY -m benchmarks.inference --device cuda --only paper --paper-reps 5 --compile
[ "$CHECKS" = issue16 ] && exit 0
timeout 150 $PY -m benchmarks.run --device cuda --no-memory --step-reps 7 \
    --only best_buddy_paper_anchor_b1_196 train_step train_step_amp_bf16 train_step_channels_last
timeout 150 $PY -m benchmarks.run --device cuda --no-memory --step-reps 5 --train-config paper \
    --only train_step train_step_amp_bf16
timeout 170 $PY -m benchmarks.inference --device cuda --only 4k --blocks 6 23
timeout 90 $PY -m benchmarks.distributed_run --gpu --nproc 1 --iters 200
timeout 300 $PY -m benchmarks.degradation --device cuda --reps 10 --no-counts
