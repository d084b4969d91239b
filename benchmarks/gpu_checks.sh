#!/usr/bin/env bash
# The GPU checks of issues 8 and 11 in one run on a CUDA machine (each step time-boxed; the results go to stdout
# and benchmarks/results/):
#   - best-buddy loss at 196x196 (paper: 5.9 ms on an RTX 2080 Ti), training step BebyGANModel vs ESRGANModel, and
#     fp32 vs bf16 AMP (and channels_last), at issue 11's setting (B=4, 6 blocks) and the paper's (B=8, 23 blocks);
#   - inference: the paper's timing case (1280x720 output, 23 blocks; paper: 193.6 ms) in fp32 / bf16 / fp16, and
#     the 4K tiled case against a Real-ESRGAN-style tiler and the whole image (6 and 23 blocks);
#   - a one-GPU NCCL training run through torch.distributed.run, with an auto-resume.
#     bash benchmarks/gpu_checks.sh [PYTHON]
set -u
PY=${1:-python}
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
timeout 150 $PY -m benchmarks.run --device cuda --no-memory --step-reps 7 \
    --only best_buddy_paper_anchor_b1_196 train_step train_step_amp_bf16 train_step_channels_last
timeout 150 $PY -m benchmarks.run --device cuda --no-memory --step-reps 5 --train-config paper \
    --only train_step train_step_amp_bf16
timeout 170 $PY -m benchmarks.inference --device cuda --only paper 4k --blocks 6 23 --paper-reps 5
timeout 90 $PY -m benchmarks.distributed_run --gpu --nproc 1 --iters 200
