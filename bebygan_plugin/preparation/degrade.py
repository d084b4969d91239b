"""``bebygan-degrade``: what the real-world training makes of HR images, as files: a preview, or a fixed, seeded
real-world validation / test set.

::

    bebygan-degrade -opt OPTION.yml -i HR_DIR -o OUT_DIR --num N --seed S      (:func:`.cli.degrade_main`)

writes ``OUT_DIR/gt/*.png`` and ``OUT_DIR/lq/*.png`` (``NNNN_<image>.png``, the same name on both sides, so that
BasicSR's ``PairedImageDataset`` and ``bebygan-eval --dataset NAME=OUT_DIR/gt:OUT_DIR/lq`` pair them),
``OUT_DIR/contact_sheet.png`` (GT beside its LQ, enlarged, for the first pairs) and ``OUT_DIR/degrade.json``
(the seed, the option file's hash, the sources and the settings: what it takes to make the same set again).

It runs the training's own code: pair ``i`` is item ``i mod len`` of BasicSR's ``RealESRGANDataset`` (its crop or
pad to 400x400, flips and blur / sinc kernels, configured by the option file's ``datasets.train`` section) over the
images of ``HR_DIR`` in name order, degraded by :class:`bebygan_plugin.degradations.SecondOrderDegradation` with
the option file's top-level keys (``resize_prob``, ..., ``jpeg_range2``, ``gt_size``, ``scale``,
``basicsr_random_stream``), one pair at a time, so that every pair gets its own draw of every random choice. The
LQ is degraded from the unsharp-masked GT as both stages do (stage 1 with ``gt_usm: false``: from the GT itself);
the GT written is the GT itself, the target of validation and evaluation. The training-pair pool (``queue_size``)
is not used: it only reorders pairs across batches. Python's ``random``, NumPy's and torch's generators are all seeded
with ``--seed`` first: the same seed, images and option file give byte-identical files.

Every input is checked before any work (the option file and its keys, every image decoded, the output folder);
the two folders appear only when complete; nothing existing is overwritten.
"""
import argparse
import hashlib
import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from os import path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from ..degradations import DEGRADATION_KEYS, DegradationSettings, SecondOrderDegradation
from ..files.atomic import atomic_write
from ..files.images import BadImageError, encode_image
from ..files.option_files import load_option_file
from ..files.paths import output_folder_problems
from ..problems import Problem, raise_if_any
from ..schema import check_options
from .image_files import DatasetError, ImageFile, list_images
from .image_rules import read_dataset_image
from .staging import staged, staging_path

PROGRAM = 'bebygan-degrade'
KERNEL_KEYS = tuple(key + suffix for suffix in ('', '2') for key in (
    'blur_kernel_size', 'kernel_list', 'kernel_prob', 'sinc_prob', 'blur_sigma', 'betag_range', 'betap_range')
) + ('final_sinc_prob',)  # what RealESRGANDataset reads to draw the kernels
OUTPUT_FOLDERS = ('gt', 'lq')
SHEET, INFO = 'contact_sheet.png', 'degrade.json'
SHEET_PAIRS = 16  # the contact sheet shows the first pairs
SHEET_COLUMNS = 2  # pairs side by side on a row of the sheet
MARGIN, LABEL_PX = 8, 18


@dataclass(frozen=True)
class Degradation:
    """What the option file says about the degradation: its settings, the kernel options of ``datasets.train``,
    whether the LQ is degraded from the unsharp-masked GT, and the random stream (``basicsr_random_stream``)."""

    settings: DegradationSettings
    kernels: Dict
    sharpen: bool
    basicsr_stream: bool


def read_degradation(opt: dict, source: str) -> Tuple[Optional[Degradation], List[Problem]]:
    """The option file's :class:`Degradation`, or the problems (every missing key named)."""
    problems = []
    missing = [key for key in DEGRADATION_KEYS + ('scale',) if key not in opt]
    if missing:
        problems.append(Problem(source, f'lacks the real-world degradation key(s) {", ".join(missing)} (top level, '
                                        "as in Real-ESRGAN's option files); use a real-world recipe such as "
                                        'options/train_RealBebyGAN_x4.yml'))
    section = (opt.get('datasets') or {}).get('train') if isinstance(opt.get('datasets'), dict) else None
    if not isinstance(section, dict):
        problems.append(Problem(source, "has no datasets.train section (RealESRGANDataset's kernel options)"))
        section = {}
    absent = [key for key in KERNEL_KEYS if key not in section]
    if section and absent:
        problems.append(Problem(f'{source}: datasets.train', f"lacks RealESRGANDataset's kernel key(s) "
                                                             f'{", ".join(absent)}'))
    if problems:
        return None, problems
    try:
        settings = DegradationSettings.from_options(opt)
    except (TypeError, ValueError) as err:
        return None, [Problem(source, f'degradation keys cannot be used: {err}')]
    kernels = {key: section[key] for key in KERNEL_KEYS}
    kernels.update(use_hflip=bool(section.get('use_hflip', False)), use_rot=bool(section.get('use_rot', False)))
    sharpen = bool(opt.get('gt_usm', True))  # stage 1's key (RealESRNetModel); stage 2 always degrades the USM GT
    return Degradation(settings, kernels, sharpen, bool(opt.get('basicsr_random_stream', False))), []


def input_problems(folder: str) -> Tuple[List[ImageFile], List[Problem]]:
    """The images of ``folder`` (every one decoded), or the problems."""
    try:
        files, _ = list_images([folder])
    except DatasetError as err:
        return [], [Problem('-i', str(err))]
    problems = []
    for item in tqdm(files, desc='Check images', unit='img', dynamic_ncols=True):
        try:
            read_dataset_image(item.path, alpha='drop')
        except BadImageError as err:
            problems.append(Problem('-i', str(err)))
    return files, problems


def output_problems(out_dir: str) -> List[Problem]:
    problems = output_folder_problems(out_dir, '-o')
    if not problems:
        existing = [name for name in OUTPUT_FOLDERS + (SHEET, INFO) if osp.lexists(osp.join(out_dir, name))]
        if existing:
            problems.append(Problem('-o', f'{out_dir} already holds {", ".join(existing)}; choose another folder or '
                                          'remove them (nothing is overwritten)'))
    return problems


def check(args: argparse.Namespace) -> Tuple[Degradation, List[ImageFile], str]:
    """Every check before any work; raises :class:`~bebygan_plugin.problems.ProblemsFound` listing them all."""
    problems = []
    if args.num < 1:
        problems.append(Problem('--num', f'is {args.num}; give the number of pairs to write (at least 1)'))
    opt, opt_problems = load_option_file(args.opt)
    problems += opt_problems
    degradation = None
    if opt is not None:
        problems += check_options(opt, is_train=True, whole_run=False)  # a number written as text, a typo
        degradation, found = read_degradation(opt, args.opt)
        problems += found
    problems += output_problems(args.output)
    files, found = input_problems(args.input)
    problems += found
    raise_if_any(PROGRAM, problems)
    with open(args.opt, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return degradation, files, digest


def realesrgan_dataset(files: Sequence[ImageFile], kernels: Dict, links: str):
    """BasicSR's ``RealESRGANDataset`` over ``files`` in order, through a ``meta_info`` of symbolic links in
    ``links`` (the dataset splits its lines at spaces, which file names may hold)."""
    from basicsr.data.realesrgan_dataset import RealESRGANDataset

    names = []
    for index, item in enumerate(files):
        name = f'{index:06d}{osp.splitext(item.path)[1].lower()}'
        os.symlink(osp.abspath(item.path), osp.join(links, name))
        names.append(name)
    meta_info = osp.join(links, 'meta_info.txt')
    with open(meta_info, 'w', encoding='utf-8') as f:
        f.write(''.join(f'{name}\n' for name in names))
    return RealESRGANDataset(dict(kernels, dataroot_gt=links, meta_info=meta_info, io_backend={'type': 'disk'}))


def to_uint8_bgr(img: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` RGB in [0, 1] -> ``HxWx3`` uint8 BGR (rounded)."""
    rgb = (img.clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return np.ascontiguousarray(rgb[..., ::-1])


def degraded_pairs(files: Sequence[ImageFile], degradation: Degradation, num: int, seed: int, links: str):
    """Yield ``(name, gt, lq)`` (uint8 BGR) for pairs ``0 .. num - 1``."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dataset = realesrgan_dataset(files, degradation.kernels, links)
    degrade = SecondOrderDegradation(degradation.settings, degradation.basicsr_stream)
    for index in range(num):
        item = dataset[index % len(dataset)]
        with torch.no_grad():
            lq, gt = degrade(item['gt'][None], item['kernel1'][None], item['kernel2'][None],
                             item['sinc_kernel'][None], sharpen=degradation.sharpen)
        yield f'{index:04d}_{files[index % len(files)].key}', to_uint8_bgr(gt[0]), to_uint8_bgr(lq[0])


def contact_sheet(pairs: Sequence[Tuple[str, np.ndarray, np.ndarray]], total: int) -> Image.Image:
    """GT beside its LQ (enlarged to the GT's size, nearest neighbour: the pixels as they are), two pairs a row."""
    font = ImageFont.load_default(size=LABEL_PX - 4)
    gt_h, gt_w = pairs[0][1].shape[:2]
    tile_w, tile_h = 2 * gt_w + MARGIN, gt_h + LABEL_PX
    columns = min(SHEET_COLUMNS, len(pairs))
    rows = -(-len(pairs) // columns)
    title_h = LABEL_PX + MARGIN
    sheet = Image.new('RGB', (MARGIN + columns * (tile_w + 2 * MARGIN), title_h + rows * (tile_h + MARGIN) + MARGIN),
                      'white')
    draw = ImageDraw.Draw(sheet)
    shown = f'the first {len(pairs)} of {total} pairs' if len(pairs) < total else f'{total} pairs'
    draw.text((MARGIN, MARGIN // 2), f'{shown}: GT (left) and LQ (right, enlarged x{gt_w // pairs[0][2].shape[1]}, '
                                     'nearest neighbour)', fill='black', font=font)
    for index, (name, gt, lq) in enumerate(pairs):
        row, col = divmod(index, columns)
        left, top = MARGIN + col * (tile_w + 2 * MARGIN), title_h + row * (tile_h + MARGIN)
        sheet.paste(Image.fromarray(np.ascontiguousarray(gt[..., ::-1])), (left, top))
        enlarged = Image.fromarray(np.ascontiguousarray(lq[..., ::-1])).resize((gt_w, gt_h), Image.NEAREST)
        sheet.paste(enlarged, (left + gt_w + MARGIN, top))
        draw.text((left, top + gt_h + 2), name, fill='black', font=font)
    return sheet


def run(args: argparse.Namespace) -> str:
    """The whole run for parsed arguments; returns the contact sheet's path."""
    degradation, files, digest = check(args)
    out = args.output
    finals = [osp.join(out, name) for name in OUTPUT_FOLDERS]
    os.makedirs(out, exist_ok=True)
    shown: List[Tuple[str, np.ndarray, np.ndarray]] = []
    with tempfile.TemporaryDirectory(prefix='bebygan-degrade-') as links, staged(finals):
        for final in finals:
            os.makedirs(staging_path(final))
        pairs = degraded_pairs(files, degradation, args.num, args.seed, links)
        for name, gt, lq in tqdm(pairs, total=args.num, desc='Degrade', unit='pair', dynamic_ncols=True):
            for final, img in zip(finals, (gt, lq)):
                with open(osp.join(staging_path(final), f'{name}.png'), 'wb') as f:
                    f.write(encode_image(img, '.png', order='bgr'))
            if len(shown) < SHEET_PAIRS:
                shown.append((name, gt, lq))
    sheet = encode_image(np.asarray(contact_sheet(shown, args.num)), '.png', order='rgb')
    atomic_write(osp.join(out, SHEET), lambda f: f.write(sheet))
    info = {'seed': args.seed, 'num': args.num, 'option_file': osp.basename(args.opt), 'option_sha256': digest,
            'sources': [osp.basename(item.path) for item in files], 'degradation': asdict(degradation),
            'torch': torch.__version__}
    data = (json.dumps(info, indent=2, sort_keys=True) + '\n').encode('utf-8')
    atomic_write(osp.join(out, INFO), lambda f: f.write(data))
    return osp.join(out, SHEET)
