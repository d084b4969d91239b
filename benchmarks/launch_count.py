"""What one training step asks of the host: dispatched aten operators (each one a kernel launch on a GPU) and host
syncs (``aten._local_scalar_dense``: ``.item()``, ``bool(tensor)``, ``float(tensor)``; and ``Tensor.tolist``, which
reads the memory without an operator), counted on the CPU.

    python -m benchmarks.launch_count                     # paper setting (B=8, 192x192, 23 blocks), GPU search budget
    python -m benchmarks.launch_count --search-budget cpu # the CPU's cache-sized best-buddy search blocks
    python -m benchmarks.launch_count --config default --top 20
    python -m benchmarks.launch_count --train '{"amp": {"enabled": true, "dtype": "bf16"}}'

One step of each model after a warm-up step, on the same real-photo batch (``benchmarks.train_step``): BasicSR's
stock ``ESRGANModel`` and ``BebyGANModel``. A ``TorchDispatchMode`` tallies ``func.overloadpacket.__name__`` of
every operator that reaches the dispatcher; it is switched off inside ``optimizer.step`` (global optimizer step
pre/post hooks), so Adam's own operators, the same on both sides, are left out. The VGG19 of the perceptual loss is
*randomly initialised* (no pretrained weights offline): the operator count does not depend on the weights.

``--search-budget gpu`` (the default) counts the best-buddy search as a GPU runs it: on CUDA the chunk budget comes
from free device memory (``ops.best_buddy.search_plan``), one chunk and one argmin at the paper's setting; here the
CPU's cache-sized blocks and two-level argmin are lifted to that plan. ``cpu``: the search as the CPU runs it.
A printing step (``get_current_log``, BasicSR's ``print_freq``) is counted separately: that is where the logged
values become floats.
"""
import argparse
import contextlib
import json
from collections import Counter
from typing import Dict, Iterator

import torch

from benchmarks import train_step
from bebygan_plugin.ops import best_buddy
from devtools.op_counts import SYNC_OPS, OpCounter, counting

GPU_FREE_BYTES = 60 * 2 ** 30  # the free memory of an 80 GB card during a paper-setting step, for --search-budget gpu

@contextlib.contextmanager
def search_budget(kind: str) -> Iterator[None]:
    """``gpu``: the best-buddy search planned as on a CUDA device with :data:`GPU_FREE_BYTES` free (one chunk and one
    argmin at the paper's setting) instead of the CPU's cache-sized blocks and two-level argmin."""
    if kind == 'cpu':
        yield
        return
    original = best_buddy.search_plan

    def gpu_plan(device, *args, **kwargs):
        return original(torch.device('cuda'), *args, **dict(kwargs, free_bytes=GPU_FREE_BYTES))

    best_buddy.search_plan = gpu_plan
    try:
        yield
    finally:
        best_buddy.search_plan = original


def count_step(model, current_iter: int, print_log: bool) -> OpCounter:
    """The operators of ``optimize_parameters(current_iter)`` (and of ``get_current_log()`` when ``print_log``)."""
    with counting() as counter:
        model.optimize_parameters(current_iter)
        if print_log:
            model.get_current_log()
    return counter


def measure(kinds, cfg: dict, budget: str, overrides: Dict[str, dict] = None) -> Dict[str, Dict[str, Counter]]:
    """For each model kind: the counts of a non-printing and of a printing step, both after a warm-up step."""
    results = {}
    with search_budget(budget):
        for kind in kinds:
            model = train_step.build(kind, cfg, (overrides or {}).get(kind))
            model.optimize_parameters(1)  # warm-up: lazy state (optimizer moments, caches) is in place after it
            model.get_current_log()
            quiet = count_step(model, 2, print_log=False)
            printing = count_step(model, 3, print_log=True)
            results[kind] = {'step': quiet.counts, 'printing step': printing.counts}
            del model
    return results


def format_table(results: Dict[str, Dict[str, Counter]], top: int) -> str:
    esrgan, bebygan = results['esrgan']['step'], results['bebygan']['step']
    lines = ['| | stock ESRGANModel | BebyGANModel | difference |', '| --- | --- | --- | --- |']
    total_e, total_b = sum(esrgan.values()), sum(bebygan.values())
    lines.append(f'| dispatched ops per step | {total_e} | {total_b} | {total_b - total_e:+d} |')
    for label in ('step', 'printing step'):
        se = sum(results['esrgan'][label][n] for n in SYNC_OPS)
        sb = sum(results['bebygan'][label][n] for n in SYNC_OPS)
        lines.append(f'| host syncs ({label}) | {se} | {sb} | {sb - se:+d} |')
    diff = Counter({name: bebygan[name] - esrgan[name] for name in set(esrgan) | set(bebygan)})
    largest = sorted(diff.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:top]
    lines.append('')
    lines.append('largest differences (BebyGAN - ESRGAN): ' + ', '.join(f'{n} {d:+d}' for n, d in largest if d))
    return '\n'.join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', choices=sorted(train_step.TRAIN_CONFIGS), default='paper')
    parser.add_argument('--search-budget', choices=('gpu', 'cpu'), default='gpu')
    parser.add_argument('--top', type=int, default=12, help='operators listed by their difference')
    parser.add_argument('--train', type=json.loads, default=None, metavar='JSON',
                        help='train overrides of the BebyGANModel side, e.g. \'{"amp": {"enabled": true}}\'')
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cfg = train_step.TRAIN_CONFIGS[args.config]
    with train_step.random_vgg_workdir():
        results = measure(('esrgan', 'bebygan'), cfg, args.search_budget, {'bebygan': args.train})
    print(f'config {args.config} {cfg}, search budget: {args.search_budget}, BebyGANModel train overrides: '
          f'{args.train}, torch {torch.__version__}')
    print(format_table(results, args.top))


if __name__ == '__main__':
    main()
