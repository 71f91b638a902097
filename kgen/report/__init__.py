"""Per-run evaluation reports: `report.json` and a self-contained `report.html`.

Example:
    >>> from kgen.report import build_report
    >>> build_report("runs/dcgan-digits")     # or: kgen eval runs/dcgan-digits
"""

from kgen.report.build import build_report
from kgen.report.html import data_uri, render
from kgen.report.metrics_info import comparability_note, describe_metric, direction

__all__ = ["build_report", "comparability_note", "data_uri", "describe_metric", "direction", "render"]
