"""Timing (alternating A/B, medians) and peak-memory probing (fresh subprocess per measurement)."""
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, Optional

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def synchronize(device) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


# 'wall': elapsed time. 'cpu': CPU time of this process, all its threads (``time.process_time``): on a CPU shared
# with other jobs it counts only this process's work, so it stays put when they come and go (use it with
# ``--threads 1``: with more threads, time spent spinning at thread-pool barriers is counted too). CUDA: wall only.
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def clock_for(name: str, device) -> Callable[[], float]:
    if name == 'cpu' and str(device).startswith('cuda'):
        raise ValueError('the cpu clock does not see GPU work: use --clock wall with --device cuda')
    return CLOCKS[name]


def _timed(fn: Callable, inp, inner: int, device, clock: Callable[[], float] = time.perf_counter) -> float:
    synchronize(device)
    start = clock()
    for _ in range(inner):
        fn(inp)
    synchronize(device)
    return (clock() - start) / inner


def time_ab(project: Callable, reference: Optional[Callable], inp, device, reps: int = 5, warmup: int = 1,
            min_sample_s: float = 0.2, max_inner: int = 50, clock: str = 'wall') -> dict:
    """Median per-call seconds of ``project`` and ``reference`` on the same inputs, measured side by side.

    After ``warmup`` calls each, every sample repeats a side ``inner`` times (chosen so one sample lasts about
    ``min_sample_s``: short operations are not drowned by timer and scheduler jitter), and the two sides alternate
    A B B A A B ... so that slow drifts of the machine hit both equally.
    """
    clock_fn = clock_for(clock, device)
    sides = {'project': project}
    if reference is not None:
        sides['reference'] = reference
    inner = {}
    for name, fn in sides.items():
        first = None
        for _ in range(max(1, warmup)):
            t = _timed(fn, inp, 1, device, clock_fn)
            first = t if first is None else min(first, t)
        inner[name] = max(1, min(max_inner, math.ceil(min_sample_s / max(first, 1e-6))))
    samples = {name: [] for name in sides}
    order = list(sides)
    for rep in range(reps):
        for name in (order if rep % 2 == 0 else order[::-1]):
            samples[name].append(_timed(sides[name], inp, inner[name], device, clock_fn))
    return {name: {'median_s': statistics.median(v), 'min_s': min(v), 'max_s': max(v), 'samples_s': v,
                   'calls_per_sample': inner[name]} for name, v in samples.items()}


# ----------------------------------------------------------------------------------------------------------------
# peak memory (this process's: devtools.process_memory)

def probe_memory(case_name: str, side: str, device: str, workdir: str, train_config: str,
                 timeout: float = 900) -> dict:
    """Peak memory of one call of ``case.<side>`` above the baseline, measured in a fresh Python process.

    CPU: RSS high-water mark (VmHWM, reset after inputs and a small warm-up call are in place) minus the RSS at
    that point (:func:`run_fresh_probe`). CUDA: ``max_memory_allocated`` delta.
    """
    cmd = [sys.executable, '-m', 'benchmarks.memprobe', case_name, side, '--device', device,
           '--workdir', workdir, '--train-config', train_config]
    return run_fresh_probe(cmd, 'MEMPROBE ', timeout)


def run_fresh_probe(cmd: list, marker: str, timeout: float) -> dict:
    """Run ``cmd`` (a probe module, ``python -m benchmarks.<probe>``) in a fresh process and return the JSON it
    printed after ``marker``, or ``{'error': ...}``. The repository root goes on ``PYTHONPATH`` (the benchmark may
    have changed directory). glibc's adaptive mmap threshold is pinned (``MALLOC_MMAP_THRESHOLD_``) so freed large
    blocks go back to the kernel and a peak RSS is what the measured operation itself needs."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='131072', MALLOC_TRIM_THRESHOLD_='131072',
               PYTHONWARNINGS='ignore', PYTHONPATH=os.pathsep.join(filter(None, [REPO,
                                                                                 os.environ.get('PYTHONPATH')])))
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'error': f'timeout after {timeout:.0f} s'}
    for line in reversed(out.stdout.splitlines()):
        if line.startswith(marker):
            return json.loads(line[len(marker):])
    tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
    return {'error': f'probe failed (rc={out.returncode}): ' + ' | '.join(tail)}


# ----------------------------------------------------------------------------------------------------------------
# machine

def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def _mem_total_gb() -> Optional[float]:
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemTotal:'):
                    return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        return None
    return None


def machine_info(device: str) -> dict:
    import basicsr

    info = {
        'cpu': _cpu_model(), 'cpu_count': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
        'mem_total_gb': _mem_total_gb(), 'python': platform.python_version(), 'torch': torch.__version__,
        'basicsr': getattr(basicsr, '__version__', '?'), 'platform': platform.platform(), 'device': device,
        'loadavg_start': os.getloadavg() if hasattr(os, 'getloadavg') else None,
    }
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(0)
    return info
