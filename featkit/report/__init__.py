"""The HTML report: a ranking result -> one self-contained page (inline SVG, no network).

The report arranges what the library computed; it never fits a model or
computes a score itself.
"""

from ._reduce import render_reduction_report
from ._write import render_report, write_report

__all__ = ["render_reduction_report", "render_report", "write_report"]
