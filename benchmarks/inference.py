"""Inference benchmarks: streaming tiles against a Real-ESRGAN-style tiler, tile overhead, the paper's timing case.

    python -m benchmarks.inference                                  # every case, CPU, 6-block RRDB for 4K
    python -m benchmarks.inference --only 4k --blocks 23            # the 4K case with the paper's 23 blocks
    python -m benchmarks.inference --only paper --device cuda       # 1280x720 output, fp32 / bf16 (/ fp16)
    python -m benchmarks.inference --only tile_difference --model experiments/.../net_g_latest.pth

Cases (random weights unless ``--model`` is given; the timings do not depend on the weights):

- ``4k``: a 960x540 photo to 3840x2160 with ``--tile`` / ``--tile-pad``. Ours (``upscale``: the host holds the
  uint8 input and output, the device one padded tile) against a tiler written here from Real-ESRGAN's
  description (``RealESRGANer.tile_process``: the whole input as a float tensor on the device, a full-size float
  output there, each tile's result copied into it), and against the whole image at once (``tile=0``): time and
  peak memory, each side in a fresh process (CPU: the process's peak RSS, VmHWM; CUDA: max_memory_allocated).
- ``paper``: the paper's timing case, 320x180 to 1280x720 with the 23-block RRDB (paper: 193.6 ms on an RTX 2080
  Ti), whole image, fp32 against bf16 (and fp16 on CUDA), alternating; the largest output difference in levels.
  ``--compile`` adds each precision through ``upscale(..., compile=True)`` (CUDA graphs on a GPU).
- ``tile_difference``: max |tiled - whole image| in grey levels on a real photo at several pads (the default
  included), with ``--model`` (a trained generator) or random weights.

Results: a table on stdout and ``benchmarks/results/inference-<device>-<time>.json`` (git-ignored). Not part of
the test run.
"""
import argparse
import datetime
import json
import math
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

from devtools.process_memory import read_status_kb, reset_peak_rss

from . import harness

HERE = os.path.dirname(os.path.abspath(__file__))

PAPER_MS = 193.6
CASES = ('tile_difference', 'paper', '4k')


# ----------------------------------------------------------------------------------------------------- inputs
def photo(height: int, width: int) -> np.ndarray:
    """scikit-image's astronaut photo resized (area / cubic) to ``width`` x ``height``, RGB uint8."""
    import cv2
    from skimage import data

    image = data.astronaut()
    interpolation = cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


def model_file(blocks: int, workdir: str, given: str = '') -> str:
    """``given``, or a BasicSR checkpoint of a randomly initialised RRDBNet (64 features, 32 growth channels)."""
    if given:
        return given
    path = os.path.join(workdir, f'rrdb_{blocks}b.pth')
    if not os.path.exists(path):
        from basicsr.archs.rrdbnet_arch import RRDBNet

        torch.manual_seed(0)
        torch.save({'params': RRDBNet(3, 3, num_feat=64, num_block=blocks, num_grow_ch=32).state_dict()}, path)
    return path


# ----------------------------------------------------------------------------------------------- the reference
def realesrgan_style_upscale(net, image: np.ndarray, tile: int, tile_pad: int, device) -> np.ndarray:
    """Real-ESRGAN's tiling as its README and ``RealESRGANer.tile_process`` describe it: the image becomes one
    float tensor on the device, a zero float output of the full size is allocated there, every tile (padded by
    ``tile_pad``, clipped at the border) goes through the network and its own part is copied into the output;
    the output is then clamped, brought to the host and rounded to 8 bits."""
    scale = net.scale
    img = torch.from_numpy(image).permute(2, 0, 1).float().div(255).unsqueeze(0).to(device)
    _, channels, height, width = img.shape
    output = img.new_zeros((1, channels, height * scale, width * scale))
    for y in range(math.ceil(height / tile)):
        for x in range(math.ceil(width / tile)):
            x0, y0 = x * tile, y * tile
            x1, y1 = min(x0 + tile, width), min(y0 + tile, height)
            px0, px1 = max(x0 - tile_pad, 0), min(x1 + tile_pad, width)
            py0, py1 = max(y0 - tile_pad, 0), min(y1 + tile_pad, height)
            with torch.no_grad():
                out_tile = net(img[:, :, py0:py1, px0:px1])
            output[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                out_tile[:, :, (y0 - py0) * scale:(y1 - py0) * scale, (x0 - px0) * scale:(x1 - px0) * scale]
    result = output.squeeze(0).float().cpu().clamp_(0, 1).numpy().transpose(1, 2, 0)
    return (result * 255.0).round().astype(np.uint8)


# ------------------------------------------------------------------------------------------ one measured probe
def peak_reset(device: torch.device) -> int:
    """Reset the peak counter; returns the memory in use now (the baseline)."""
    if device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    reset_peak_rss()
    return read_status_kb('VmRSS') * 1024


def peak_now(device: torch.device) -> int:
    if device.type == 'cuda':
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    return read_status_kb('VmHWM') * 1024


def probe(spec: dict) -> dict:
    """Run one side of the 4K case in this (fresh) process: time and peak memory of one full upscale."""
    from bebygan_plugin.inference import load_generator, upscale

    device = torch.device(spec['device'])
    net = load_generator(spec['model'], device=device)
    image = photo(spec['height'], spec['width'])
    small = image[:40, :40]
    if spec['side'] == 'reference':
        def run(img):
            return realesrgan_style_upscale(net, img, spec['tile'], spec['tile_pad'], device)
    else:
        def run(img):
            return upscale(net, img, tile=spec['tile'] if spec['side'] == 'ours' else 0, tile_pad=spec['tile_pad'])
    run(small)  # code paths and thread pools loaded before the baseline
    baseline = peak_reset(device)
    start = time.perf_counter()
    result = run(image)
    harness.synchronize(device)
    seconds = time.perf_counter() - start
    peak = peak_now(device)
    np.save(spec['output'], result)
    return {'seconds': seconds, 'peak_bytes': peak, 'baseline_bytes': baseline, 'shape': list(result.shape)}


def run_probe(spec: dict, timeout: float) -> dict:
    return harness.run_fresh_probe([sys.executable, '-m', 'benchmarks.inference', '--probe', json.dumps(spec)],
                                   'PROBE ', timeout)


# ------------------------------------------------------------------------------------------------------ cases
def case_4k(args, workdir: str, blocks: int) -> dict:
    model = model_file(blocks, workdir, args.model)
    spec = {'device': args.device, 'model': model, 'height': 540, 'width': 960, 'tile': args.tile,
            'tile_pad': args.tile_pad}
    sides = ['ours', 'reference'] + ([] if args.skip_whole else ['whole'])
    order = [s for rep in range(args.reps) for s in (sides if rep % 2 == 0 else sides[::-1])]
    runs = {side: [] for side in sides}
    outputs = {}
    for side in order:
        output = os.path.join(workdir, f'4k_{blocks}_{side}.npy')
        print(f'[bench] 4k, {blocks} blocks: {side} ...', flush=True)
        result = run_probe(dict(spec, side=side, output=output), args.timeout)
        print(f'[bench]   {result}', flush=True)
        runs[side].append(result)
        outputs[side] = output
    row = {'case': '4k', 'blocks': blocks, 'tile': args.tile, 'tile_pad': args.tile_pad, 'runs': runs}
    ok = {side: [r for r in results if 'error' not in r] for side, results in runs.items()}
    for side, results in ok.items():
        if results:
            row[f'{side}_seconds'] = statistics.median(r['seconds'] for r in results)
            row[f'{side}_peak_bytes'] = max(r['peak_bytes'] for r in results)
            row[f'{side}_above_baseline_bytes'] = max(r['peak_bytes'] - r['baseline_bytes'] for r in results)
    if ok['ours'] and ok['reference']:
        row['time_ratio_vs_reference'] = row['ours_seconds'] / row['reference_seconds']
        same = np.load(outputs['ours']).astype(int) - np.load(outputs['reference'])
        row['max_difference_vs_reference'] = int(np.abs(same).max())
    if ok['ours'] and ok.get('whole'):
        row['tile_overhead'] = row['ours_seconds'] / row['whole_seconds'] - 1
        row['max_difference_vs_whole'] = int(np.abs(np.load(outputs['ours']).astype(int)
                                                    - np.load(outputs['whole'])).max())
    return row


def case_paper(args, workdir: str) -> dict:
    from bebygan_plugin.inference import load_generator, upscale

    device = torch.device(args.device)
    net = load_generator(model_file(23, workdir, args.model), device=device)
    image = photo(180, 320)
    precisions = ['fp32', 'bf16'] + (['fp16'] if device.type == 'cuda' else [])
    variants = [(p, False) for p in precisions] + [(p, True) for p in precisions if args.compile]

    def name(precision, compiled):
        return f'{precision}_compiled' if compiled else precision

    outputs, samples = {}, {name(*v): [] for v in variants}
    for precision, compiled in variants:  # warm-up (compiled: a few runs, CUDA graphs record), outputs compared
        for _ in range(3 if compiled else 1):
            outputs[name(precision, compiled)] = upscale(net, image, precision=precision, compile=compiled)
    for rep in range(args.paper_reps):
        for precision, compiled in (variants if rep % 2 == 0 else variants[::-1]):
            harness.synchronize(device)
            start = time.perf_counter()
            upscale(net, image, precision=precision, compile=compiled)
            harness.synchronize(device)
            samples[name(precision, compiled)].append(time.perf_counter() - start)
            print(f'[bench] paper {name(precision, compiled)}: {samples[name(precision, compiled)][-1]:.3f} s',
                  flush=True)
    row = {'case': 'paper', 'blocks': 23, 'input': '320x180', 'output': '1280x720', 'paper_ms_2080ti': PAPER_MS,
           'samples_s': samples}
    for key in samples:
        row[f'{key}_seconds'] = statistics.median(samples[key])
        if key != 'fp32':
            diff = np.abs(outputs[key].astype(int) - outputs['fp32'])
            row[f'{key}_speedup'] = row['fp32_seconds'] / row[f'{key}_seconds']
            row[f'{key}_max_difference'] = int(diff.max())
            row[f'{key}_mean_difference'] = float(diff.mean())
    return row


def case_tile_difference(args, workdir: str) -> dict:
    from bebygan_plugin.inference import DEFAULT_TILE_PAD, load_generator, rrdb_receptive_radius, upscale

    net = load_generator(model_file(6, workdir, args.model), device=args.device)
    image = photo(180, 320)
    whole = upscale(net, image).astype(int)
    blocks = int(net.description.split('num_block ')[1].split(',')[0]) if 'num_block' in net.description else 0
    pads = sorted({0, 4, 8, DEFAULT_TILE_PAD, 24, 32})
    row = {'case': 'tile_difference', 'model': args.model or 'random 64f/6b/32g', 'tile': 64, 'image': '320x180',
           'default_pad': DEFAULT_TILE_PAD, 'receptive_radius': rrdb_receptive_radius(blocks), 'pads': {}}
    for pad in pads:
        diff = np.abs(upscale(net, image, tile=64, tile_pad=pad) - whole)
        row['pads'][pad] = {'max': int(diff.max()), 'share_differing': float(np.count_nonzero(diff) / diff.size)}
        print(f'[bench] tile difference at pad {pad}: {row["pads"][pad]}', flush=True)
    return row


# ------------------------------------------------------------------------------------------------------- table
def fmt_bytes(n) -> str:
    return '-' if n is None else f'{n / 2 ** 30:.2f} GiB' if n >= 2 ** 30 else f'{n / 2 ** 20:.0f} MiB'


def fmt_s(s) -> str:
    return '-' if s is None else f'{s * 1e3:.1f} ms' if s < 1 else f'{s:.1f} s'


def print_table(rows) -> None:
    for row in rows:
        if row['case'] == '4k':
            print(f"\n4K (960x540 -> 3840x2160), RRDB 64f/{row['blocks']}b/32g, tile {row['tile']}, pad "
                  f"{row['tile_pad']}")
            print('| side | time | peak memory | above baseline |\n| --- | --- | --- | --- |')
            for side, label in (('ours', 'ours (streaming tiles)'), ('reference', 'Real-ESRGAN-style tiler'),
                                ('whole', 'whole image (tile 0)')):
                if f'{side}_seconds' in row:
                    print(f"| {label} | {fmt_s(row[f'{side}_seconds'])} | {fmt_bytes(row[f'{side}_peak_bytes'])} | "
                          f"{fmt_bytes(row[f'{side}_above_baseline_bytes'])} |")
            if 'tile_overhead' in row:
                print(f"tile_overhead (tiles / whole image - 1): {100 * row['tile_overhead']:+.1f}%")
            for key in ('time_ratio_vs_reference', 'max_difference_vs_reference', 'max_difference_vs_whole'):
                if key in row:
                    print(f'{key}: {row[key]:.3f}' if isinstance(row[key], float) else f'{key}: {row[key]}')
        elif row['case'] == 'paper':
            print(f"\nPaper's timing case (320x180 -> 1280x720, 23 blocks; paper {PAPER_MS} ms on a 2080 Ti)")
            for key, value in row.items():
                if key.endswith(('_seconds', '_speedup', '_difference')):
                    print(f'{key}: {fmt_s(value) if key.endswith("_seconds") else round(value, 3)}')
        else:
            print(f"\nTile difference ({row['model']}, tile {row['tile']}, {row['image']}; default pad "
                  f"{row['default_pad']}, receptive radius {row['receptive_radius']})")
            for pad, d in row['pads'].items():
                print(f"pad {pad}: max {d['max']} levels, {100 * d['share_differing']:.3f}% of values differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', choices=CASES, default=list(CASES))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--blocks', nargs='+', type=int, default=[6], help='RRDB blocks of the 4K case')
    parser.add_argument('--tile', type=int, default=None, help='4K tile (default: bebygan-infer\'s)')
    parser.add_argument('--tile-pad', type=int, default=None, help='4K tile pad (default: the package default)')
    parser.add_argument('--reps', type=int, default=1, help='runs of each 4K side (alternating)')
    parser.add_argument('--paper-reps', type=int, default=3)
    parser.add_argument('--compile', action='store_true', help='paper case: also each precision with upscale(..., '
                        'compile=True) (CUDA graphs on a GPU)')
    parser.add_argument('--skip-whole', action='store_true', help='no whole-image run in the 4K case')
    parser.add_argument('--model', default='', help='a trained generator instead of random weights')
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: torch\'s)')
    parser.add_argument('--timeout', type=float, default=7200)
    parser.add_argument('--probe', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
    if args.probe:
        print('PROBE ' + json.dumps(probe(json.loads(args.probe))), flush=True)
        return
    from bebygan_plugin.inference import DEFAULT_TILE_PAD
    from bebygan_plugin.inference.cli import DEFAULT_CLI_TILE

    args.tile = DEFAULT_CLI_TILE if args.tile is None else args.tile
    args.tile_pad = DEFAULT_TILE_PAD if args.tile_pad is None else args.tile_pad
    info = harness.machine_info(args.device)
    print(f"[bench] {info['cpu']}, {info['torch_threads']} threads, torch {info['torch']}, device {args.device}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for case in args.only:
            if case == '4k':
                rows += [case_4k(args, workdir, blocks) for blocks in args.blocks]
            elif case == 'paper':
                rows.append(case_paper(args, workdir))
            else:
                rows.append(case_tile_difference(args, workdir))
    print_table(rows)
    results = os.path.join(HERE, 'results')
    os.makedirs(results, exist_ok=True)
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    path = os.path.join(results, f'inference-{args.device.replace(":", "")}-{stamp}.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({'machine': info, 'args': {k: v for k, v in vars(args).items() if k != 'probe'}, 'rows': rows}, f,
                  indent=2, default=str)
    print(f'\n[bench] wrote {path}')


if __name__ == '__main__':
    main()
