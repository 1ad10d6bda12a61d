"""data_overview: what a profiler would say about a table before its features are ranked.

Per column a small distribution (a histogram of the numbers, or the most
frequent categories), the target's class balance or histogram, and warnings:
constant, near-constant, high cardinality, many missing, and target-leakage
suspects (a single feature that predicts held-out rows almost perfectly).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..stats import quantile_bin_codes
from ..stats._binned_mi import quantile_edge_codes

__all__ = ["data_overview", "WARNINGS"]

N_HIST_BINS = 16         # bars of a column's mini histogram
N_TOP = 5                # categories named per categorical column
N_TARGET_CLASSES = 20    # classes named in the target's balance
NEAR_CONSTANT = 0.95     # share of the most frequent value
HIGH_CARDINALITY_SHARE = 0.5
HIGH_CARDINALITY_COUNT = 1000
MANY_MISSING = 0.2
LEAKAGE = 0.98           # held-out ROC AUC / R^2 of one feature alone
LEAKAGE_BINS = 32        # leaves of the one-feature model
# Cells read (rows x columns): a wide table is profiled on fewer rows, so the
# overview stays a small part of a ranking run (~1 s on 100,000 x 50).
PROFILE_CELLS = 5_000_000
LEAKAGE_CELLS = 1_000_000
# Out-of-fold predictions held at once by the block leakage scan (rows x columns x classes).
_LEAKAGE_BLOCK_CELLS = 1 << 22

#: Warning code -> what it means, as the report explains it.
WARNINGS = {
    "constant": "a single value in every row",
    "near_constant": f"one value in at least {NEAR_CONSTANT:.0%} of the rows",
    "high_cardinality": (f"categorical with more than {HIGH_CARDINALITY_SHARE:.0%} distinct values "
                         f"or more than {HIGH_CARDINALITY_COUNT:,}"),
    "many_missing": f"more than {MANY_MISSING:.0%} of the values missing",
    "leakage": (f"alone predicts the target on held-out rows (score >= {LEAKAGE}): "
                "check that it is not computed from the target"),
}

_DISCRETE_KINDS = ("categorical", "boolean")


def _kind(series: pd.Series, info) -> str:
    if isinstance(series.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        # text kept on request (an ID-like column with keep_id) is profiled as categories
        return "categorical"
    if info is not None:
        return info.kind
    return "boolean" if pd.api.types.is_bool_dtype(series.dtype) else "numeric"


def _histogram(values: np.ndarray) -> dict | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    counts, _ = np.histogram(finite, bins=N_HIST_BINS if hi > lo else 1, range=(lo, hi))
    return {"lo": lo, "hi": hi, "counts": counts.astype(int).tolist()}


def _label(value) -> str:
    # 1.0 from a float column of codes reads as "1"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _profile(series: pd.Series, kind: str, info) -> dict:
    """One column's distribution and warnings, from its (possibly sampled) values."""
    n = int(series.size)
    n_missing = int(series.isna().sum())
    counts = series.value_counts(dropna=True, sort=True)
    n_present = n - n_missing
    distinct = int(counts.size)
    top_share = float(counts.iloc[0]) / n_present if n_present else None
    out = {"name": str(series.name), "kind": kind, "n": n, "n_missing": n_missing,
           "distinct": distinct, "top_share": top_share, "histogram": None, "top": [], "n_other": 0}
    if kind in _DISCRETE_KINDS:
        head = counts.iloc[:N_TOP]
        out["top"] = [[_label(v), int(c)] for v, c in head.items()]
        out["n_other"] = int(n_present - head.sum())
    else:
        out["histogram"] = _histogram(series.to_numpy(dtype=np.float64, na_value=np.nan))
    out["warnings"] = _warnings_of(out, kind, info)
    return out


def _warnings_of(out, kind, info) -> list:
    """The warnings of a column's profile ``out`` (its counts already in it)."""
    n, n_missing, distinct, top_share = out["n"], out["n_missing"], out["distinct"], out["top_share"]
    n_present = n - n_missing
    missing_frac = info.missing_frac if info is not None else (n_missing / n if n else 0.0)
    warnings = []
    if n_present and distinct <= 1:
        warnings.append("constant")
    elif top_share is not None and top_share >= NEAR_CONSTANT:
        warnings.append("near_constant")
    if kind == "categorical" and n_present and (
            distinct > HIGH_CARDINALITY_SHARE * n_present or distinct > HIGH_CARDINALITY_COUNT):
        warnings.append("high_cardinality")
    if missing_frac > MANY_MISSING:
        warnings.append("many_missing")
    return warnings


def _float_profiles(X, kinds, infos) -> dict:
    """:func:`_profile` of every float column that is not discrete, all at once: one
    sort of the block gives each column's missing values, distinct values and most
    frequent value's count (the longest run of equal sorted values; NaN sorts last,
    and 0.0 and -0.0 are one value, as in ``value_counts``)."""
    names = [name for name, dtype in X.dtypes.items() if kinds[str(name)] not in _DISCRETE_KINDS
             and isinstance(dtype, np.dtype) and dtype.kind == "f"]
    if not names or not len(X):
        return {}
    values = X[names].to_numpy(dtype=np.float64)
    n = values.shape[0]
    n_missing = np.isnan(values).sum(axis=0)
    present = n - n_missing
    ordered = np.sort(values.T, axis=1)
    position = np.arange(n)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    inside = position < present[:, None]
    distinct = np.count_nonzero(starts & inside, axis=1)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    top = np.where(inside, position - run_start + 1, 0).max(axis=1)
    out = {}
    for j, name in enumerate(names):
        kind, info = kinds[str(name)], infos.get(str(name))
        p = int(present[j])
        row = {"name": str(name), "kind": kind, "n": int(n), "n_missing": int(n_missing[j]),
               "distinct": int(distinct[j]), "top_share": float(top[j]) / p if p else None,
               "histogram": _histogram(values[:, j]), "top": [], "n_other": 0}
        row["warnings"] = _warnings_of(row, kind, info)
        out[str(name)] = row
    return out




def _excluded_profile(info) -> dict:
    """A column the ranking left out: only what its typing recorded."""
    warnings = []
    if info.kind == "constant":
        warnings.append("constant")
    if info.missing_frac > MANY_MISSING:
        warnings.append("many_missing")
    return {"name": info.name, "kind": info.kind, "n": None, "n_missing": info.n_missing,
            "distinct": info.cardinality, "top_share": None, "histogram": None, "top": [],
            "n_other": 0, "warnings": warnings}


def _target_profile(y: pd.Series, task: str) -> dict:
    if task == "classification":
        counts = y.value_counts(dropna=True, sort=True)
        head = counts.iloc[:N_TARGET_CLASSES]
        return {"name": str(y.name), "task": task, "n": int(y.size),
                "classes": [[_label(v), int(c)] for v, c in head.items()],
                "n_other": int(counts.sum() - head.sum()), "n_classes": int(counts.size)}
    return {"name": str(y.name), "task": task, "n": int(y.size),
            "histogram": _histogram(pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64,
                                                                              na_value=np.nan))}


# ------------------------------------------------------------------ leakage
def _codes(series: pd.Series, kind: str) -> np.ndarray:
    """Leaf of each row in a one-feature model: a category, or a quantile bin of a number;
    missing values are a leaf of their own."""
    if kind in _DISCRETE_KINDS or not pd.api.types.is_numeric_dtype(series.dtype):
        codes, _ = pd.factorize(series, use_na_sentinel=True)
        return np.where(codes < 0, codes.max() + 1, codes).astype(np.int64)
    return quantile_bin_codes(series.to_numpy(dtype=np.float64, na_value=np.nan), LEAKAGE_BINS)


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity; ties count a half."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _out_of_fold(codes: np.ndarray, target: np.ndarray, folds: np.ndarray, n_folds: int) -> np.ndarray:
    """Each row's prediction by its leaf's mean target over the other folds
    (the training mean for a leaf those folds never saw).

    ``target`` is (n,) or (n, classes) one-hot; the prediction has its shape.
    """
    n_leaves = int(codes.max()) + 1
    t2 = target.reshape(len(target), -1)
    pred = np.empty_like(t2, dtype=np.float64)
    for k in range(n_folds):
        test = folds == k
        train = ~test
        count = np.bincount(codes[train], minlength=n_leaves).astype(np.float64)
        prior = t2[train].mean(axis=0)
        for j in range(t2.shape[1]):
            total = np.bincount(codes[train], weights=t2[train, j], minlength=n_leaves)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(count > 0, total / count, prior[j])
            pred[test, j] = mean[codes[test]]
    return pred.reshape(target.shape)


def _leakage_score(series, kind, y_codes, y_values, task, folds, n_folds):
    codes = _codes(series, kind)
    if task == "classification":
        n_classes = int(y_codes.max()) + 1
        onehot = np.eye(n_classes)[y_codes]
        pred = _out_of_fold(codes, onehot, folds, n_folds)
        if n_classes == 2:
            best = _auc(pred[:, 1], y_codes == 1)
            if kind not in _DISCRETE_KINDS:
                # a one-feature logistic model orders the rows by the value itself
                raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
                if np.isfinite(raw).all():
                    auc = _auc(raw, y_codes == 1)
                    best = max(best, auc, 1 - auc)
            return best
        aucs = [_auc(pred[:, c], y_codes == c) for c in range(n_classes)]
        return float(np.nanmean(aucs)) if np.isfinite(aucs).any() else float("nan")
    pred = _out_of_fold(codes, y_values, folds, n_folds)
    ss_tot = float(((y_values - y_values.mean()) ** 2).sum())
    if ss_tot == 0:
        return float("nan")
    r2 = 1 - float(((y_values - pred) ** 2).sum()) / ss_tot
    if kind not in _DISCRETE_KINDS:
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(raw).all() and raw.std() > 0:
            # a straight line catches a leak that is the target rescaled, to the last digit
            r2 = max(r2, float(np.corrcoef(raw, y_values)[0, 1] ** 2))
    return r2


def _leakage(X, kinds, y, task, rng, max_rows, cv):
    """Held-out score of each feature alone; the metric and the rows used."""
    if len(y) > max_rows:
        take = np.sort(rng.choice(len(y), max_rows, replace=False))
        X, y = X.iloc[take], y.iloc[take]
    n = len(y)
    n_folds = int(min(cv, n))
    if n_folds < 2:
        return {}, n
    folds = rng.permutation(np.arange(n) % n_folds)
    y_codes = y_values = None
    if task == "classification":
        y_codes = pd.factorize(y)[0].astype(np.int64)
        if y_codes.max() < 1:
            return {}, n
    else:
        y_values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(y_values).all():
            return {}, n
    scores = {}
    block, values = _finite_numeric(X, kinds)
    if block:
        step = max(1, _LEAKAGE_BLOCK_CELLS // (n * (int(y_codes.max()) + 1 if y_codes is not None else 1)))
        for start in range(0, len(block), step):
            part = values[:, start:start + step]
            for name, s in zip(block[start:start + step],
                               _block_scores(part, y_codes, y_values, task, folds, n_folds)):
                scores[name] = s
    in_block = set(block)
    for name in X.columns:
        if name in in_block:
            s = scores.pop(name)
        else:
            s = _leakage_score(X[name], kinds[str(name)], y_codes, y_values, task, folds, n_folds)
        if np.isfinite(s):
            scores[str(name)] = round(float(s), 6)
    return scores, n


def _finite_numeric(X, kinds):
    """The numeric columns without a missing value, and their values (n, b): the
    columns :func:`_block_scores` scores all at once."""
    names = [name for name, dtype in X.dtypes.items() if kinds[str(name)] not in _DISCRETE_KINDS
             and pd.api.types.is_numeric_dtype(dtype)
             and not isinstance(dtype, pd.CategoricalDtype)]
    if not names:
        return [], None
    values = X[names].to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values).all(axis=0)
    return [name for name, ok in zip(names, finite) if ok], values[:, finite]


def _block_out_of_fold(codes, target, folds, n_folds):
    """:func:`_out_of_fold` of every column of ``codes`` (n, b) at once: (n, b, classes).

    Each column's leaves get their own range of bins, and the rows reach each bin in
    row order, as they do column by column: the sums, hence the predictions, are equal.
    """
    n, b = codes.shape
    n_leaves = int(codes.max()) + 1
    leaves = np.ascontiguousarray(codes, dtype=np.int64) + np.arange(b) * n_leaves
    t2 = target.reshape(n, -1)
    pred = np.empty((n, b, t2.shape[1]))
    for k in range(n_folds):
        test = folds == k
        train = ~test
        seen = leaves[train].ravel()
        count = np.bincount(seen, minlength=b * n_leaves).astype(np.float64)
        prior = t2[train].mean(axis=0)
        for j in range(t2.shape[1]):
            total = np.bincount(seen, weights=np.repeat(t2[train, j], b), minlength=b * n_leaves)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(count > 0, total / count, prior[j])
            pred[test, :, j] = mean[leaves[test]]
    return pred


def _block_auc(score, positive):
    """:func:`_auc` of every column of ``score`` (n, b). Ranks are halves of whole
    numbers, so their sums are exact whatever order they are added in."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.full(score.shape[1], np.nan)
    ranks = rankdata(np.ascontiguousarray(score.T), axis=1)  # a column's ranks contiguous
    return (ranks[:, positive].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _block_scores(values, y_codes, y_values, task, folds, n_folds):
    """:func:`_leakage_score` of numeric columns without missing values (n, b), at once."""
    codes = quantile_edge_codes(values, LEAKAGE_BINS)[0]
    if task == "classification":
        n_classes = int(y_codes.max()) + 1
        pred = _block_out_of_fold(codes, np.eye(n_classes)[y_codes], folds, n_folds)
        if n_classes == 2:
            best = _block_auc(pred[:, :, 1], y_codes == 1)
            auc = _block_auc(values, y_codes == 1)
            return np.maximum(np.maximum(best, auc), 1 - auc)
        # (b, classes) rows: each column's classes are averaged as one contiguous vector
        aucs = np.ascontiguousarray(
            np.stack([_block_auc(pred[:, :, c], y_codes == c) for c in range(n_classes)], axis=1))
        # np.nanmean's own steps (NaN as 0, summed, over the count), without its
        # warning for a column whose every class AUC is NaN
        present = ~np.isnan(aucs)
        count = present.sum(axis=1)
        total = np.where(present, aucs, 0.0).sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    pred = _block_out_of_fold(codes, y_values, folds, n_folds)[:, :, 0]
    ss_tot = float(((y_values - y_values.mean()) ** 2).sum())
    if ss_tot == 0:
        return np.full(values.shape[1], np.nan)
    out = np.empty(values.shape[1])
    for j in range(values.shape[1]):  # the same sums as column by column
        r2 = 1 - float(((y_values - pred[:, j]) ** 2).sum()) / ss_tot
        raw = values[:, j]
        if raw.std() > 0:
            r2 = max(r2, float(np.corrcoef(raw, y_values)[0, 1] ** 2))
        out[j] = r2
    return out


def data_overview(X, y=None, *, task=None, columns=None, max_rows=100_000, leakage_rows=5_000,
                  cv=3, random_state=0) -> dict:
    """A profile of the table: distributions, target balance and warnings.

    Parameters
    ----------
    X : pandas.DataFrame
        The features, typed as :func:`featkit.io.prepare_features` leaves them
        (``PreparedData.X``): categories as the ``"category"`` dtype, numbers as
        numbers. Any frame works; without ``columns`` a column that is not
        numeric is taken as categorical.
    y : pandas.Series or None, default=None
        The target, aligned with ``X``. Without one there is no class balance
        and no leakage check.
    task : {"classification", "regression"} or None, default=None
        Needed with ``y``.
    columns : list of featkit.io.ColumnInfo or None, default=None
        The typing of every input column; the ones not in ``X`` (left out as
        ID-like, constant, empty or dropped) are listed with the warnings their
        typing shows, and missing shares come from here (before any sampling).
    max_rows : int, default=100_000
        Distributions and shares are measured on a seeded sample of at most
        this many rows (fewer on a wide table: about 5 million cells in all,
        and never fewer than 1,000 rows).
    leakage_rows : int, default=5_000
        Rows (a seeded sample) of the leakage check (fewer on a wide table:
        about a million cells, and never fewer than 500 rows).
    cv : int, default=3
        Folds of the leakage check.
    random_state : int, default=0

    Returns
    -------
    dict
        ``columns`` (per input column, in input order: ``kind``, ``n``,
        ``n_missing``, ``distinct``, ``top_share``, ``histogram`` =
        ``{"lo", "hi", "counts"}`` for numbers or ``top`` = ``[[value, count], ...]``
        and ``n_other`` for categories, and ``warnings`` codes of :data:`WARNINGS`),
        ``target`` (``classes`` or ``histogram``), ``warnings`` (one dict per
        column and warning: ``column``, ``code``, ``message``), ``leakage``
        (``metric``, ``threshold``, ``scores`` per feature, ``n_rows``, ``cv``),
        ``n_rows``, ``n_rows_profiled``, ``seconds``.

    Notes
    -----
    The leakage check fits, for each feature alone, a one-feature model with up
    to 32 leaves (the feature's quantile bins, or its categories; missing values
    are a leaf of their own) on ``cv - 1`` folds and scores the held-out fold:
    ROC AUC (one-vs-rest, macro, for several classes) or R^2. For a numeric
    feature without missing values, the feature's own order (what a one-feature
    logistic model gives) and a straight line are tried too; the best score counts.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from featkit.evaluation import data_overview
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"noise": rng.normal(size=300), "same": 1.0,
    ...                   "copy": np.arange(300) % 2 + 0.0})
    >>> y = pd.Series(np.arange(300) % 2, name="y")
    >>> ov = data_overview(X, y, task="classification")
    >>> sorted((w["column"], w["code"]) for w in ov["warnings"])
    [('copy', 'leakage'), ('same', 'constant')]
    """
    t0 = time.perf_counter()
    rng = np.random.RandomState(random_state)
    infos = {c.name: c for c in (columns or [])}
    n_rows = len(X)
    width = max(len(X.columns), 1)
    max_rows = min(max_rows, max(1000, PROFILE_CELLS // width))
    leakage_rows = min(leakage_rows, max(500, LEAKAGE_CELLS // width))
    if n_rows > max_rows:
        take = np.sort(rng.choice(n_rows, max_rows, replace=False))
        X = X.iloc[take]
        y = y.iloc[take] if y is not None else None
    kinds = {str(name): _kind(X[name], infos.get(str(name))) for name in X.columns}
    floats = _float_profiles(X, kinds, infos)
    profiles = {str(name): floats.get(str(name)) or _profile(X[name], kinds[str(name)],
                                                             infos.get(str(name)))
                for name in X.columns}
    order = [c.name for c in columns] if columns else list(profiles)
    rows = [profiles[name] if name in profiles else _excluded_profile(infos[name]) for name in order]
    listed = set(order)
    rows += [p for name, p in profiles.items() if name not in listed]

    leakage = None
    if y is not None and task in ("classification", "regression") and len(X.columns):
        scores, n_used = _leakage(X, kinds, y, task, rng, leakage_rows, cv)
        leakage = {"metric": "ROC AUC" if task == "classification" else "R^2", "threshold": LEAKAGE,
                   "scores": scores, "n_rows": n_used, "cv": cv}
        for row in rows:
            if scores.get(row["name"], -np.inf) >= LEAKAGE:
                row["warnings"].append("leakage")
    warnings = []
    for row in rows:
        for code in row["warnings"]:
            message = WARNINGS[code]
            if code == "leakage":
                message = f"{leakage['metric']} {leakage['scores'][row['name']]:.3f} " + message
            elif code == "near_constant" and row["top_share"] is not None:
                message = f"{row['top_share']:.1%} of the values are the same"
            elif code == "many_missing":
                info = infos.get(row["name"])
                frac = info.missing_frac if info is not None else row["n_missing"] / max(row["n"], 1)
                message = f"{frac:.1%} of the values missing"
            elif code == "high_cardinality":
                message = f"{row['distinct']:,} distinct categories"
            warnings.append({"column": row["name"], "code": code, "message": message})
    return {
        "columns": rows,
        "target": _target_profile(y, task) if y is not None and task else None,
        "warnings": warnings, "leakage": leakage, "n_rows": int(n_rows),
        "n_rows_profiled": int(len(X)), "seconds": round(time.perf_counter() - t0, 4),
    }
