"""Notebook views of results and fitted selectors: HTML tables and matplotlib figures.

Kept apart from :mod:`featkit.results` and :mod:`featkit.base` so that neither
grows with presentation code, and matplotlib is imported only by ``plot``.
"""

from __future__ import annotations

import html

import numpy as np

from .utils._format import column_digits, format_number

TOP_ROWS = 20


def _table(headers, rows, caption) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<table class="featkit"><caption style="text-align:left">{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _rank(r) -> str:
    r = float(r)
    return "-" if not np.isfinite(r) else (str(int(r)) if r.is_integer() else f"{r:g}")


def ranking_html(result, top: int = TOP_ROWS) -> str:
    """The best ``top`` rows of a :class:`~featkit.results.RankingResult` as an HTML table."""
    order = [int(i) for i in result.order()[:top]]
    values = result.consensus_values
    cd = column_digits(values[order])
    digits = {n: column_digits(m.scores[order]) for n, m in result.methods.items()}
    headers = ["rank", "feature", result.consensus_name] + [f"{n} score (rank)" for n in result.methods]
    rows = []
    for i in order:
        row = [_rank(result.consensus_rank[i]), result.features[i], format_number(values[i], cd)]
        row += [f"{format_number(m.scores[i], digits[n])} ({_rank(m.ranking[i])})"
                for n, m in result.methods.items()]
        rows.append(row)
    what = f"target {result.target!r}" if result.target else "no target"
    caption = (f"featkit ranking: {len(result.features)} features, {result.n_rows:,} rows, {what}; "
               f"consensus = {result.consensus_label}")
    if len(result.features) > top:
        caption += f"; best {top} shown (to_frame() has all)"
    return _table(headers, rows, caption)


def selector_html(estimator, top: int = 10) -> str:
    """The best ``top`` features of a fitted ranker (scores and ranks) as an HTML table."""
    ranking = np.asarray(estimator.ranking_, dtype=float)
    scores = np.asarray(estimator.scores_, dtype=float)
    names = getattr(estimator, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(len(scores))]
    order = [int(i) for i in np.lexsort((np.asarray(names, dtype=object).astype(str), ranking))[:top]]
    d = column_digits(scores[order])
    support = estimator.get_support()
    rows = [[_rank(ranking[i]), names[i], format_number(scores[i], d), "yes" if support[i] else ""]
            for i in order]
    caption = (f"{type(estimator).__name__}: best {len(order)} of {len(scores)} features "
               f"({int(support.sum())} kept)")
    return _table(["rank", "feature", "score", "kept"], rows, caption)


def plot_result(result, top: int = TOP_ROWS):
    """A matplotlib figure: consensus bars, and the agreement heatmap and
    selection curves when the result holds an evaluation.

    Raises
    ------
    featkit.exceptions.MissingExtraError
        When matplotlib is not installed (it names ``pip install "featkit[plot]"``).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        from .exceptions import MissingExtraError

        raise MissingExtraError('result.plot() needs matplotlib: pip install "featkit[plot]"') from exc
    evaluation = result.sections.evaluation if result.sections is not None else None
    agreement = (evaluation.agreement if evaluation is not None else None) or {}
    curves = (evaluation.curves if evaluation is not None else None) or {}
    panels = ["bars"] + (["agreement"] if len(agreement.get("methods", [])) >= 2 else []) \
        + (["curves"] if curves.get("curves") else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 5), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "bars":
            order = [int(i) for i in result.order()[:top]][::-1]  # best at the top
            ax.barh([result.features[i] for i in order], result.consensus_values[order])
            ax.set_xlabel(f"consensus: {result.consensus_label}")
            ax.set_title(f"Top {len(order)} features")
        elif panel == "agreement":
            names = agreement["methods"]
            im = ax.imshow(np.asarray(agreement["spearman"], dtype=float), vmin=-1, vmax=1, cmap="RdBu")
            ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
            ax.set_yticks(range(len(names)), names)
            ax.set_title("Agreement (Spearman)")
            fig.colorbar(im, ax=ax)
        else:
            for name, ys in curves["curves"].items():
                ax.plot(curves["ks"], [np.nan if y is None else y for y in ys], marker="o", label=name)
            ax.set_xlabel("features kept")
            ax.set_ylabel(curves.get("metric", "score"))
            ax.set_title("Selection curves")
            ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
