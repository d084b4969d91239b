"""Console scripts: ``bebygan-infer``, ``bebygan-convert``, ``bebygan-interpolate``, ``bebygan-export``.

Argument parsing and one call into the package each; bad input is reported once (``problems.exit_on_problems``,
exit status 2) before any image or file is written.
"""
import argparse
import sys
from typing import List, Optional

from ..files.paths import output_file_problems, output_folder_problems
from ..problems import Problem, ProblemsFound, exit_on_problems, raise_if_any
from .tiling import DEFAULT_TILE_PAD, PRECISIONS

DEFAULT_CLI_TILE = 448  # input pixels per tile side: about 1.4 GB peak for any image size on a CPU (0 = whole image)


def infer_main(argv: Optional[List[str]] = None) -> None:
    from .batch import OUTPUT_FORMATS, InferSettings, collect_inputs, plan_outputs, run_inference
    from .generators import load_generator, resolve_device
    from .tiling import check_precision

    parser = argparse.ArgumentParser(prog='bebygan-infer', description='Super-resolve images with a trained '
                                     'generator (any supported checkpoint layout, or an option YAML).')
    parser.add_argument('-i', '--input', nargs='+', required=True, help='image files, folders or glob patterns')
    parser.add_argument('-o', '--output', required=True, help='output folder (OUT/<stem><suffix>.<ext>)')
    parser.add_argument('-m', '--model', required=True, help='checkpoint (.pth / .safetensors) or option YAML')
    parser.add_argument('--tile', type=int, default=DEFAULT_CLI_TILE,
                        help=f'input pixels per tile side; 0 = whole image (default {DEFAULT_CLI_TILE})')
    parser.add_argument('--tile-pad', type=int, default=DEFAULT_TILE_PAD,
                        help=f'context pixels around each tile (default {DEFAULT_TILE_PAD})')
    parser.add_argument('--precision', choices=list(PRECISIONS), default='fp32',
                        help='fp32 (default); bf16 on CPU or CUDA; fp16 on CUDA only')
    parser.add_argument('--device', default='auto', help='auto (default), cpu, cuda or cuda:N')
    parser.add_argument('--suffix', default='', help='added to each output stem (default: none)')
    parser.add_argument('--ext', choices=OUTPUT_FORMATS, default='auto',
                        help="output format; auto keeps the input's (default)")
    parser.add_argument('--skip-existing', action='store_true', help='leave outputs that already exist alone')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the network for fixed-size tiles (CUDA graphs on a GPU); the first tile '
                             'compiles, worth it for many images or tiles')
    args = parser.parse_args(argv)

    problems: List[Problem] = []
    if args.tile < 0 or args.tile_pad < 0:
        problems.append(Problem('--tile / --tile-pad', 'must be >= 0'))
    files, found = collect_inputs(args.input)
    problems += found
    if not files and not found:
        problems.append(Problem('-i', 'no input image'))
    problems += output_folder_problems(args.output, '-o')
    pairs, planned = plan_outputs(files, args.output, args.suffix, args.ext)
    problems += planned
    device = None
    try:
        device = resolve_device(args.device)
        check_precision(args.precision, device)
    except (ValueError, RuntimeError) as err:
        problems.append(Problem('--device / --precision', str(err)))
    net = None
    if device is not None:
        try:
            net = load_generator(args.model, device=device, program='bebygan-infer')
        except ProblemsFound as err:
            problems += err.problems
    try:
        raise_if_any('bebygan-infer', problems)
    except ProblemsFound as err:
        exit_on_problems(err)
    print(f'Model: {net.description}; {len(pairs)} image(s) -> {args.output} on {device} ({args.precision}, '
          f'tile {args.tile or "whole image"}, pad {args.tile_pad}{", compiled" if args.compile else ""})', flush=True)
    summary = run_inference(net, pairs, InferSettings(args.tile, args.tile_pad, args.precision, args.suffix,
                                                      args.ext, args.skip_existing, args.compile), device)
    print(summary.report(), flush=True)
    if summary.failed:
        sys.exit(1)


def convert_main(argv: Optional[List[str]] = None) -> None:
    from .interchange import convert_checkpoint

    parser = argparse.ArgumentParser(prog='bebygan-convert', description='Write an RRDB generator checkpoint in '
                                     "any supported layout (BasicSR, the authors' Simple-SR, original ESRGAN, "
                                     '.safetensors) in BasicSR format.')
    parser.add_argument('model', help='the checkpoint to convert')
    parser.add_argument('-o', '--output', required=True, help='the BasicSR .pth to write')
    args = parser.parse_args(argv)
    try:
        raise_if_any('bebygan-convert', output_file_problems(args.output, '-o', example='net_g.pth'))
        weights = convert_checkpoint(args.model, args.output)
    except ProblemsFound as err:
        exit_on_problems(err)
    print(f'{args.output}: {weights.describe()}, groups {", ".join(sorted(weights.groups))}; use it as '
          'path.pretrain_network_g with the network_g above', flush=True)


def interpolate_main(argv: Optional[List[str]] = None) -> None:
    from .interchange import interpolate_checkpoints

    parser = argparse.ArgumentParser(prog='bebygan-interpolate', description='Network interpolation (Beby-GAN-PI): '
                                     'theta = (1 - A) * theta_PSNR + A * theta_GAN for every parameter.')
    parser.add_argument('psnr_model', help='the PSNR-oriented generator (stage 1)')
    parser.add_argument('gan_model', help='the GAN-trained generator (stage 2), same architecture')
    parser.add_argument('--alpha', type=float, required=True, help='A in [0, 1]: 0 = PSNR model, 1 = GAN model')
    parser.add_argument('-o', '--output', required=True, help='the BasicSR .pth to write')
    args = parser.parse_args(argv)
    try:
        raise_if_any('bebygan-interpolate', output_file_problems(args.output, '-o', example='net_g_interp.pth'))
        result = interpolate_checkpoints(args.psnr_model, args.gan_model, args.alpha, args.output)
    except ProblemsFound as err:
        exit_on_problems(err)
    print(f'{args.output}: (1 - {args.alpha:g}) x {args.psnr_model} + {args.alpha:g} x {args.gan_model} '
          f'({", ".join(sorted(result))})', flush=True)


def export_main(argv: Optional[List[str]] = None) -> None:
    from .export import DEFAULT_OPSET, ExportError, export_onnx
    from .generators import load_generator

    parser = argparse.ArgumentParser(prog='bebygan-export', description='Export a generator to ONNX (dynamic '
                                     'batch, height and width) and check it against PyTorch with onnxruntime.')
    parser.add_argument('-m', '--model', required=True, help='checkpoint (.pth / .safetensors) or option YAML')
    parser.add_argument('-o', '--output', required=True, help='the .onnx file to write')
    parser.add_argument('--fp16', action='store_true', help='half-precision weights and inputs')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET, help=f'ONNX opset (default {DEFAULT_OPSET})')
    parser.add_argument('--check-image', default=None,
                        help='real image for the parity check (default: a crop of scikit-image\'s chelsea photo)')
    args = parser.parse_args(argv)
    problems = output_file_problems(args.output, '-o', example='model.onnx')
    try:
        net = load_generator(args.model, device='cpu', program='bebygan-export')
    except ProblemsFound as err:
        problems += err.problems
    try:
        raise_if_any('bebygan-export', problems)
    except ProblemsFound as err:
        exit_on_problems(err)
    try:
        report = export_onnx(net, args.output, fp16=args.fp16, opset=args.opset, image_path=args.check_image)
    except ExportError as err:
        print(f'bebygan-export: {err}', file=sys.stderr, flush=True)
        sys.exit(1)
    print(f'{report.path}: {net.description}; onnxruntime vs PyTorch on a {report.check_shape[1]}x'
          f'{report.check_shape[0]} real image: max difference {report.max_difference:.3g} (tolerance '
          f'{report.tolerance:g})', flush=True)
