"""Comparison figures in the style of the paper's Figure 7: the GT with the zoom box drawn, then the same zoomed
crop of every method and of the GT, each with its metric values for the whole image beneath (best in red)."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .scoring import CROP_BORDER, METRICS

CAPTION_METRICS = ('lpips', 'psnr', 'ssim')  # beneath each crop, those of them that were computed
PANEL_PX = 200  # crops are magnified (nearest neighbour, by a whole factor) to about this size
MARGIN = 8
FONT_PX = 15
BEST_COLOUR = (200, 0, 0)
BOX_COLOUR = (230, 20, 20)


@dataclass(frozen=True)
class Crop:
    """A ``w x h`` window at ``(x, y)`` of the GT (pixels)."""

    x: int
    y: int
    w: int
    h: int

    @classmethod
    def parse(cls, text: str) -> 'Crop':
        """``X,Y,W,H``."""
        try:
            x, y, w, h = (int(v) for v in text.split(','))
        except ValueError:
            raise ValueError(f'--crop {text!r}: expected X,Y,W,H in GT pixels, e.g. 120,80,96,96') from None
        if x < 0 or y < 0 or w < 1 or h < 1:
            raise ValueError(f'--crop {text!r}: X and Y must be >= 0, W and H >= 1')
        return cls(x, y, w, h)

    def fits(self, height: int, width: int) -> bool:
        return self.x + self.w <= width and self.y + self.h <= height

    def cut(self, img: np.ndarray) -> np.ndarray:
        return img[self.y:self.y + self.h, self.x:self.x + self.w]


@dataclass
class Figure:
    """The figure and where each panel's image lies in it: ``(label, (left, top, right, bottom))``."""

    image: Image.Image
    panels: List[Tuple[str, Tuple[int, int, int, int]]]


def _border(height: int, width: int) -> int:
    """The metrics' border, when the image is large enough to leave something inside it."""
    return CROP_BORDER if min(height, width) > 2 * CROP_BORDER else 0


def crop_side(height: int, width: int) -> int:
    """The automatic crop's side: a quarter of the shorter side, 32 to 160 pixels, inside the border crop."""
    return int(max(1, min(np.clip(min(height, width) // 4, 32, 160), min(height, width) - 2 * _border(height, width))))


def pick_crop(gt: np.ndarray, srs: Sequence[np.ndarray]) -> Crop:
    """The square window where the SR images differ most from each other: the largest sum over the window of the
    per-pixel standard deviation across methods (with one method, of its absolute error to the GT)."""
    height, width = gt.shape[:2]
    side, b = crop_side(height, width), _border(height, width)
    if len(srs) == 1:
        spread = np.abs(srs[0].astype(np.float32) - gt.astype(np.float32)).mean(axis=2)
    else:
        total = np.zeros((height, width), np.float64)
        total_sq = np.zeros((height, width), np.float64)
        for sr in srs:  # one image at a time: a 4K image with several methods stays small in memory
            grey = sr.astype(np.float64).mean(axis=2)
            total += grey
            total_sq += grey * grey
        mean = total / len(srs)
        spread = np.sqrt(np.maximum(total_sq / len(srs) - mean * mean, 0))
    sums = cv2.integral(spread[b:height - b, b:width - b].astype(np.float64))
    window = sums[side:, side:] - sums[:-side, side:] - sums[side:, :-side] + sums[:-side, :-side]
    y, x = np.unravel_index(int(np.argmax(window)), window.shape)
    return Crop(int(x) + b, int(y) + b, side, side)


def _font(size: int = FONT_PX) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _best(values: Dict[str, Dict[str, Optional[float]]], metric: str) -> Optional[float]:
    found = [v[metric] for v in values.values() if v.get(metric) is not None]
    if not found:
        return None
    return max(found) if METRICS[metric].higher_is_better else min(found)


def comparison_figure(title: str, gt: np.ndarray, srs: Dict[str, np.ndarray],
                      values: Dict[str, Dict[str, Optional[float]]], crop: Crop) -> Figure:
    """The Figure-7 panel of one image.

    Args:
        title: written under the GT overview (e.g. ``Set5 / baby``).
        gt: ``HxWx3`` uint8 BGR.
        srs: method name -> its SR image (uint8 BGR, the GT's size), in column order.
        values: method name -> metric name -> value for the whole image (None: not computed).
        crop: the zoomed window.
    """
    font, small = _font(), _font(FONT_PX - 2)
    metrics = [m for m in CAPTION_METRICS if any(v.get(m) is not None for v in values.values())]
    best = {m: _best(values, m) for m in metrics}
    magnify = max(1, round(PANEL_PX / max(crop.w, crop.h)))
    cell_w, cell_h = crop.w * magnify, crop.h * magnify
    line_h = FONT_PX + 4
    caption_h = line_h * (1 + len(metrics)) + 4
    crops = list(srs.items()) + [('GT', gt)]
    rows = 1 if len(crops) <= 4 else 2
    cols = -(-len(crops) // rows)
    grid_h = rows * (cell_h + caption_h) + (rows - 1) * MARGIN
    height, width = gt.shape[:2]
    over_h = grid_h - caption_h
    over_w = max(1, round(width * over_h / height))
    if over_w > 2 * cols * cell_w:  # a very wide image: keep the overview no wider than twice the crops
        over_w = 2 * cols * cell_w
        over_h = max(1, round(height * over_w / width))
    canvas_w = MARGIN + over_w + MARGIN + cols * (cell_w + MARGIN)
    canvas_h = MARGIN + grid_h + MARGIN
    canvas = Image.new('RGB', (canvas_w, canvas_h), 'white')
    draw = ImageDraw.Draw(canvas)

    overview = Image.fromarray(np.ascontiguousarray(gt[..., ::-1])).resize((over_w, over_h), Image.LANCZOS)
    canvas.paste(overview, (MARGIN, MARGIN))
    sx, sy = over_w / width, over_h / height
    box = (MARGIN + crop.x * sx, MARGIN + crop.y * sy, MARGIN + (crop.x + crop.w) * sx,
           MARGIN + (crop.y + crop.h) * sy)
    draw.rectangle(box, outline=BOX_COLOUR, width=max(2, round(over_h / 150)))
    draw.text((MARGIN, MARGIN + over_h + 4), f'{title} (GT)', fill='black', font=font)
    draw.text((MARGIN, MARGIN + over_h + 4 + line_h), f'box x={crop.x} y={crop.y} {crop.w}x{crop.h}', fill='gray',
              font=small)
    panels = [('GT overview', (MARGIN, MARGIN, MARGIN + over_w, MARGIN + over_h))]

    left0 = MARGIN + over_w + MARGIN
    for index, (name, img) in enumerate(crops):
        row, col = divmod(index, cols)
        left, top = left0 + col * (cell_w + MARGIN), MARGIN + row * (cell_h + caption_h + MARGIN)
        zoom = Image.fromarray(np.ascontiguousarray(crop.cut(img)[..., ::-1])).resize((cell_w, cell_h),
                                                                                      Image.NEAREST)
        canvas.paste(zoom, (left, top))
        panels.append((name, (left, top, left + cell_w, top + cell_h)))
        y = top + cell_h + 3
        draw.text((left, y), name if name != 'GT' else 'GT (HR)', fill='black', font=font)
        for metric in metrics:
            y += line_h
            value = values.get(name, {}).get(metric)
            if value is None:
                continue
            colour = BEST_COLOUR if value == best[metric] and len(srs) > 1 else 'black'
            draw.text((left, y), f'{METRICS[metric].label} {METRICS[metric].format(value)}', fill=colour, font=font)
    return Figure(canvas, panels)
