"""The files of an evaluation report: ``results.csv`` (per image), ``report.md`` (Table 2's layout) and
``index.html`` (the same table and the figures; a static page that needs no network)."""
import csv
import html
import io
import math
import re
from dataclasses import dataclass, field
from os import path as osp
from typing import Dict, List, Sequence, Tuple

from ..files.atomic import atomic_write
from ..problems import Problem
from .scoring import CSV_ORDER, METRICS

TABLE_ORDER = ('lpips', 'pi', 'psnr', 'ssim',  # Table 2's rows first
               'dists', 'topiq_fr', 'musiq', 'clipiqa', 'niqe', 'flat')
REPORT_FILES = ('results.csv', 'report.md', 'index.html')
_SAFE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')


def name_problems(where: str, kind: str, names: Sequence[str]) -> List[Problem]:
    """Dataset and method names name files and folders of the report: unique, letters, digits and ``_ . + -``."""
    problems = [Problem(where, f'two {kind}s are named {n!r}; give each its own NAME')
                for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [Problem(where, f'{kind} name {n!r}: use letters, digits and _ . + - only (it names files and '
                                'folders of the report)') for n in dict.fromkeys(names) if not _SAFE_NAME.match(n)]
    return problems


@dataclass
class Evaluation:
    """Everything a report shows: per-image rows, and what was run and how."""

    methods: List[str]  # column order
    method_sources: Dict[str, str]
    datasets: Dict[str, str]  # name -> where its LR comes from
    metrics: List[str]  # computed
    skipped_metrics: Dict[str, str]  # metric -> why it was not computed
    scale: int
    paper: bool = False  # show Table 2's published values beside the measured ones
    rows: List[Dict] = field(default_factory=list)  # dataset, image, method, <metric>: float | None
    notes: List[str] = field(default_factory=list)  # metric cells left empty, and why
    figures: List[Dict] = field(default_factory=list)  # dataset, image, path (relative to the report folder)

    def mean(self, dataset: str, method: str, metric: str):
        """``(mean, images with a value, images)`` of ``metric`` over the dataset's images (mean None: no value)."""
        values = [r[metric] for r in self.rows if r['dataset'] == dataset and r['method'] == method]
        present = [v for v in values if v is not None]
        return (sum(present) / len(present) if present else None), len(present), len(values)

    def image_count(self, dataset: str) -> int:
        return len({r['image'] for r in self.rows if r['dataset'] == dataset})


def results_csv(evaluation: Evaluation) -> str:
    """One row per dataset x image x method; columns: the default metrics and those computed on request; a
    metric not computed (or failed on that image) is empty."""
    columns = [m for m in CSV_ORDER if METRICS[m].default or m in evaluation.metrics]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['dataset', 'image', 'method', *columns])
    for row in evaluation.rows:
        writer.writerow([row['dataset'], row['image'], row['method'],
                         *('' if row.get(m) is None else repr(float(row[m])) for m in columns)])
    return out.getvalue()


def _table(evaluation: Evaluation):
    """Rows of the summary table: ``(dataset label, metric label, [(text, bold)] per method)``."""
    shown = [m for m in TABLE_ORDER if m in evaluation.metrics]
    table = []
    for dataset in evaluation.datasets:
        for index, metric in enumerate(shown):
            spec = METRICS[metric]
            cells = []
            for method in evaluation.methods:
                mean, present, total = evaluation.mean(dataset, method, metric)
                text = spec.format(mean) if mean is not None else '–'
                if mean is not None and present < total:
                    text += f' ({present}/{total})'
                cells.append((text, mean))
            finite = [c[1] for c in cells if c[1] is not None and not math.isnan(c[1])]
            best = (max(finite) if spec.higher_is_better else min(finite)) if len(finite) > 1 else None
            row = [(text, best is not None and mean is not None and spec.format(mean) == spec.format(best))
                   for text, mean in cells]
            label = f'{dataset} ({evaluation.image_count(dataset)})' if index == 0 else ''
            table.append((label, f'{spec.label} {spec.arrow}', row))
    return table


def protocol(evaluation: Evaluation) -> List[str]:
    """The protocol as sentences (shared by the Markdown and the HTML)."""
    lines = [f'x{evaluation.scale} super-resolution. Means over the images of each dataset (their number in '
             'brackets); ↑ higher is better, ↓ lower is better; the best of each row in bold.']
    for dataset, source in evaluation.datasets.items():
        lines.append(f'{dataset}: {source}.')
    border = f'{evaluation.scale}-pixel border cropped'
    described = {
        'psnr': f'PSNR and SSIM: Y channel (MATLAB YCbCr), {border}, BasicSR\'s calculate_psnr / calculate_ssim.',
        'lpips': f'LPIPS: VGG backbone (the paper\'s choice), RGB, {border}.',
        'dists': f'DISTS: pyiqa\'s implementation and weights, RGB, {border}.',
        'topiq_fr': f'TOPIQ-FR: pyiqa\'s topiq_fr (trained on KADID-10k), RGB, {border}.',
        'musiq': f'MUSIQ: pyiqa\'s musiq (trained on KonIQ-10k), no reference, RGB, {border}.',
        'clipiqa': f'CLIPIQA: pyiqa\'s clipiqa (CLIP RN50), no reference, RGB, {border}.',
        'niqe': f'NIQE: BasicSR\'s calculate_niqe (its shipped pristine parameters), Y channel, {border}.',
        'pi': 'PI = ((10 − Ma) + NIQE) / 2 (PIRM 2018), pyiqa\'s implementation, Y channel, 4-pixel border cropped '
              '(the PIRM protocol, at every scale).',
        'flat': 'flat MAE: mean |SR − GT| (8-bit levels, RGB) over the GT\'s flat pixels, where the Eq. 5 texture '
                f'mask of the GT (std of the luminance over 11x11 windows < 0.025) is 0; {border}. '
                'Lower means fewer artifacts in flat regions.',
    }
    lines += [text for metric, text in described.items() if metric in evaluation.metrics or
              (metric == 'psnr' and 'ssim' in evaluation.metrics)]
    return lines


def markdown_table(evaluation: Evaluation) -> List[str]:
    """Table 2's layout in Markdown: datasets x metrics as rows, methods as columns, the best of a row in bold."""
    lines = ['| Dataset | Metric | ' + ' | '.join(evaluation.methods) + ' |',
             '| --- | --- |' + ' ---: |' * len(evaluation.methods)]
    for dataset, metric, cells in _table(evaluation):
        lines.append(f'| {dataset} | {metric} | ' + ' | '.join(f'**{t}**' if bold else t for t, bold in cells) + ' |')
    return lines


def paper_rows(evaluation: Evaluation) -> List[Tuple[str, str, str, str, str, str]]:
    """Table 2 beside the measured means, where dataset, method and metric match: ``(dataset, metric, method,
    published, measured, measured - published)`` as text."""
    from .paper_table2 import METRICS as PAPER_METRICS
    from .paper_table2 import SCALE, published

    rows = []
    if evaluation.scale != SCALE:
        return rows
    for dataset in evaluation.datasets:
        for metric in (m for m in PAPER_METRICS if m in evaluation.metrics):
            spec = METRICS[metric]
            for method in evaluation.methods:
                value = published(dataset, method, metric)
                mean = evaluation.mean(dataset, method, metric)[0]
                if value is None or mean is None:
                    continue
                rows.append((dataset, f'{spec.label} {spec.arrow}', method, spec.format(value), spec.format(mean),
                             f'{mean - value:+.{spec.decimals}f}'))
    return rows


def paper_section(evaluation: Evaluation) -> Tuple[List[str], List[Tuple[str, ...]]]:
    """``--paper``: the sentences above the comparison and its rows (:func:`paper_rows`)."""
    from .paper_table2 import METHODS, SCALE, SOURCE, TABLE2

    rows = paper_rows(evaluation)
    lines = [f'Published: {SOURCE}. Measured: this run. Difference: measured − published.']
    if evaluation.scale != SCALE:
        lines.append(f'Table 2 is x{SCALE}; this evaluation is x{evaluation.scale}: nothing to compare.')
    elif not rows:
        lines.append(f'No dataset and method of this run match Table 2 (datasets {", ".join(TABLE2)}, also B100 / '
                     f'BSD100 / DIV2K_valid; methods {", ".join(METHODS)}; names compared without case, - and _; '
                     'metrics LPIPS, PI, PSNR, SSIM).')
    return lines, rows


def report_markdown(evaluation: Evaluation) -> str:
    """``report.md``: the table (:func:`markdown_table`), Table 2 beside it (``--paper``), the protocol, the
    methods, what was not computed."""
    lines = ['# Evaluation', ''] + markdown_table(evaluation)
    if evaluation.paper:
        notes, rows = paper_section(evaluation)
        lines += ['', '## Against the paper (Table 2)', ''] + notes
        if rows:
            lines += ['', '| Dataset | Metric | Method | Paper | Measured | Difference |',
                      '| --- | --- | --- | ---: | ---: | ---: |'] + ['| ' + ' | '.join(row) + ' |' for row in rows]
    lines += ['', '## Protocol', '']
    lines += [f'- {line}' for line in protocol(evaluation)]
    lines += ['', '## Methods', ''] + [f'- {name}: {evaluation.method_sources[name]}' for name in evaluation.methods]
    if evaluation.skipped_metrics:
        lines += ['', '## Not computed', '']
        lines += [f'- {METRICS[m].label}: {why}' for m, why in evaluation.skipped_metrics.items()]
    if evaluation.notes:
        lines += ['', '## Left empty', ''] + [f'- {note}' for note in evaluation.notes]
    lines += ['', 'Per-image values: `results.csv`. Super-resolved images: `sr/<method>/<dataset>/`. Figures: '
              '`figures/` and `index.html`.', '']
    return '\n'.join(lines)


def report_html(evaluation: Evaluation) -> str:
    """``index.html``: the table, the protocol and every figure; one file that opens offline (images are local)."""
    esc = html.escape
    head = ''.join(f'<th>{esc(m)}</th>' for m in evaluation.methods)
    body = []
    for dataset, metric, cells in _table(evaluation):
        tds = ''.join(f'<td>{"<b>" + esc(t) + "</b>" if bold else esc(t)}</td>' for t, bold in cells)
        body.append(f'<tr><th>{esc(dataset)}</th><th>{esc(metric)}</th>{tds}</tr>')
    figures = ''.join(
        f'<figure><img src="{esc(f["path"])}" alt="{esc(f["dataset"])} / {esc(f["image"])}" loading="lazy">'
        f'<figcaption>{esc(f["dataset"])} / {esc(f["image"])}</figcaption></figure>' for f in evaluation.figures)
    lists = [('Protocol', protocol(evaluation)),
             ('Methods', [f'{m}: {evaluation.method_sources[m]}' for m in evaluation.methods])]
    if evaluation.skipped_metrics:
        lists.append(('Not computed', [f'{METRICS[m].label}: {w}' for m, w in evaluation.skipped_metrics.items()]))
    if evaluation.notes:
        lists.append(('Left empty', evaluation.notes))
    sections = ''.join(f'<h2>{esc(title)}</h2><ul>' + ''.join(f'<li>{esc(i)}</li>' for i in items) + '</ul>'
                       for title, items in lists)
    if evaluation.paper:
        notes, rows = paper_section(evaluation)
        heads = ('Dataset', 'Metric', 'Method', 'Paper', 'Measured', 'Difference')
        table = (('<table><thead><tr>' + ''.join(f'<th>{h}</th>' for h in heads) + '</tr></thead><tbody>'
                  + ''.join('<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in row) + '</tr>' for row in rows)
                  + '</tbody></table>') if rows else '')
        sections = (f'<h2>Against the paper (Table 2)</h2><p>{esc(" ".join(notes))}</p>{table}' + sections)
    style = ('body{font-family:sans-serif;margin:2em;max-width:100em}table{border-collapse:collapse}'
             'td,th{border:1px solid #ccc;padding:.3em .7em}td{text-align:right}'
             'figure{margin:1em 0}img{max-width:100%}figcaption{color:#555}')
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>bebygan-eval report</title>'
            f'<style>{style}</style></head><body><h1>Evaluation</h1>'
            f'<table><thead><tr><th>Dataset</th><th>Metric</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f'</table>{sections}<h2>Figures</h2><p>The GT with the zoom box, then the same crop of each method and '
            'of the GT; values beneath are for the whole image (best in red). Per-image values: '
            f'<a href="results.csv">results.csv</a>.</p>{figures}</body></html>\n')


def write_report(evaluation: Evaluation, out_dir: str) -> Dict[str, str]:
    """Write ``results.csv``, ``report.md`` and ``index.html`` into ``out_dir``; returns their paths."""
    paths = {name: osp.join(out_dir, name) for name in REPORT_FILES}
    for name, text in (('results.csv', results_csv(evaluation)), ('report.md', report_markdown(evaluation)),
                       ('index.html', report_html(evaluation))):
        data = text.encode('utf-8')
        atomic_write(paths[name], lambda f, data=data: f.write(data))
    return paths
