"""RankingResult -> the template's context, one function per report section.

Each section returns a dict with ``available`` (bool) and, when not available,
``reason`` (shown in the report instead of the section). Nothing here fits a
model or computes a score: it arranges what the library already computed.
"""

from __future__ import annotations

import math

import numpy as np

from . import _svg
from ._svg import fmt
from ..utils._format import column_digits

TOP_BARS = 20        # features in the ranking bar chart
TOP_STABILITY = 25   # features in the stability heatmap
TOP_SHAP = 15        # features in the SHAP summary
N_DEPENDENCE = 4     # dependence plots
TOP_AFFINITY = 40    # features in an affinity heatmap from a method's extras


def _finite(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _order(result):
    # ties by feature name, never by column position
    return [int(i) for i in result.order()]


def fmt_rank(rank) -> str:
    """An average rank, compactly: "3", "12.5"."""
    r = float(rank)
    return str(int(r)) if r.is_integer() else f"{r:g}"


# 1 ---------------------------------------------------------------- overview
def overview(result) -> dict:
    kinds: dict = {}
    flagged = []
    rows = []
    for c in result.columns:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
        flag = ""
        if c.kind in ("id", "constant", "empty"):
            flag = {"id": "ID-like", "constant": "constant", "empty": "empty"}[c.kind]
            flagged.append(c.name)
        elif c.missing_frac >= 0.5:
            flag = "mostly missing"
        rows.append({"name": c.name, "kind": c.kind, "dtype": c.dtype,
                     "missing_pct": round(100 * c.missing_frac, 2), "cardinality": c.cardinality,
                     "used": c.used, "note": c.note, "flag": flag})
    n_excluded = sum(1 for c in result.columns if not c.used)
    return {
        "available": True, "n_rows": result.n_rows, "n_columns": len(result.columns),
        "n_ranked": len(result.features), "n_excluded": n_excluded,
        "kinds": sorted(kinds.items(), key=lambda kv: -kv[1]), "rows": rows, "flagged": flagged,
        "target": result.target, "task": result.task,
    }


# 2 ----------------------------------------------------------------- ranking
def ranking(result) -> dict:
    order = _order(result)
    methods = list(result.methods)
    info = {c.name: c for c in result.columns}
    values = result.consensus_values
    # Per column, the digits that tell the shown values apart (Inf-FS scores
    # agree to 3-4 digits); "4" for a column whose values differ sooner.
    digits = {name: column_digits(result.methods[name].scores) for name in methods}
    consensus_digits = column_digits(values)
    rows = []
    for i in order:
        f = result.features[i]
        c = info.get(f)
        cells = []
        for name in methods:
            m = result.methods[name]
            cells.append({"score": fmt(m.scores[i], digits[name]), "score_raw": _finite(m.scores[i]),
                          "rank": fmt_rank(m.ranking[i]),
                          "kept": None if m.support is None else bool(m.support[i])})
        rows.append({"rank": fmt_rank(result.consensus_rank[i]), "feature": f,
                     "consensus": fmt(values[i], consensus_digits),
                     "consensus_raw": _finite(values[i]), "methods": cells,
                     "kind": c.kind if c else "", "note": c.note if c else ""})
    top = order[:TOP_BARS]
    scores = np.asarray(result.consensus_score, dtype=float)
    chart = None
    if len(top):
        # The bars' scale is that of the shown features, not of all of them: on
        # thousands of features the best 20 are close, and bars starting at the
        # worst feature's score would all look the same length.
        shown = np.asarray([scores[i] for i in top], dtype=float)
        finite = shown[np.isfinite(shown)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 1.0
        norm = [(_finite(scores[i]) - lo) / ((hi - lo) or 1) if _finite(scores[i]) is not None else 0.0
                for i in top]
        # A floor keeps the last bar visible: the axis starts just below the last shown value.
        norm = [0.08 + 0.92 * v for v in norm]
        what = "Borda points" if result.aggregation == "borda" else result.aggregation.replace("_", " ")
        top_digits = max(3, column_digits(values[top], min_digits=3))
        notes = [f"{what} {fmt(values[i], top_digits)}" for i in top]
        chart = _svg.bar_chart([result.features[i] for i in top], norm, annotations=notes,
                               title=f"Top {len(top)} features by consensus {result.consensus_label}",
                               value_label=f"consensus (longer = better; the scale spans the {len(top)} "
                                           "shown, from just below the last)")
    degenerate = {name: m.degenerate for name, m in result.methods.items() if m.degenerate}
    # cv_weighted: each member's weight and, for those weighing 0, why
    weights = [{"method": name, "weight": f"{m.weight:.2f}", "note": m.weight_note or ""}
               for name, m in result.methods.items() if m.weight is not None]
    return {"available": bool(result.features), "methods": methods, "rows": rows, "chart": chart,
            "aggregation": result.aggregation, "degenerate": degenerate, "weights": weights,
            "consensus_head": result.consensus_name, "consensus_label": result.consensus_label,
            "reason": "No features were ranked."}


# 3 --------------------------------------------------------------- agreement
def _agreement_missing(result, evaluation, ag) -> str:
    """Why the agreement cannot be shown: too few methods, or not computed for this result."""
    n = len(result.methods)
    if n < 2:
        return f"Agreement needs at least two methods; this ranking has {n}."
    if not evaluation:
        return (f"This ranking has {n} methods, but their agreement was not computed: it is part of "
                "the evaluation, which runs at rank time (`featkit rank --report`, `featkit report "
                "DATA`, or `rank_features(..., evaluate=True)`), and this result was saved without it. "
                "Run `featkit report` on the table to see it.")
    compared = len((ag or {}).get("methods", []))
    return (f"Agreement needs at least two methods with a ranking; the evaluation compared {compared} "
            f"of the {n} (see the notes for the others).")


def agreement(result, evaluation) -> dict:
    ag = (evaluation or {}).get("agreement")
    if not ag or len(ag.get("methods", [])) < 2:
        return {"available": False, "reason": _agreement_missing(result, evaluation, ag)}
    names = ag["methods"]
    k = ag.get("top_k")
    charts = [
        _svg.heatmap(ag["spearman"], names, title="Spearman rank correlation", vmin=-1, vmax=1, diverging=True),
        _svg.heatmap(ag["kendall"], names, title="Kendall tau-b", vmin=-1, vmax=1, diverging=True),
        _svg.heatmap(ag["overlap"], names, title=f"Top-{k} overlap (shared fraction)", vmin=0, vmax=1),
    ]
    sp = np.asarray(ag["spearman"], dtype=float)
    iu = np.triu_indices(len(names), 1)
    pairs = sorted(((float(sp[i, j]), names[i], names[j]) for i, j in zip(*iu)), key=lambda p: p[0])
    least = pairs[0] if pairs else None
    return {"available": True, "charts": charts, "top_k": k,
            "least": None if least is None else {"a": least[1], "b": least[2], "rho": fmt(least[0], 3)}}


# 4 ------------------------------------------------------------------ curves
OPTIMISTIC = "ranking fitted on all rows; optimistic"


def held_out_text(n_test) -> str:
    """``"3 folds, ~13 held-out rows each"`` from the held-out rows per fold ("" when unknown)."""
    sizes = [int(v) for v in (n_test or [])]
    if not sizes:
        return ""
    each = f"{sizes[0]:,}" if min(sizes) == max(sizes) else f"~{round(sum(sizes) / len(sizes)):,}"
    return f"{len(sizes)} fold{'s' if len(sizes) != 1 else ''}, {each} held-out rows each"


def curves(result, evaluation) -> dict:
    cv = (evaluation or {}).get("curves")
    if not cv:
        reason = ("Selection curves need a target." if result.target is None
                  else "No evaluation in this result: run `featkit report` or `featkit rank --report`.")
        return {"available": False, "reason": reason}
    metric = {"roc_auc": "ROC AUC", "accuracy": "accuracy", "r2": "R\u00b2"}.get(cv["metric"], cv["metric"])
    model = ("logistic regression" if result.task == "classification" else "ridge regression") \
        if cv["model"] == "linear" else "random forest (50 trees)"
    held = held_out_text(cv.get("n_test"))
    # Results saved before the curves were nested have no "nested": their rankings saw every row.
    nested = cv.get("nested") or {}
    why = cv.get("optimistic") or {}
    label = {name: name if nested.get(name) else f"{name} (optimistic)" for name in cv["curves"]}
    allf = (cv.get("all_features") or {}).get("mean")
    chart = _svg.line_chart(
        cv["ks"], {label[name]: ys for name, ys in cv["curves"].items()},
        title=f"Cross-validated {metric} vs number of top features kept" + (f" ({held})" if held else ""),
        xlabel="features kept (top k of each ranking)", ylabel=metric, reference=_finite(allf),
        reference_label=f"all {len(result.features)} features", log_x=len(cv["ks"]) > 12,
    )
    table = []
    for name, ys in cv["curves"].items():
        pts = [(k, y) for k, y in zip(cv["ks"], ys) if y is not None]
        best = max(pts, key=lambda p: p[1]) if pts else (None, None)
        is_nested = bool(nested.get(name))
        table.append({"method": name, "best_k": cv.get("best_k", {}).get(name) if is_nested else None,
                      "best_score": fmt(best[1]), "at_k": best[0],
                      "first": fmt(pts[0][1]) if pts else fmt(None),
                      "curve": "nested (refitted in each training fold)" if is_nested else OPTIMISTIC,
                      "why": "" if is_nested else why.get(name, "saved before the curves were nested")})
    return {"available": True, "chart": chart, "metric": metric, "model": model, "cv": cv.get("cv"),
            "held_out": held, "all_features": fmt(allf), "table": table,
            "n_optimistic": sum(1 for t in table if t["curve"] == OPTIMISTIC),
            "truncated": cv.get("truncated", False)}


# 5 --------------------------------------------------------------- stability
def stability(result, evaluation) -> dict:
    st = (evaluation or {}).get("stability")
    if not st or not st.get("methods"):
        reason = "No stability results in this result."
        if st and st.get("skipped"):
            reason = "No method could be resampled: " + "; ".join(f"{k}: {v}" for k, v in st["skipped"].items())
        return {"available": False, "reason": reason}
    names = list(st["methods"])
    order = _order(result)[:TOP_STABILITY]
    matrix = [[st["methods"][m]["frequency"][i] for m in names] for i in order]
    chart = _svg.heatmap(matrix, [result.features[i] for i in order], names,
                         title=f"Fraction of bootstrap resamples with the feature in the top {st['top_k']}",
                         vmin=0, vmax=1, cell=min(34, max(14, 520 / max(len(names), 1))))
    table = [{"method": m, "stability": fmt(st["methods"][m]["stability"], 3),
              "n_bootstrap": st["methods"][m]["n_bootstrap"], "seconds": fmt(st["methods"][m].get("seconds"), 3)}
             for m in names]
    return {"available": True, "chart": chart, "table": table, "top_k": st["top_k"],
            "skipped": sorted(st.get("skipped", {}).items()), "n_shown": len(order)}


# 6 -------------------------------------------------------------- redundancy
def redundancy(result, evaluation) -> dict:
    red = (evaluation or {}).get("redundancy")
    if not red:
        return {"available": False, "reason": "No correlation matrix in this result."}
    order = red["order"]
    feats = red["features"]
    M = np.asarray(red["abs_spearman"], dtype=float)[np.ix_(order, order)]
    labels = [feats[i] for i in order]
    chart = _svg.heatmap(M, labels, title="|Spearman| between features, clustered (average linkage)",
                         vmin=0, vmax=1, max_size=900)
    pairs = [{"a": a, "b": b, "rho": fmt(r, 3)} for a, b, r in red.get("pairs", [])[:30]]
    return {"available": True, "chart": chart, "pairs": pairs, "threshold": red.get("threshold", 0.9),
            "n_pairs": len(red.get("pairs", []))}


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _vector_bars(result, title, arr):
    top = [int(i) for i in np.argsort(-np.nan_to_num(arr, nan=-np.inf), kind="stable")[:TOP_BARS]]
    vals = arr[top]
    shift = min(0.0, float(np.nanmin(vals))) if vals.size else 0.0
    return _svg.bar_chart([result.features[i] for i in top], [v - shift for v in vals],
                          annotations=[fmt(v) for v in vals], title=title)


def _noise_line(result, title, vals, threshold):
    """A per-feature vector against a reference line (Boruta's shadow threshold),
    each bar marked above or below the line."""
    d = len(result.features)
    vals = np.asarray(vals, dtype=float)
    above = np.nan_to_num(vals, nan=-np.inf) > threshold
    top = [int(i) for i in np.argsort(-np.nan_to_num(vals, nan=-np.inf), kind="stable")[:TOP_BARS]]
    notes = [f"{fmt(vals[i])} {'above' if above[i] else 'below'} noise" for i in top]
    svg = _svg.bar_chart(
        [result.features[i] for i in top], [vals[i] for i in top], annotations=notes,
        colours=[_svg.PALETTE[0] if above[i] else _svg.PALETTE[8] for i in top],
        reference=threshold, reference_label="noise line",
        title=title + (f" (best {len(top)} of {d})" if d > len(top) else ""))
    return {"key": title, "kind": "threshold", "svg": svg, "threshold": fmt(threshold),
            "above": [result.features[i] for i in range(d) if above[i]],
            "n_below": int(d - above.sum())}


def _feature_heatmap(result, title, arr, order, rows=None):
    keep = order[:TOP_AFFINITY]
    sub = arr[np.ix_(keep, keep)] if rows is None else arr[:, keep]
    finite = sub[np.isfinite(sub)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    labels = [result.features[i] for i in keep]
    if len(result.features) > len(keep):
        title += f" (best {len(keep)} features)"
    if rows is None:
        return _svg.heatmap(sub, labels, title=title, vmin=lo, vmax=hi if hi > lo else lo + 1)
    return _svg.heatmap(sub, rows, labels, title=title, vmin=lo, vmax=hi if hi > lo else lo + 1)


def _finding_item(result, name, finding, order):
    """One declared finding rendered by its kind (see :mod:`featkit.findings`)."""
    kind, value = finding.kind, finding.value
    title = f"{name}: {finding.title}"
    if kind == "feature_matrix":
        return {"key": finding.title, "kind": "svg", "svg": _feature_heatmap(result, title, value, order)}
    if kind == "feature_history":
        steps = [str(i + 1) for i in range(value.shape[0])]
        return {"key": finding.title, "kind": "svg",
                "svg": _feature_heatmap(result, f"{title} (rows: steps)", value, order, rows=steps)}
    if kind == "feature_vector" and finding.reference is not None:
        return _noise_line(result, title, value, finding.reference)
    if kind == "feature_vector":
        return {"key": finding.title, "kind": "svg", "svg": _vector_bars(result, title, value)}
    if kind == "feature_vectors":
        return {"key": finding.title, "kind": "svgs",
                "svgs": [_vector_bars(result, f"{title} / {k}", v) for k, v in value.items()]}
    if kind == "feature_order":
        return {"key": finding.title, "kind": "list",
                "values": [result.features[int(i)] for i in value][:200]}
    if kind == "feature_text":
        return {"key": finding.title, "kind": "list", "values": [value[i] for i in order][:200]}
    if kind == "feature_groups":
        groups = {}
        for i, g in enumerate(value):
            groups.setdefault(int(g), []).append(result.features[i])
        return {"key": finding.title, "kind": "groups",
                "groups": [(str(g), feats) for g, feats in sorted(groups.items())]}
    if kind == "values":
        return {"key": finding.title, "kind": "value", "value": ", ".join(fmt(v) for v in value)}
    if kind == "scalar":
        return {"key": finding.title, "kind": "value",
                "value": str(value) if isinstance(value, bool) else fmt(value)}
    return {"key": finding.title, "kind": "value", "value": str(value)}


def method_extras(result) -> list:
    """Each method's declared findings, rendered by their kind."""
    order = _order(result)
    out = []
    for name, m in result.methods.items():
        items = [_finding_item(result, name, f, order) for f in (m.findings or {}).values()]
        if items:
            out.append({"method": name, "items": items})
    return out


# 7 ------------------------------------------------------------- attribution
def attribution(result) -> dict:
    section = result.sections.attribution
    att = section.to_dict() if section is not None else None
    if not att:
        reason = ("Model attribution needs a target." if result.target is None else
                  "No model was trained: add --model lightgbm (or xgboost) to `featkit report` / "
                  "`featkit rank` (needs featkit[boost]).")
        return {"available": False, "reason": reason}
    feats = att["features"]
    shap_imp = np.asarray([np.nan if v is None else v for v in att["importances"]["shap"]], dtype=float)
    top = [int(i) for i in np.argsort(-np.nan_to_num(shap_imp, nan=-1.0), kind="stable")[:TOP_SHAP]]
    bar = _svg.bar_chart([feats[i] for i in top], [shap_imp[i] for i in top],
                         title="Mean |SHAP value| (global importance)", colour=_svg.PALETTE[3])
    S = np.asarray(att.get("shap_values") or np.zeros((0, len(feats))), dtype=float)
    V = np.asarray([[np.nan if v is None else v for v in row] for row in att.get("feature_values") or []],
                   dtype=float)
    swarm = dependence = None
    if S.size and V.shape == S.shape:
        swarm = _svg.beeswarm([feats[i] for i in top], S[:, top], V[:, top],
                              title="SHAP summary (one dot per explained row)")
        dependence = []
        cats = att.get("categories") or {}
        for i in top[:N_DEPENDENCE]:
            labels = cats.get(feats[i])
            dependence.append(_svg.scatter(
                V[:, i], S[:, i], title=feats[i], xlabel="feature value" if not labels else "category",
                ylabel="SHAP value", colour_values=V[:, i],
                xtick_labels=labels or None))
    inter = None
    if att.get("interactions"):
        M = np.asarray(att["interactions"], dtype=float)
        keep = top[:12]
        sub = M[np.ix_(keep, keep)]
        inter = _svg.heatmap(sub, [feats[i] for i in keep], title="Mean |SHAP interaction value|",
                             vmin=0, vmax=float(np.nanmax(sub)) or 1.0)
    metric = {"roc_auc": "ROC AUC", "accuracy": "accuracy", "r2": "R\u00b2"}.get(att.get("metric"), att.get("metric"))
    return {"available": True, "model": att.get("model"), "metric": metric, "score": fmt(att.get("score")),
            "n_estimators": att.get("n_estimators"), "n_held_out": att.get("n_held_out"), "bar": bar, "swarm": swarm, "dependence": dependence,
            "interactions": inter, "shap_class": att.get("shap_class"), "n_rows": S.shape[0],
            "seconds": {k: fmt(v, 3) for k, v in (att.get("seconds") or {}).items()}}


# 8 ----------------------------------------------------------- decomposition
def decomposition(result) -> dict:
    dec = result.sections.decomposition
    if dec is None:
        return {"available": False, "reason": "No decomposition was asked for (`featkit reduce`, "
                "or a PCA-based method such as pca_loadings or pfa)."}
    feats = dec.features or result.features
    charts = []
    if dec.explained_variance_ratio:
        r = [float(v) for v in dec.explained_variance_ratio]
        labels = [f"PC{i + 1}" for i in range(len(r))][:30]
        cum = np.cumsum(r)
        charts.append(_svg.bar_chart(labels, r[:30], annotations=[f"{100 * v:.1f}% (cum. {100 * c:.1f}%)"
                                                                   for v, c in zip(r[:30], cum[:30])],
                                     title="Explained variance ratio per component", colour=_svg.PALETTE[2]))
    C = np.asarray(dec.loadings, dtype=float)
    if C.ndim == 2 and C.shape[0] and C.shape[1] == len(feats):
        k = min(C.shape[0], 6)
        weight = np.abs(C[:k]).max(axis=0)
        keep = [int(i) for i in np.argsort(-weight, kind="stable")[:25]]
        lim = float(np.abs(C[:k][:, keep]).max()) or 1.0
        charts.append(_svg.heatmap(C[:k][:, keep].T, [feats[i] for i in keep],
                                   [f"PC{i + 1}" for i in range(k)],
                                   title="Loadings of the first components (largest features)",
                                   vmin=-lim, vmax=lim, diverging=True))
    values = [{"key": "method", "value": dec.method}] if dec.method else []
    if dec.explained_variance:
        values.append({"key": "explained variance",
                       "value": ", ".join(fmt(v) for v in dec.explained_variance[:30])})
    values += [{"key": k, "value": fmt(v) if _is_number(v) else v} for k, v in dec.other.items()
               if _is_number(v) or isinstance(v, str)]
    return {"available": True, "charts": charts, "values": values}


# 9 ----------------------------------------------------------------- footer
def footer(result) -> dict:
    meta = result.meta or {}
    timings = [(name, m.seconds) for name, m in result.methods.items()]
    chart = None
    if timings:
        chart = _svg.bar_chart([t[0] for t in timings], [max(t[1] or 0.0, 0.0) for t in timings],
                               annotations=[f"{fmt(t[1], 3)} s" for t in timings],
                               title="Time per method (seconds)", colour=_svg.PALETTE[8])
    versions = meta.get("versions") or {}
    return {
        "command": meta.get("command"), "source": meta.get("source"), "seed": meta.get("seed"),
        "started": meta.get("started"), "seconds_total": fmt(meta.get("seconds_total"), 3),
        "versions": sorted((str(k), str(v)) for k, v in versions.items()) if isinstance(versions, dict) else [],
        "timings": chart,
        "other": [(str(k), str(v)) for k, v in meta.items()
                  if k not in ("command", "source", "seed", "started", "seconds_total", "versions")
                  and isinstance(v, (str, int, float, bool))],
    }
