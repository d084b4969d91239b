"""``bebygan-eval``: the paper's Table 2 (and Figure-7 comparisons) for any models on any benchmark folders.

    bebygan-eval -o REPORT_DIR --dataset NAME=GT_DIR[:LQ_DIR] [...] [--model NAME=MODEL ...]
                 [--results NAME=SR_DIR ...] [--bicubic] [--paper]
                 [--metrics psnr,ssim,lpips,niqe,pi,flat,dists,topiq_fr,musiq,clipiqa] [--tile N]
                 [--device cpu|cuda] [--precision fp32] [--crop X,Y,W,H] [--scale N]
    bebygan-eval -o REPORT_DIR --dataset NAME=GT_DIR[:LQ_DIR] [...] --checkpoints experiments/NAME/models
                 [--watch [--interval SECONDS]] [--metrics ...]
"""
import argparse
import signal
import sys
from typing import Any, Callable, List, Optional

from ..problems import ProblemsFound, exit_on_problems
from .datasets import parse_dataset_spec
from .figures import Crop
from .methods import AUTO_TILE, PROGRAM, parse_model_spec
from .scoring import CSV_ORDER, METRICS
from .results import parse_results_spec
from .checkpoints import WEIGHT_LABELS
from .runner import EvalConfig, run_checkpoints, run_evaluation


def _metric_list(text: str) -> List[str]:
    return [name.strip() for name in text.split(',') if name.strip()]


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` as an argparse type whose ValueError message is shown as is."""
    def parsed(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return parsed


def parse_arguments(argv: Optional[List[str]] = None) -> EvalConfig:
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description='Evaluate super-resolution models on benchmark folders: results.csv, report.md '
                                  '(the paper\'s Table 2 layout), index.html and Figure-7 style comparisons.')
    parser.add_argument('-o', '--out', required=True, help='report folder (created; existing files are replaced)')
    parser.add_argument('--dataset', action='append', default=[], type=_argument(parse_dataset_spec),
                        metavar='NAME=GT[:LQ]',
                        help='a GT folder and optionally its LQ folder (paired by name, "x4" suffix optional); '
                             'without LQ the LR is the MATLAB-style bicubic of the GT. Repeat for more datasets')
    parser.add_argument('--model', action='append', default=[], type=_argument(parse_model_spec), metavar='NAME=MODEL',
                        help='a generator: any checkpoint bebygan-infer loads, or an option YAML. Repeatable')
    parser.add_argument('--results', action='append', default=[], type=_argument(parse_results_spec),
                        metavar='NAME=DIR',
                        help='a folder of SR images (e.g. released by a paper), paired with the GT by name (suffixes '
                             'such as x4, _x4, _SR, _NAME tolerated); DIR/<dataset>/ for each dataset, or DIR itself '
                             'for one. Repeatable')
    parser.add_argument('--bicubic', action='store_true', help='add the MATLAB-style bicubic baseline')
    parser.add_argument('--paper', action='store_true',
                        help="put the paper's Table 2 values beside the measured ones where dataset (Set14, BSDS100, "
                             'DIV2K, UH4K) and method names match, with the difference')
    parser.add_argument('--metrics', type=_metric_list, default=None,
                        help=f'comma-separated, from {",".join(CSV_ORDER)}; default: every one of '
                             f'{",".join(n for n, m in METRICS.items() if m.default)} that can run on this machine '
                             '(the others are listed as not computed)')
    parser.add_argument('--checkpoints', default=None, metavar='MODELS_DIR',
                        help='instead of methods: score every net_g_<iter>.pth of a training (and its EMA weights) '
                             'and write checkpoints.csv, checkpoints.png and the best iteration per metric')
    parser.add_argument('--watch', action='store_true',
                        help='with --checkpoints: keep scoring new checkpoints of a running training until Ctrl-C '
                             'or SIGTERM (low priority, one CPU thread, read-only; --device auto means cpu here)')
    parser.add_argument('--interval', type=float, default=60.0,
                        help='with --watch: seconds between two looks at the folder (default 60)')
    parser.add_argument('--scale', type=int, default=None, help='default: the models\' scale (4 for bicubic only)')
    parser.add_argument('--tile', type=int, default=None,
                        help=f'tile side in LR pixels for the models (0: whole images; default: whole images up to '
                             f'{AUTO_TILE}x{AUTO_TILE} LR pixels, {AUTO_TILE}-pixel tiles above)')
    parser.add_argument('--device', default='auto', help='auto (a GPU when one is visible), cpu, cuda, cuda:1 ...')
    parser.add_argument('--precision', default='fp32', choices=('fp32', 'fp16', 'bf16'))
    parser.add_argument('--crop', type=_argument(Crop.parse), default=None, metavar='X,Y,W,H',
                        help='the zoomed window of the figures, in GT pixels (default: where the methods differ most)')
    args = parser.parse_args(argv)
    if args.watch and not args.checkpoints:
        parser.error('--watch needs --checkpoints MODELS_DIR')
    if args.interval <= 0:
        parser.error('--interval must be > 0 seconds')
    return EvalConfig(out_dir=args.out, datasets=args.dataset, models=args.model, bicubic=args.bicubic,
                      metrics=args.metrics, scale=args.scale, tile=args.tile, device=args.device,
                      precision=args.precision, crop=args.crop, results=args.results, paper=args.paper,
                      checkpoints=args.checkpoints, watch=args.watch, interval=args.interval)


def main(argv: Optional[List[str]] = None) -> None:
    config = parse_arguments(argv)
    if config.checkpoints:
        _checkpoints_main(config)
        return
    try:
        _, paths = run_evaluation(config)
    except ProblemsFound as err:
        exit_on_problems(err)
    print(f'{PROGRAM}: report {paths["report.md"]}, page {paths["index.html"]}, per-image values '
          f'{paths["results.csv"]}', file=sys.stdout)


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _checkpoints_main(config: EvalConfig) -> None:
    paths = {}
    if config.watch:  # stopped by Ctrl-C, or by kill (SIGTERM) when it runs in the background
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        scores, paths = run_checkpoints(config)
    except ProblemsFound as err:
        exit_on_problems(err)
    except KeyboardInterrupt:  # --watch ends so; the files were written after each checkpoint
        print(f'{PROGRAM}: stopped; the report files hold every checkpoint scored', file=sys.stderr)
        return
    for dataset, weights, metric, iteration, value in scores.best():
        print(f'{dataset} {WEIGHT_LABELS[weights]}: best {METRICS[metric].label} {METRICS[metric].format(value)} at '
              f'iteration {iteration}')
    if paths:
        print(f'{PROGRAM}: {paths["checkpoints.csv"]}, {paths["checkpoints.png"]}, {paths["report.md"]}')


if __name__ == '__main__':
    main()
