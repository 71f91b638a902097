"""A self-contained HTML page: images inline as base64 PNG, no external resources."""

import base64
import html
import math

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; font-family: monospace; }
figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; }
figcaption { font-size: 13px; color: #555; }
img { image-rendering: pixelated; max-width: 100%; border: 1px solid #eee; }
.note { color: #666; font-size: 13px; }
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


def metric_table(metrics):
    """HTML table of `{name: value}`."""
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td class='num'>{_format(v)}</td></tr>"
                   for k, v in metrics.items())
    return f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>"


def render(title, config, metrics, sections, notes=()):
    """Render the report page.

    Args:
        title: page title.
        config: run configuration (shown as a table).
        metrics: `{name: value}`.
        sections: list of `(heading, [(caption, png_bytes), ...])`.
        notes: extra lines shown under the metric table.

    Returns:
        The HTML text.
    """
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if config:
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{_format(v)}</td></tr>"
                       for k, v in config.items() if not isinstance(v, (dict, list)) or k == "input_shape")
        parts.append(f"<h2>Run</h2><table>{rows}</table>")
    parts.append("<h2>Metrics</h2>" + metric_table(metrics))
    for note in notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    for heading, figures in sections:
        if not figures:
            continue
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for caption, png in figures:
            parts.append(f"<figure><img alt='{html.escape(caption)}' src='{data_uri(png)}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)
