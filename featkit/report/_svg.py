"""Small inline-SVG charts for the report: bars, heatmaps, lines, beeswarm, scatter.

Every piece of text that reaches the SVG goes through :func:`esc`; the charts
are returned as :class:`markupsafe.Markup` so the (autoescaping) template
inserts them as they are. No JavaScript, no external files.
"""

from __future__ import annotations

import html
import math

import numpy as np
from markupsafe import Markup

__all__ = ["bar_chart", "heatmap", "line_chart", "beeswarm", "scatter", "esc", "fit_label", "fmt", "text_width",
           "PALETTE"]

# Colour-blind-friendly categorical palette (Okabe & Ito 2008, plus greys).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000", "#7F7F7F", "#8C564B", "#17BECF", "#BCBD22"]
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'


def esc(text) -> str:
    """Escape text for HTML / SVG content and attribute values."""
    return html.escape(str(text), quote=True)


def fmt(value, digits: int = 4) -> str:
    """A short human number: 4 significant digits, thousands as is, None/NaN as a dash."""
    if value is None:
        return "\u2014"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "\u2014"
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e9:
        return f"{int(v):d}"
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:.{digits}g}"
    return f"{v:.{max(digits - 1, 1)}e}"


def _short(label, n: int = 28) -> str:
    s = str(label)
    return s if len(s) <= n else s[: n - 1] + "\u2026"


# Advance widths of a sans-serif font in em (Helvetica/Arial-like), by character
# class: a label's extent is estimated from its characters, not its length.
_NARROW = set("iljtfrI.,;:'|!()[] ")
_WIDE = set("mwMWOQGDHNU@%&")


def text_width(text, size: float = 11.0) -> float:
    """Estimated width in px of ``text`` at font ``size`` (errs on the wide side).

    Examples
    --------
    >>> text_width("ill") < text_width("MWM")
    True
    """
    em = 0.0
    for ch in str(text):
        if ch in _NARROW:
            em += 0.32
        elif ch in _WIDE or ord(ch) > 0x2E80:  # CJK and other full-width characters
            em += 0.95
        elif ch.isupper() or ch.isdigit():
            em += 0.68
        else:
            em += 0.58
    return em * size


def fit_label(text, max_px: float, size: float = 11.0) -> str:
    """``text`` cut with an ellipsis so that it fits ``max_px`` at font ``size``.

    Examples
    --------
    >>> fit_label("a_very_long_feature_name", 60)
    'a_very_lo\u2026'
    """
    s = str(text)
    if text_width(s, size) <= max_px:
        return s
    while s and text_width(s + "\u2026", size) > max_px:
        s = s[:-1]
    return s + "\u2026"


def _svg(width, height, body, label) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{esc(label)}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" {FONT} '
        f'font-size="11">{"".join(body)}</svg>'
    )


def _lerp(c1, c2, t):
    return tuple(round(a + (b - a) * t) for a, b in zip(c1, c2))


def sequential_colour(t: float) -> str:
    """White (0) to dark blue (1)."""
    if t is None or not math.isfinite(t):
        return "#eeeeee"
    t = min(max(t, 0.0), 1.0)
    stops = [(255, 255, 255), (158, 202, 225), (33, 113, 181), (8, 48, 107)]
    pos = t * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    r, g, b = _lerp(stops[i], stops[i + 1], pos - i)
    return f"#{r:02x}{g:02x}{b:02x}"


def diverging_colour(t: float) -> str:
    """Blue (-1) through white (0) to red (+1)."""
    if t is None or not math.isfinite(t):
        return "#eeeeee"
    t = min(max(t, -1.0), 1.0)
    if t < 0:
        r, g, b = _lerp((255, 255, 255), (33, 102, 172), -t)
    else:
        r, g, b = _lerp((255, 255, 255), (178, 24, 43), t)
    return f"#{r:02x}{g:02x}{b:02x}"


def value_colour(t: float) -> str:
    """Feature-value colour of the beeswarm: blue (low) to magenta-red (high)."""
    if t is None or not math.isfinite(t):
        return "#9a9a9a"
    r, g, b = _lerp((0, 139, 230), (255, 0, 82), min(max(t, 0.0), 1.0))
    return f"#{r:02x}{g:02x}{b:02x}"


def _nice_ticks(lo, hi, n=5):
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = start
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 12))
        v += step
    return ticks


def bar_chart(labels, values, *, title="", width=640, bar_height=18, value_label=None,
              colour=PALETTE[0], annotations=None, colours=None, reference=None,
              reference_label="") -> Markup:
    """Horizontal bars, one per label, longest = largest value (values >= 0).

    ``colours`` (one per bar) overrides ``colour``; ``reference`` draws a dashed
    vertical line at that value, labelled ``reference_label``.
    """
    labels = [str(x) for x in labels]
    vals = [0.0 if v is None or not math.isfinite(float(v)) else float(v) for v in values]
    # The left margin fits the longest label up to 240 px; longer ones are cut
    # with an ellipsis (the bar's <title> has the full name).
    left = 12 + min(240.0, max((text_width(x) for x in labels), default=24.0))
    shown = [fit_label(x, left - 12) for x in labels]
    notes = [str(a) for a in annotations] if annotations else [fmt(v) for v in values]
    right = 16 + max((text_width(a) for a in notes), default=24.0)
    width = max(width, left + right + 120, 14 + 6.6 * len(str(title)))
    top = 22 if title else 6
    h = top + bar_height * len(labels) + 24
    vmax = max(max(vals, default=0.0), 1e-300)
    ref = float(reference) if reference is not None and math.isfinite(float(reference)) else None
    if ref is not None:
        vmax = max(vmax, ref)
        h += 14
    body = []
    if title:
        body.append(f'<text x="4" y="14" font-weight="600">{esc(title)}</text>')
    plot_w = width - left - right
    for i, (lab, v) in enumerate(zip(labels, vals)):
        y = top + i * bar_height
        w = max(plot_w * max(v, 0.0) / vmax, 0.0)
        note = notes[i]
        body.append(
            f'<g><title>{esc(lab)}: {esc(note)}</title>'
            f'<text x="{left - 6:.1f}" y="{y + bar_height * 0.68:.1f}" text-anchor="end">{esc(shown[i])}</text>'
            f'<rect x="{left:.1f}" y="{y + 2:.1f}" width="{w:.1f}" height="{bar_height - 4}" '
            f'fill="{colours[i] if colours else colour}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + bar_height * 0.68:.1f}" fill="#444">{esc(note)}</text></g>'
        )
    if ref is not None:
        x = left + plot_w * max(ref, 0.0) / vmax
        bottom = top + bar_height * len(labels)
        body.append(f'<g class="reference"><title>{esc(reference_label)}: {esc(fmt(ref))}</title>'
                    f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                    f'stroke="{PALETTE[3]}" stroke-width="1.5" stroke-dasharray="4 3"/>'
                    f'<text x="{x:.1f}" y="{bottom + 12:.1f}" text-anchor="middle" fill="{PALETTE[3]}">'
                    f'{esc(reference_label)} {esc(fmt(ref))}</text></g>')
    if value_label:
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{h - 6}" text-anchor="middle" fill="#555">'
                    f'{esc(value_label)}</text>')
    return _svg(width, h, body, title or "bar chart")


def heatmap(matrix, row_labels, col_labels=None, *, title="", vmin=0.0, vmax=1.0, diverging=False,
            cell=None, show_values=None, max_size=760, legend=True) -> Markup:
    """A matrix as coloured cells, labels on the left and on top (rotated)."""
    M = np.asarray([[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    rows = [str(x) for x in row_labels]
    cols = rows if col_labels is None else [str(x) for x in col_labels]
    nr, nc = M.shape if M.size else (len(rows), len(cols))
    if cell is None:
        cell = max(6.0, min(34.0, (max_size - 180) / max(nr, nc, 1)))
    if show_values is None:
        show_values = cell >= 26 and nr * nc <= 400
    label_font = max(7.0, min(11.0, cell * 0.8))
    # Labels are cut to 200 px with an ellipsis (hover shows the full name);
    # the margins fit the longest label as cut.
    row_shown = [fit_label(x, 200, label_font) for x in rows]
    col_shown = [fit_label(x, 200, label_font) for x in cols]
    left = 10 + max((text_width(x, label_font) for x in row_shown), default=20.0)
    col_px = max((text_width(x, label_font) for x in col_shown), default=20.0)
    # Column labels are rotated by 50 degrees: sin 50 = 0.77 of their length is
    # above the cells, cos 50 = 0.64 to the right of where they start.
    top = (24 if title else 6) + col_px * 0.77 + label_font
    col_len = col_px * 0.64
    width = max(left + nc * cell + max(70 if legend else 10, col_len), 14 + 6.8 * len(str(title)))
    height = top + nr * cell + 10
    body = []
    if title:
        body.append(f'<text x="4" y="14" font-weight="600" font-size="12">{esc(title)}</text>')
    with_titles = nr * nc <= 3000  # hover text costs bytes; skip it on big matrices
    span = (vmax - vmin) or 1.0
    for i in range(nr):
        y = top + i * cell
        body.append(f'<text x="{left - 4:.1f}" y="{y + cell * 0.7:.1f}" text-anchor="end" '
                    f'font-size="{label_font:.1f}"><title>{esc(rows[i])}</title>{esc(row_shown[i])}</text>')
        for j in range(nc):
            v = M[i, j]
            t = (v - vmin) / span
            colour = diverging_colour(2 * t - 1) if diverging else sequential_colour(t)
            x = left + j * cell
            tip = f"<title>{esc(rows[i])} / {esc(cols[j])}: {esc(fmt(v, 3))}</title>" if with_titles else ""
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                        f'fill="{colour}">{tip}</rect>')
            if show_values and math.isfinite(v):
                ink = "#fff" if (abs(2 * t - 1) > 0.6 if diverging else t > 0.6) else "#222"
                body.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell * 0.62:.1f}" text-anchor="middle" '
                            f'font-size="{min(10, cell * 0.34):.1f}" fill="{ink}">{esc(fmt(v, 2))}</text>')
    for j in range(nc):
        x = left + j * cell + cell * 0.65
        body.append(f'<text transform="translate({x:.1f},{top - 4:.1f}) rotate(-50)" '
                    f'font-size="{label_font:.1f}"><title>{esc(cols[j])}</title>{esc(col_shown[j])}</text>')
    if legend:
        lx = left + nc * cell + 16
        steps = 20
        lh = min(nr * cell, 160)
        for s in range(steps):
            t = 1 - s / (steps - 1)
            colour = diverging_colour(2 * t - 1) if diverging else sequential_colour(t)
            body.append(f'<rect x="{lx:.1f}" y="{top + s * lh / steps:.1f}" width="12" '
                        f'height="{lh / steps + 0.5:.1f}" fill="{colour}"/>')
        body.append(f'<text x="{lx + 16:.1f}" y="{top + 8:.1f}" font-size="10">{esc(fmt(vmax, 2))}</text>')
        body.append(f'<text x="{lx + 16:.1f}" y="{top + lh:.1f}" font-size="10">{esc(fmt(vmin, 2))}</text>')
    return _svg(width, height, body, title or "heatmap")


def _axes(body, x0, y0, w, h, xlo, xhi, ylo, yhi, xlabel, ylabel, xticks=None, xtick_labels=None,
          yticks=True):
    body.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>')

    def sx(v):
        return x0 + (v - xlo) / ((xhi - xlo) or 1) * w

    def sy(v):
        return y0 + h - (v - ylo) / ((yhi - ylo) or 1) * h

    for t in (_nice_ticks(ylo, yhi) if yticks else []):
        body.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="#eee"/>'
                    f'<text x="{x0 - 4}" y="{sy(t) + 3:.1f}" text-anchor="end" fill="#555">{esc(fmt(t, 3))}</text>')
    ticks = xticks if xticks is not None else _nice_ticks(xlo, xhi)
    labels = xtick_labels if xtick_labels is not None else [fmt(t, 3) for t in ticks]
    # Every k-th label, each cut to its share of the axis, so neighbours never overlap.
    every = 1
    if len(ticks) > 1:
        while every < len(ticks) and (w / math.ceil(len(ticks) / every)) < 28:
            every += 1
    room = w / max(math.ceil(len(ticks) / every), 1) - 6
    for n, (t, lab) in enumerate(zip(ticks, labels)):
        body.append(f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{y0 + h}" y2="{y0 + h + 4}" stroke="#888"/>')
        if n % every == 0:
            body.append(f'<text x="{sx(t):.1f}" y="{y0 + h + 15}" text-anchor="middle" fill="#555">'
                        f'<title>{esc(lab)}</title>{esc(fit_label(lab, room))}</text>')
    if xlabel:
        body.append(f'<text x="{x0 + w / 2:.1f}" y="{y0 + h + 30}" text-anchor="middle">{esc(xlabel)}</text>')
    if ylabel:
        body.append(f'<text transform="translate({x0 - 42},{y0 + h / 2:.1f}) rotate(-90)" '
                    f'text-anchor="middle">{esc(ylabel)}</text>')
    return sx, sy


def line_chart(x, series: dict, *, title="", xlabel="", ylabel="", reference=None,
               reference_label="", log_x=False, width=680, height=340, band=None) -> Markup:
    """One line per series (None values leave gaps), with an optional horizontal reference."""
    xs = np.asarray(x, dtype=float)
    tx = np.log10(xs) if log_x else xs
    all_y = [float(v) for ys in series.values() for v in ys if v is not None and math.isfinite(float(v))]
    if reference is not None and math.isfinite(reference):
        all_y.append(float(reference))
    if not all_y or xs.size == 0:
        return _svg(width, 40, ['<text x="4" y="20">No values to plot.</text>'], title or "line chart")
    ylo, yhi = min(all_y), max(all_y)
    pad = (yhi - ylo) * 0.08 or 0.05
    ylo, yhi = ylo - pad, yhi + pad
    legend_w = 170
    x0, y0 = 60, 26 if title else 10
    w, h = width - x0 - legend_w - 10, height - y0 - 42
    body = []
    if title:
        body.append(f'<text x="4" y="14" font-weight="600">{esc(title)}</text>')
    xticks = list(tx) if xs.size <= 16 else None
    xlabels = [fmt(v) for v in xs] if xs.size <= 16 else None
    sx, sy = _axes(body, x0, y0, w, h, float(tx.min()), float(tx.max()) if tx.max() > tx.min() else float(tx.min()) + 1,
                   ylo, yhi, xlabel, ylabel, xticks, xlabels)
    if reference is not None and math.isfinite(reference):
        body.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{sy(reference):.1f}" y2="{sy(reference):.1f}" '
                    f'stroke="#444" stroke-dasharray="5 4"/>')
    for i, (name, ys) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        pts = []
        segs = []
        for xv, yv in zip(tx, ys):
            if yv is None or not math.isfinite(float(yv)):
                if pts:
                    segs.append(pts)
                pts = []
                continue
            pts.append((sx(xv), sy(float(yv))))
        if pts:
            segs.append(pts)
        width_line = 3 if name == "consensus" else 1.8
        for seg in segs:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width_line}">'
                        f'<title>{esc(name)}</title></polyline>')
            for px, py in seg:
                body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.4" fill="{colour}"/>')
        ly = y0 + 6 + i * 16
        body.append(f'<line x1="{x0 + w + 14}" x2="{x0 + w + 34}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                    f'stroke-width="{width_line}"/><text x="{x0 + w + 40}" y="{ly + 4}">{esc(_short(name, 20))}</text>')
    if reference is not None and math.isfinite(reference):
        ly = y0 + 6 + len(series) * 16
        body.append(f'<line x1="{x0 + w + 14}" x2="{x0 + w + 34}" y1="{ly}" y2="{ly}" stroke="#444" '
                    f'stroke-dasharray="5 4"/><text x="{x0 + w + 40}" y="{ly + 4}">{esc(_short(reference_label, 20))}</text>')
    return _svg(width, height, body, title or "line chart")


def _percentile_colours(v):
    v = np.asarray(v, dtype=float)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    if ok.sum() > 1:
        lo, hi = np.percentile(v[ok], [5, 95])
        if hi <= lo:
            lo, hi = v[ok].min(), v[ok].max()
        out[ok] = np.clip((v[ok] - lo) / ((hi - lo) or 1), 0, 1)
    return out


def beeswarm(features, shap_values, feature_values, *, title="", width=700, row_height=26,
             max_points=400) -> Markup:
    """SHAP summary: one row per feature, a dot per row at its SHAP value, coloured by the
    feature's value (blue low, red high); dots that would overlap are stacked outwards."""
    S = np.asarray(shap_values, dtype=float)
    V = np.asarray([[np.nan if v is None else v for v in row] for row in feature_values], dtype=float) \
        if not isinstance(feature_values, np.ndarray) else feature_values.astype(float)
    n = S.shape[0]
    if n > max_points:
        keep = np.sort(np.random.RandomState(0).choice(n, max_points, replace=False))
        S, V = S[keep], V[keep]
    labels = [str(f) for f in features]
    left = min(220, 12 + 6.4 * max((len(_short(x)) for x in labels), default=4))
    x0, y0 = left, 26 if title else 8
    w = width - x0 - 50
    h = row_height * len(labels)
    lim = float(np.nanmax(np.abs(S))) if S.size else 1.0
    lim = lim or 1.0
    body = []
    if title:
        body.append(f'<text x="4" y="14" font-weight="600">{esc(title)}</text>')
    sx, _ = _axes(body, x0, y0, w, h, -lim * 1.02, lim * 1.02, 0, 1,
                  "SHAP value (effect on the model output)", "", yticks=False)
    body.append(f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{y0}" y2="{y0 + h}" stroke="#999"/>')
    for j, lab in enumerate(labels):
        cy = y0 + j * row_height + row_height / 2
        body.append(f'<text x="{x0 - 6:.1f}" y="{cy + 4:.1f}" text-anchor="end">{esc(_short(lab))}</text>')
        xs = S[:, j]
        cols = _percentile_colours(V[:, j])
        px = np.array([sx(v) for v in xs])
        # Stack dots falling in the same 3-pixel bin alternately above and below the row line.
        bins = np.round(px / 3).astype(int)
        counts: dict = {}
        order = np.argsort(px, kind="stable")
        for i in order:
            c = counts.get(bins[i], 0)
            counts[bins[i]] = c + 1
            off = ((c + 1) // 2) * (1 if c % 2 else -1) * 2.2
            off = max(min(off, row_height / 2 - 2), -(row_height / 2 - 2))
            body.append(f'<circle cx="{px[i]:.1f}" cy="{cy + off:.1f}" r="1.9" fill="{value_colour(cols[i])}"/>')
    # Colour legend.
    lx = x0 + w + 14
    for s in range(10):
        t = 1 - s / 9
        body.append(f'<rect x="{lx}" y="{y0 + s * 8}" width="10" height="8.5" fill="{value_colour(t)}"/>')
    body.append(f'<text x="{lx - 2}" y="{y0 - 2}" font-size="9">high</text>'
                f'<text x="{lx - 2}" y="{y0 + 92}" font-size="9">low</text>')
    return _svg(width, y0 + h + 40, body, title or "SHAP summary")


def scatter(x, y, *, title="", xlabel="", ylabel="", width=330, height=240, colour_values=None,
            xtick_labels=None) -> Markup:
    """Points (x, y); NaN points are left out. Used for SHAP dependence plots."""
    xs = np.asarray([np.nan if v is None else v for v in x], dtype=float)
    ys = np.asarray([np.nan if v is None else v for v in y], dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    body = []
    x0, y0 = 56, 24 if title else 8
    w, h = width - x0 - 10, height - y0 - 42
    if title:
        body.append(f'<text x="4" y="14" font-weight="600">{esc(_short(title, 48))}</text>')
    if not ok.any():
        body.append(f'<text x="{x0}" y="{y0 + 20}">No values to plot.</text>')
        return _svg(width, height, body, title or "scatter")
    xlo, xhi = float(xs[ok].min()), float(xs[ok].max())
    ylo, yhi = float(ys[ok].min()), float(ys[ok].max())
    if xhi <= xlo:
        xlo, xhi = xlo - 0.5, xhi + 0.5
    if yhi <= ylo:
        ylo, yhi = ylo - 0.5, yhi + 0.5
    ypad = (yhi - ylo) * 0.05
    ylo, yhi = ylo - ypad, yhi + ypad
    pad = (xhi - xlo) * 0.04
    xlo, xhi = xlo - pad, xhi + pad
    xticks = None
    if xtick_labels is not None:
        xticks = list(range(len(xtick_labels)))
    sx, sy = _axes(body, x0, y0, w, h, xlo, xhi, ylo, yhi, xlabel, ylabel, xticks, xtick_labels)
    cols = _percentile_colours(colour_values) if colour_values is not None else None
    for i in np.nonzero(ok)[0]:
        colour = value_colour(cols[i]) if cols is not None else PALETTE[0]
        body.append(f'<circle cx="{sx(xs[i]):.1f}" cy="{sy(ys[i]):.1f}" r="2" fill="{colour}" fill-opacity="0.7"/>')
    return _svg(width, height, body, title or "scatter")
