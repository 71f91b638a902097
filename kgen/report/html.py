"""A self-contained HTML page: images inline as base64 PNG, no external resources."""

import base64
import html
import math

from kgen.report.metrics_info import direction_mark

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; font-family: monospace; }
figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; }
figcaption { font-size: 13px; color: #555; }
img { image-rendering: pixelated; max-width: 100%; border: 1px solid #eee; }
.note { color: #666; font-size: 13px; max-width: 900px; }
td.better { white-space: nowrap; color: #2a6; }
"""

# Marks the page once every image decoded, so a headless browser's DOM dump
# shows whether the inline images rendered.
_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images-rendered', ok + '/' + imgs.length);
});
"""


def data_uri(png_bytes):
    """`data:image/png;base64,...` for PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def _format(value):
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    return html.escape(str(value))


def metric_table(metrics, notes=None):
    """HTML table of `{name: value}`, with each metric's better direction and meaning from `notes`."""
    notes = notes or {}
    rows = []
    for name, value in metrics.items():
        if value is None:
            continue
        meaning = notes.get(name, "")
        mark = direction_mark(name)
        if mark and meaning.startswith(mark):
            meaning = meaning[len(mark):].lstrip("; ")
        rows.append(f"<tr><td>{html.escape(name)}</td><td class='num'>{_format(value)}</td>"
                    f"<td class='better'>{html.escape(mark)}</td><td>{html.escape(meaning)}</td></tr>")
    return ("<table class='metrics'><tr><th>metric</th><th>value</th><th>better</th>"
            f"<th>what it measures</th></tr>{''.join(rows)}</table>")


def export_table(export):
    """HTML section of the run's export bundle (`export/report.json`), or "" without one."""
    if not export or not export.get("rows"):
        return ""
    columns = [("endpoint", "endpoint"), ("variant", "variant"), ("size_kb", "size KB"),
               ("psnr_db", "PSNR dB"), ("snr_db", "SNR dB"), ("max_abs_error", "max |error|"),
               ("floor_db", "floor dB"), ("latency_ms_1_thread", "LiteRT ms (1 thread)"),
               ("passed", "passed")]
    shown = [(key, title) for key, title in columns
             if any(row.get(key) is not None for row in export["rows"])]
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in shown)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{_format(row.get(key))}</td>" if row.get(key) is not None
                         else "<td></td>" for key, _ in shown) + "</tr>"
        for row in export["rows"])
    verdict = "every variant passed its floor" if export.get("passed") else "some variants failed"
    return (f"<h2 id='export'>Export</h2><p class='note'>{html.escape(export['bundle'])}: "
            f"{verdict}. PSNR/SNR against the SavedModel on the same inputs; latency is the "
            f"batch-1 median.</p><table class='export'><tr>{head}</tr>{body}</table>")


def render(title, config, metrics, sections, notes=(), metric_notes=None, export=None):
    """Render the report page.

    Args:
        title: page title.
        config: run configuration (shown as a table; unset values left out).
        metrics: `{name: value}`.
        sections: list of `(heading, [(caption, png_bytes), ...])`.
        notes: extra lines shown under the metric table.
        metric_notes: `{metric: "↓ lower is better; what it measures"}`.
        export: the export summary (`build._export_summary`), or None.

    Returns:
        The HTML text.
    """
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if config:
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{_format(v)}</td></tr>"
                       for k, v in config.items()
                       if v is not None and (not isinstance(v, (dict, list)) or k == "input_shape"))
        parts.append(f"<h2>Run</h2><table>{rows}</table>")
    parts.append("<h2 id='metrics'>Metrics</h2>" + metric_table(metrics, metric_notes))
    for note in notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    for heading, figures in sections:
        if not figures:
            continue
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for caption, png in figures:
            parts.append(f"<figure><img alt='{html.escape(caption)}' src='{data_uri(png)}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append(export_table(export))
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)
