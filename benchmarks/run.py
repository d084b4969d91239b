"""Beby-GAN performance suite: project vs reference formulations, time and peak memory.

    python -m benchmarks.run                      # CPU (or --device cuda), prints the table, writes JSON
    python -m benchmarks.run --only texture_mask_b8_192 bp_downsample_b8_192 --reps 9
    python -m benchmarks.run --only train_step --step-reps 9       # the training step ratio and its profile
    python -m benchmarks.run --only train_step --train-config paper --step-reps 3  # batch 8, 23 blocks (slow)

Results go to ``benchmarks/results/bench-<device>-<time>.json`` and ``benchmarks/results/latest-<device>.json``
(git-ignored). Not part of the test run. See README.md, "Performance", for how to read the table.
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time

import torch

from . import cases, harness, train_step

def fmt_time(seconds) -> str:
    if seconds is None:
        return '-'
    if seconds < 1e-3:
        return f'{seconds * 1e6:.0f} us'
    if seconds < 1:
        return f'{seconds * 1e3:.1f} ms'
    return f'{seconds:.2f} s'


def fmt_bytes(n) -> str:
    if n is None:
        return '-'
    if n >= 2 ** 30:
        return f'{n / 2 ** 30:.2f} GB'
    return f'{n / 2 ** 20:.0f} MB'


def run_case(case, device: str, args, workdir: str, results_so_far: list) -> dict:
    dev = torch.device(device)
    row = {'name': case.name, 'title': case.title, 'note': case.note}
    print(f'[bench] {case.name}: {case.title}', flush=True)
    inp = case.inputs(dev)
    is_step = isinstance(case, cases.TrainStepCase)
    reps = args.step_reps if is_step else args.reps
    reference = case.reference if case.has_reference else None
    t0 = time.time()
    timing = harness.time_ab(case.project, reference, inp, dev, reps=reps, warmup=1,
                             min_sample_s=0 if is_step else args.min_sample_s, clock=args.clock)
    row['time'] = timing
    row['check'] = case.check(inp)
    del inp
    if is_step and case.variant is None and args.profile_steps:
        print(f'[bench] {case.name}: profiling {args.profile_steps} steps of each model', flush=True)
        row['profile_s'] = case.profile(dev, args.profile_steps, args.clock)
    if args.memory and case.measure_memory:
        row['memory'] = {side: harness.probe_memory(case.name, side, device, workdir, args.train_config)
                         for side in (['project', 'reference'] if case.has_reference else ['project'])}
    row['elapsed_s'] = round(time.time() - t0, 1)

    p = timing['project']['median_s']
    r = timing.get('reference', {}).get('median_s')
    mem = row.get('memory', {})
    pm = mem.get('project', {}).get('peak_bytes')
    rm = mem.get('reference', {}).get('peak_bytes')
    verdicts = []
    if is_step:
        row['time_ratio'] = p / r
        pairs = [a / b for a, b in zip(timing['project']['samples_s'], timing['reference']['samples_s'])]
        row['pair_ratios'] = pairs
        spread = f'{p / r:.3f}x (pairs {min(pairs):.3f}-{max(pairs):.3f}x'
        if case.max_ratio is not None:
            verdicts.append(('step ratio', p / r <= case.max_ratio, f'{spread}; target <= {case.max_ratio}x)'))
        else:
            verdicts.append(('step ratio', None, spread + ')'))
    elif r is not None:
        row['speedup'] = r / p
        if case.time_target:
            verdicts.append(('speed-up', r / p >= case.time_target, f'{r / p:.1f}x (target >= {case.time_target}x)'))
    if pm and rm:
        row['mem_ratio'] = rm / pm
        if case.mem_target:
            verdicts.append(('memory', rm / pm >= case.mem_target, f'{rm / pm:.1f}x (target >= {case.mem_target}x)'))
    if case.mem_limit_bytes and pm is not None:
        verdicts.append(('memory', pm < case.mem_limit_bytes,
                         f'{fmt_bytes(pm)} (target < {fmt_bytes(case.mem_limit_bytes)})'))
    if isinstance(case, cases.BestBuddyLargeCase):
        base = next((x for x in results_so_far if x['name'] == 'best_buddy_b8_192'), None)
        base_rm = base and base.get('memory', {}).get('reference', {}).get('peak_bytes')
        if base_rm:
            per_elem = base_rm / cases.BestBuddyCase(8, 192).score_elements()
            row['reference_peak_extrapolated_bytes'] = per_elem * case.score_elements()
    chk = row['check']
    if 'max_abs_diff' in chk:
        verdicts.append(('exactness', chk['max_abs_diff'] <= chk['limit'], f'max |diff| {chk["max_abs_diff"]:.2e}'))
    if 'buddies_differ' in chk:
        ok = chk['buddies_differ'] == chk['of_which_ties'] and chk['grad_max_abs_diff'] <= 1e-6
        verdicts.append(('exactness', ok, f'{chk["buddies_differ"]} buddies differ ({chk["of_which_ties"]} ties)'))
    row['verdicts'] = [{'what': w, 'met': ok, 'detail': d} for w, ok, d in verdicts]
    judged = [ok for _, ok, _ in verdicts if ok is not None]
    row['met'] = all(judged) if judged else None
    return row


def profile_table(profile: dict) -> str:
    """The per-part step profile, ESRGANModel and BebyGANModel side by side (median ms per step)."""
    esrgan, bebygan = profile['esrgan'], profile['bebygan']
    total = bebygan['step total']
    lines = ['| part of the step | ESRGANModel | BebyGANModel | difference | share of the Beby-GAN step |',
             '| --- | --- | --- | --- | --- |']
    for label in bebygan:
        e, b = esrgan[label] * 1e3, bebygan[label] * 1e3
        lines.append(f'| {label} | {e:.0f} ms | {b:.0f} ms | {b - e:+.0f} ms | {100 * b / (total * 1e3):.1f}% |')
    return '\n'.join(lines)


def print_table(rows: list, info: dict) -> str:
    header = ['case', 'project', 'reference', 'ratio', 'proj peak', 'ref peak', 'mem ratio', 'status']
    lines = []
    table = []
    for row in rows:
        t = row['time']
        p = t['project']['median_s']
        r = t.get('reference', {}).get('median_s')
        mem = row.get('memory', {})
        pm = mem.get('project', {}).get('peak_bytes')
        rm = mem.get('reference', {}).get('peak_bytes')
        if 'time_ratio' in row:
            ratio = f'{row["time_ratio"]:.3f}x time'
        elif 'speedup' in row:
            ratio = f'{row["speedup"]:.1f}x faster'
        else:
            ratio = '-'
        ref_time = fmt_time(r) if r is not None else 'not run'
        ref_peak = fmt_bytes(rm) if rm is not None else '-'
        if 'reference_peak_extrapolated_bytes' in row:
            ref_peak = f'~{fmt_bytes(row["reference_peak_extrapolated_bytes"])} (extrap.)'
        mem_ratio = f'{row["mem_ratio"]:.1f}x less' if 'mem_ratio' in row else '-'
        status = {True: 'MET', False: 'NOT MET', None: 'info'}[row['met']]
        table.append([row['name'], fmt_time(p), ref_time, ratio, fmt_bytes(pm), ref_peak, mem_ratio, status])
    widths = [max(len(str(x[i])) for x in table + [header]) for i in range(len(header))]
    sep = '+'.join('-' * (w + 2) for w in widths)
    lines.append(' | '.join(h.ljust(w) for h, w in zip(header, widths)))
    lines.append(sep)
    for x in table:
        lines.append(' | '.join(str(v).ljust(w) for v, w in zip(x, widths)))
    lines.append('')
    for row in rows:
        if 'profile_s' in row:
            lines.extend([profile_table(row['profile_s']), ''])
    for row in rows:
        details = '; '.join(f'{v["what"]}: {v["detail"]}' for v in row['verdicts'])
        check = ', '.join(f'{k}={v}' for k, v in row['check'].items())
        lines.append(f'- {row["name"]}: {row["title"]}. {details}{". " if details else ""}{check}'
                     + (f' [{row["note"]}]' if row['note'] else ''))
    return '\n'.join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--reps', type=int, default=5, help='timed samples per side (kernels)')
    parser.add_argument('--step-reps', type=int, default=5, help='timed samples per side (training steps)')
    parser.add_argument('--min-sample-s', type=float, default=0.3, help='minimum duration of one timed sample')
    parser.add_argument('--only', nargs='*', help='case names to run')
    parser.add_argument('--no-memory', dest='memory', action='store_false', help='skip the peak-memory probes')
    parser.add_argument('--train-config', choices=sorted(train_step.TRAIN_CONFIGS), default='default',
                        help="training step setting: 'default' (issue 11: B=4, 6 blocks) or 'paper' (B=8, 23 blocks)")
    parser.add_argument('--profile-steps', type=int, default=3,
                        help='profiled steps per model for the per-part table of train_step (0: no profile)')
    parser.add_argument('--clock', choices=sorted(harness.CLOCKS), default='wall',
                        help="'cpu': this process's CPU time instead of elapsed time, for a CPU shared with other "
                             "jobs (with --threads 1)")
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--out', default=None, help='JSON path (default: benchmarks/results/bench-...json)')
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
        os.environ['BENCH_THREADS'] = str(args.threads)
    train_cfg = train_step.TRAIN_CONFIGS[args.train_config]
    info = harness.machine_info(args.device)
    workdir = tempfile.mkdtemp(prefix='bebygan-bench-')
    train_step.prepare_random_vgg(workdir)
    print(f'[bench] machine: {info["cpu"]} x{info["cpu_count"]} cores, torch {info["torch"]} '
          f'({info["torch_threads"]} threads), device {args.device}'
          + (f' ({info["gpu"]})' if 'gpu' in info else '') + f', load average {info["loadavg_start"]}', flush=True)
    print(f'[bench] perceptual loss uses a RANDOMLY initialised VGG19 written to {workdir}: timing only', flush=True)

    selected = cases.make_cases(args.device, workdir, args.train_config)
    if args.only:
        unknown = set(args.only) - {c.name for c in selected}
        if unknown:
            parser.error(f'unknown case(s) {sorted(unknown)}; known: {[c.name for c in selected]}')
        selected = [c for c in selected if c.name in args.only]
    rows = []
    for case in selected:
        rows.append(run_case(case, args.device, args, workdir, rows))
    info['loadavg_end'] = os.getloadavg() if hasattr(os, 'getloadavg') else None

    text = print_table(rows, info)
    gpu_line = ('GPU: not measured (no GPU lent)' if args.device == 'cpu'
                else f'GPU: {info.get("gpu")} (CUDA timings synchronised)')
    print()
    print(f'Machine: {info["cpu"]}, {info["cpu_count"]} cores, {info["mem_total_gb"]} GB RAM, torch {info["torch"]} '
          f'({info["torch_threads"]} threads), basicsr {info["basicsr"]}, Python {info["python"]}; '
          f'device {args.device}; '
          f'load average start {info["loadavg_start"]} end {info["loadavg_end"]}')
    print(f'Timing ({args.clock} clock): median of {args.reps} samples per side ({args.step_reps} for training steps), '
          'A/B alternated; '
          f'peak memory: fresh subprocess per measurement. {gpu_line}.')
    print(f'Training step config "{args.train_config}": {train_cfg}; VGG19 weights RANDOM (timing only).')
    print()
    print(text)

    out = args.out
    if out is None:
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        results_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')
        os.makedirs(results_dir, exist_ok=True)
        out = os.path.join(results_dir, f'bench-{args.device}-{stamp}.json')
        latest = os.path.join(results_dir, f'latest-{args.device}.json')
    else:
        latest = None
    payload = {'machine': info, 'args': vars(args), 'train_config': train_cfg, 'vgg_weights': 'random (timing only)',
               'gpu': None if args.device == 'cpu' else info.get('gpu'),
               'gpu_note': 'not measured (no GPU lent)' if args.device == 'cpu' else '', 'cases': rows,
               'table': text}
    for path in filter(None, [out, latest]):
        with open(path, 'w') as f:
            json.dump(payload, f, indent=2, default=str)
    print(f'\n[bench] wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
