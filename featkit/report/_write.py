"""write_report: a RankingResult -> one self-contained HTML file."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
from pathlib import Path

from markupsafe import Markup

from ..exceptions import InputError
from ..io._atomic import atomic_path
from . import _sections

__all__ = ["render_report", "write_report"]

_HERE = Path(__file__).parent


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    # Autoescape everything: column names and notes come from the user's data.
    return Environment(loader=FileSystemLoader(str(_HERE / "templates")), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _static(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def _page_assets() -> dict:
    """The inline CSS and script of a page, and the CSP hash that lets exactly that script run."""
    js = _static("report.js")
    # A hash-based CSP lets exactly this script run: injected inline handlers could not.
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return {"css": Markup(_static("report.css")), "js": Markup(js), "script_hash": f"sha256-{digest}"}


def render_report(result, *, title=None) -> str:
    """The report of ``result`` as an HTML string (see :func:`write_report`)."""
    from .. import __version__
    from ..results import RankingResult

    if isinstance(result, dict):
        result = RankingResult.from_dict(result)
    if not isinstance(result, RankingResult):
        raise InputError(f"write_report needs a RankingResult, got {type(result).__name__}.")
    section = result.sections.evaluation
    evaluation = section.to_dict() if section is not None else {}
    order = _sections._order(result)
    source = (result.meta or {}).get("source")
    if title is None:
        title = f"featkit report: {source}" if source else "featkit report"
    notes = list(result.notes) + list(evaluation.get("notes") or [])
    context = {
        "title": title, "version": __version__,
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        **_page_assets(),
        "top_features": [result.features[i] for i in order[:5]],
        "notes": notes,
        "ov": _sections.overview(result),
        "rk": _sections.ranking(result),
        "ag": _sections.agreement(result, evaluation),
        "cu": _sections.curves(result, evaluation),
        "st": _sections.stability(result, evaluation),
        "rd": _sections.redundancy(result, evaluation),
        "extras": _sections.method_extras(result),
        "at": _sections.attribution(result),
        "dc": _sections.decomposition(result),
        "ft": _sections.footer(result),
    }
    return _environment().get_template("report.html.j2").render(**context)


def write_report(result, path, *, title=None) -> Path:
    """Render a ranking result to one self-contained HTML file.

    The page needs no network (inline CSS, inline SVG charts and a few lines
    of inline JavaScript for sortable tables, allowed by a hash-based Content
    Security Policy) and shows: data overview, the ranking, agreement between
    methods, selection curves, stability, redundancy (and what the methods
    found, e.g. an affinity matrix), model attribution, decomposition and a
    reproducibility footer. A section whose data is not in ``result`` says
    why instead. Every user-provided string is HTML-escaped. Nothing is fitted
    or scored here; the file is written atomically.

    Parameters
    ----------
    result : featkit.results.RankingResult or its ``to_dict()``
    path : str or Path
        Output file (``.html``).
    title : str, default=None

    Returns
    -------
    Path

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from featkit.results import MethodResult, RankingResult
    >>> from featkit.report import write_report
    >>> m = MethodResult("f_test", np.array([3.0, 1.0]), np.array([1, 2]))
    >>> res = RankingResult(["a", "b"], [], "y", "classification", 10, {"f_test": m},
    ...                     np.array([-1.0, -2.0]), np.array([1, 2]))
    >>> out = write_report(res, os.path.join(tempfile.mkdtemp(), "report.html"))
    >>> "<svg" in out.read_text()
    True
    """
    path = Path(path)
    html = render_report(result, title=title)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(html)
    return path
