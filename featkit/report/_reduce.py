"""The report of ``featkit reduce``: a ReductionSection -> one self-contained HTML page.

Explained variance, loadings and the rows' scores on the first two components,
coloured by the target. Everything shown was computed by
:meth:`featkit.decomposition.FileReduction.to_section`.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
from markupsafe import Markup

from ..exceptions import InputError
from . import _svg
from ._write import _environment, _page_assets

__all__ = ["render_reduction_report"]

# More features than this: the loadings heatmap shows those with the largest loadings.
_HEATMAP_FEATURES = 40
# More target values than this: the target is read as a number (a colour scale), not as classes.
_MAX_CLASSES = 12


def _class_scatter(scores, labels, *, title, xlabel, ylabel, width=560, height=420) -> Markup:
    """Points coloured by class, with a legend; unlabelled points grey."""
    Z = np.asarray(scores, dtype=float)
    classes = sorted({str(v) for v in labels if v is not None})
    colour = {c: _svg.PALETTE[i % len(_svg.PALETTE)] for i, c in enumerate(classes)}
    legend_w = 16 + 6.4 * max((len(_svg._short(c, 20)) for c in classes), default=0) + 20
    body = []
    x0, y0 = 56, 24
    w, h = width - x0 - legend_w - 10, height - y0 - 42
    body.append(f'<text x="4" y="14" font-weight="600">{_svg.esc(title)}</text>')
    xs, ys = Z[:, 0], (Z[:, 1] if Z.shape[1] > 1 else np.zeros(Z.shape[0]))
    pad_x = (xs.max() - xs.min()) * 0.04 or 0.5
    pad_y = (ys.max() - ys.min()) * 0.05 or 0.5
    sx, sy = _svg._axes(body, x0, y0, w, h, xs.min() - pad_x, xs.max() + pad_x, ys.min() - pad_y,
                        ys.max() + pad_y, xlabel, ylabel)
    for x, y, lab in zip(xs, ys, labels):
        fill = colour.get(str(lab), "#999") if lab is not None else "#999"
        body.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.4" fill="{fill}" fill-opacity="0.7"/>')
    lx = x0 + w + 14
    for i, c in enumerate(classes):
        ly = y0 + 6 + 16 * i
        body.append(f'<g><title>{_svg.esc(c)}</title><circle cx="{lx + 4}" cy="{ly}" r="4" fill="{colour[c]}"/>'
                    f'<text x="{lx + 12}" y="{ly + 4}">{_svg.esc(_svg._short(c, 20))}</text></g>')
    return _svg._svg(width, height, body, title)


def _score_plot(section) -> Markup | None:
    if not section.scores:
        return None
    name = section.method.upper() if section.method == "pca" else section.method
    axis = [f"{name} component 1", f"{name} component 2"]
    title = "Scores of the rows" + (f", coloured by {section.target}" if section.target else "")
    values = section.target_values
    numeric = values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
                             if v is not None)
    if section.target and numeric and len({v for v in values if v is not None}) > _MAX_CLASSES:
        Z = np.asarray(section.scores, dtype=float)
        return _svg.scatter(Z[:, 0], Z[:, 1] if Z.shape[1] > 1 else np.zeros(len(Z)), title=title,
                            xlabel=axis[0], ylabel=axis[1], width=560, height=420,
                            colour_values=[math.nan if v is None else v for v in values])
    labels = values if section.target else [None] * len(section.scores)
    return _class_scatter(section.scores, labels, title=title, xlabel=axis[0], ylabel=axis[1])


def _context(section) -> dict:
    ratio = [float(r) for r in section.explained_variance_ratio]
    k = len(section.loadings)
    names = [f"PC{i + 1}" for i in range(k)]
    has_ratio = any(math.isfinite(r) for r in ratio)
    variance = _svg.bar_chart(names[: len(ratio)], ratio, title="Explained variance ratio",
                              annotations=[f"{100 * r:.1f}%" if math.isfinite(r) else "\u2014" for r in ratio]) \
        if has_ratio else None
    L = np.asarray(section.loadings, dtype=float)
    shown = np.arange(L.shape[1]) if L.size else np.zeros(0, dtype=int)
    if L.shape[1] > _HEATMAP_FEATURES:
        shown = np.sort(np.argsort(-np.abs(L[: min(k, 5)]).max(axis=0), kind="stable")[:_HEATMAP_FEATURES])
    top = float(np.abs(L).max()) if L.size else 1.0
    heat = _svg.heatmap(L[: min(k, 10)][:, shown], names[:10], [section.features[j] for j in shown],
                        title="Loadings (components x features)", vmin=-top, vmax=top, diverging=True)
    rows = [{"feature": f, "values": [_svg.fmt(L[c, j], 3) for c in range(min(k, 5))],
             "raw": [float(L[c, j]) for c in range(min(k, 5))]} for j, f in enumerate(section.features)]
    return {"names": names, "ratio": [f"{100 * r:.1f}%" if math.isfinite(r) else "\u2014" for r in ratio],
            "variance": variance, "heatmap": heat, "n_heat": len(shown), "rows": rows,
            "table_names": names[:5], "scores": _score_plot(section)}


def render_reduction_report(section, *, title=None, command=None) -> str:
    """The report of a reduction as an HTML string.

    Parameters
    ----------
    section : featkit.sections.ReductionSection or its ``to_dict()``
    title : str, default=None
    command : str, default=None
        The command line that made it, shown in the footer.

    Returns
    -------
    str

    Examples
    --------
    >>> from featkit.datasets import example_path
    >>> from featkit.decomposition import reduce_file
    >>> from featkit.report import render_reduction_report
    >>> reduction = reduce_file(example_path("wine"), 2, target="cultivar", standardize=True)
    >>> html = render_reduction_report(reduction.to_section())
    >>> "Loadings" in html and "coloured by cultivar" in html
    True
    """
    from .. import __version__
    from ..sections import ReductionSection

    if isinstance(section, dict):
        section = ReductionSection.from_dict(section)
    if not isinstance(section, ReductionSection):
        raise InputError(f"render_reduction_report needs a ReductionSection, got {type(section).__name__}.")
    context = {
        "title": title or "featkit reduce", "version": __version__, "command": command,
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "s": section, "r": _context(section), **_page_assets(),
    }
    return _environment().get_template("reduce.html.j2").render(**context)
