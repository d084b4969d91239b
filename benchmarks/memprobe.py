"""Subprocess entry point of :func:`harness.probe_memory`: one case, one side, one measured call.

Prints ``MEMPROBE {json}`` with ``peak_bytes`` (above the baseline) and how it was measured.
"""
import argparse
import json
import os

import torch

from devtools.process_memory import read_status_kb, reset_peak_rss

from . import cases, harness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('case')
    parser.add_argument('side', choices=['project', 'reference'])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--workdir', required=True)
    parser.add_argument('--train-config', default='default')
    args = parser.parse_args()
    threads = os.environ.get('BENCH_THREADS')
    if threads:
        torch.set_num_threads(int(threads))

    case = cases.case_by_name(args.case, args.device, args.workdir, args.train_config)
    fn = getattr(case, args.side)
    device = torch.device(args.device)

    # Load code paths and thread pools with a small call, so the baseline already holds them (a training step case
    # builds its model there and steps it: the optimiser state exists and the measured step is a steady-state one).
    small = case.inputs(device, warmup=True)
    fn(small)
    del small
    inp = case.inputs(device)
    harness.synchronize(device)

    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn(inp)
        torch.cuda.synchronize()
        result = {'peak_bytes': torch.cuda.max_memory_allocated() - base, 'method': 'cuda max_memory_allocated'}
    else:
        reset = reset_peak_rss()
        base_kb = read_status_kb('VmRSS')
        if not reset:
            base_kb = read_status_kb('VmHWM')
        fn(inp)
        peak_kb = read_status_kb('VmHWM')
        result = {'peak_bytes': max(0, peak_kb - base_kb) * 1024,
                  'method': 'RSS high-water mark above baseline' + ('' if reset else ' (HWM not resettable)')}
    print('MEMPROBE ' + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
