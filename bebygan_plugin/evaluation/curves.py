"""``checkpoints.png``: each metric against the training iteration, one panel per metric, one line per dataset and
weight group (net_g solid, EMA dashed), the best point of each line ringed. Drawn with Pillow (no plotting
library needed)."""
import functools
from typing import List, Sequence, Tuple

from PIL import Image, ImageDraw, ImageFont

from .scoring import CSV_ORDER, METRICS

PANEL_W, PANEL_H = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 26, 34  # margins of each panel's plot area
FONT_PX = 13
COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75),
           (23, 190, 207), (127, 127, 127))
GRID = (225, 225, 225)



def _canvas_point(box: Tuple[float, float, float, float], span: Tuple[float, float, float, float], iteration: int,
                  value: float) -> Tuple[float, float]:
    """Canvas ``(x, y)`` of ``(iteration, value)`` in a panel ``box`` (x0, x1, y0, y1) showing ``span`` (first and
    last iteration, lowest and highest value)."""
    (x0, x1, y0, y1), (first, last, low, high) = box, span
    x = x0 + (x1 - x0) * ((iteration - first) / (last - first) if last > first else 0.5)
    return x, y1 - (y1 - y0) * (value - low) / (high - low)

def _ticks(low: float, high: float, count: int = 4) -> List[float]:
    if high == low:
        return [low]
    return [low + (high - low) * i / count for i in range(count + 1)]


def _dashed(draw: ImageDraw.ImageDraw, points: Sequence[Tuple[float, float]], colour, dash: float = 6) -> None:
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
        steps = max(1, int(length // dash))
        for i in range(0, steps, 2):
            a, b = i / steps, min(1, (i + 1) / steps)
            draw.line([(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)],
                      fill=colour, width=2)


def metric_curves(scores) -> Image.Image:
    """The figure of a :class:`~.checkpoints.CheckpointScores` (an empty panel says so when nothing is scored)."""
    font = ImageFont.load_default(size=FONT_PX)
    metrics = [m for m in CSV_ORDER if m in scores.metrics]
    series = scores.series()
    best = {(d, w, m): i for d, w, m, i, _ in scores.best()}
    iterations = sorted({row['iteration'] for row in scores.rows})
    canvas = Image.new('RGB', (PANEL_W, PANEL_H * max(1, len(metrics))), 'white')
    draw = ImageDraw.Draw(canvas)
    for index, metric in enumerate(metrics):
        spec = METRICS[metric]
        top = index * PANEL_H
        x0, x1, y0, y1 = LEFT, PANEL_W - RIGHT, top + TOP, top + PANEL_H - BOTTOM
        better = 'higher' if spec.higher_is_better else 'lower'
        draw.text((LEFT, top + 6), f'{spec.label} ({better} is better)', fill='black', font=font)
        values = [row[metric] for rows in series.values() for row in rows if row.get(metric) is not None]
        if not values or not iterations:
            draw.text((x0, (y0 + y1) / 2), 'no value yet', fill='gray', font=font)
            continue
        low, high = min(values), max(values)
        pad = (high - low) * 0.08 or abs(high) * 0.01 or 1.0
        low, high = low - pad, high + pad
        first, last = iterations[0], iterations[-1]
        xy = functools.partial(_canvas_point, (x0, x1, y0, y1), (first, last, low, high))

        for tick in _ticks(low, high):
            y = xy(first, tick)[1]
            draw.line([(x0, y), (x1, y)], fill=GRID)
            draw.text((4, y - FONT_PX / 2), spec.format(tick), fill='gray', font=font)
        for iteration in iterations if len(iterations) <= 8 else iterations[::-(-len(iterations) // 8)]:
            x = xy(iteration, low)[0]
            draw.line([(x, y1), (x, y1 + 4)], fill='black')
            draw.text((x - 3 * len(str(iteration)), y1 + 6), str(iteration), fill='black', font=font)
        draw.rectangle([x0, y0, x1, y1], outline='black')
        for number, ((dataset, weights), rows) in enumerate(series.items()):
            colour = COLOURS[number % len(COLOURS)]
            points = [xy(r['iteration'], r[metric]) for r in rows if r.get(metric) is not None]
            if len(points) > 1:
                (_dashed(draw, points, colour) if weights == 'params_ema' else
                 draw.line(points, fill=colour, width=2))
            for x, y in points:
                draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
            if (dataset, weights, metric) in best:
                row = next(r for r in rows if r['iteration'] == best[(dataset, weights, metric)])
                x, y = xy(row['iteration'], row[metric])
                draw.ellipse([x - 6, y - 6, x + 6, y + 6], outline=colour, width=2)
            label = f'{dataset} {"EMA" if weights == "params_ema" else "net_g"}'
            draw.text((x1 + 10, y0 + number * (FONT_PX + 4)), label, fill=colour, font=font)
        draw.text((x1 - 50, y1 + 18), 'iteration', fill='gray', font=font)
    return canvas
