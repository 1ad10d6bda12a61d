"""Rank every column of a table with several methods and combine them.

:func:`rank_features` is the main job of featkit (``featkit rank`` is a thin
shell around it): read and type the table, encode the columns the way each
method needs them, fit each registered method, and combine their rankings
into a consensus. :func:`rank_file_streaming` does the same for files too
large to load, with the methods that have a streaming scorer.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import importlib.metadata
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from .exceptions import InputError, missing_extra, plain_values
from .progress import sub_steps
from .registry import REGISTRY, MethodSpec, get_method

__all__ = ["rank_features", "rank_file_streaming", "default_methods", "resolve_methods",
           "should_stream"]

# Modules whose versions are recorded in ``meta["versions"]`` when installed.
_OPTIONAL_MODULES = ("torch", "xgboost", "lightgbm", "shap", "cupy", "dask", "polars")
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "cupy": "cupy-cuda12x"}
ATTRIBUTION_MODELS = ("lightgbm", "xgboost")


# ----------------------------------------------------------------- methods
def default_methods(supervised: bool) -> list[str]:
    """The methods :func:`rank_features` runs when none are named.

    With a target: every installed method marked ``default`` in the registry.
    Without one: the installed unsupervised methods that are marked ``default``
    or need no extra (so no optional heavy dependency is loaded by surprise).

    Examples
    --------
    >>> from featkit.ranking import default_methods
    >>> "f_test" in default_methods(supervised=True)
    True
    >>> "variance" in default_methods(supervised=False)
    True
    """
    out = []
    for spec in REGISTRY.values():
        if spec.family == "consensus" or not spec.is_installed():
            continue
        if supervised:
            if spec.default:
                out.append(spec.name)
        elif not spec.needs_target and (spec.default or spec.extra is None):
            out.append(spec.name)
    return out


def resolve_methods(methods, supervised: bool) -> tuple[list[MethodSpec], list[str]]:
    """Registry specs for ``methods`` (names, a comma-separated string or None).

    Returns the specs and the notes to show. An unknown name raises
    :class:`~featkit.exceptions.UnknownNameError` listing the valid ones; a
    supervised method without a target raises :class:`~featkit.exceptions.InputError`.
    """
    notes = []
    if methods is None:
        names = default_methods(supervised)
        if not supervised:
            notes.append(
                "No target given: only unsupervised methods ran ("
                + ", ".join(names) + "); pass a target to rank by relevance to it."
            )
        skipped = [s.name for s in REGISTRY.values()
                   if s.default and not s.is_installed() and (supervised or not s.needs_target)]
        if skipped:
            notes.append("Default methods skipped because their extra is not installed: "
                         + ", ".join(skipped) + ".")
    else:
        if isinstance(methods, str):
            methods = methods.split(",")
        names = []
        for m in methods:
            m = str(m).strip()
            if m and m not in names:
                names.append(m)
        if not names:
            raise InputError("No method given; name at least one (see `featkit methods`).")
    specs = [get_method(n) for n in names]
    if not supervised:
        needing = [s.name for s in specs if s.needs_target]
        if needing:
            raise InputError(
                f"Method{'s' if len(needing) > 1 else ''} {', '.join(needing)} "
                f"need{'' if len(needing) > 1 else 's'} a target; pass --target (target=...) "
                "or choose unsupervised methods (see `featkit methods`)."
            )
    if not specs:
        raise InputError("No installed method can rank this table; see `featkit methods`.")
    for spec in specs:
        if spec.family == "consensus":
            raise InputError("'consensus' is formed from the other methods; do not request it.")
        for mod in spec.requires:
            if importlib.util.find_spec(mod) is None:
                raise missing_extra(mod, spec.extra or "all", f"Method '{spec.name}'")
    return specs, notes


def _make_estimator(spec: MethodSpec, task, random_state, n_jobs, user_params):
    est = spec.make(task=task or "auto", random_state=random_state)
    accepted = est.get_params(deep=False)
    if n_jobs is not None and "n_jobs" in accepted:
        est.set_params(n_jobs=n_jobs)
    if user_params:
        unknown = sorted(set(user_params) - set(accepted))
        if unknown:
            raise InputError(
                f"Method '{spec.name}' has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are: {', '.join(sorted(accepted))}."
            )
        est.set_params(**user_params)
    return est


def _check_params(params, specs, random_state=0):
    """Fail before any work on a parameter for a method not run, an unknown name,
    or a value of the wrong kind (text where the default is a number)."""
    if not params:
        return {}
    run = {s.name: s for s in specs}
    for name, values in params.items():
        get_method(name)  # a misspelt method name lists the valid ones
        if name not in run:
            raise InputError(
                f"Parameters were given for method '{name}', which is not run "
                f"(methods run: {', '.join(run)}); add it to the methods or drop the parameters."
            )
        _make_estimator(run[name], None, random_state, None, values)  # unknown names fail here
        defaults = run[name].make(task="auto", random_state=random_state).get_params(deep=False)
        for key, value in (values or {}).items():
            default = defaults.get(key)
            numeric_default = isinstance(default, (int, float)) and not isinstance(default, bool)
            if numeric_default and isinstance(value, str):
                raise InputError(
                    f"Parameter {name}.{key}={value!r} is not valid: a number is expected "
                    f"(default {default!r})."
                )
    return params


def _invalid_parameter(spec_name, user_params, exc):
    """scikit-learn's InvalidParameterError for a user's parameter, as featkit's error."""
    from sklearn.utils._param_validation import InvalidParameterError

    if not isinstance(exc, InvalidParameterError) or not user_params:
        return None
    return InputError(f"Parameter of method '{spec_name}' is not valid "
                      f"({', '.join(f'{k}={v!r}' for k, v in user_params.items())}): "
                      f"{plain_values(exc)}")


# ------------------------------------------------------------------ helpers
def _versions() -> dict:
    import featkit

    out = {"featkit": featkit.__version__}
    for mod in ("numpy", "sklearn", "pandas", *_OPTIONAL_MODULES):
        if mod not in ("numpy", "sklearn", "pandas") and importlib.util.find_spec(mod) is None:
            continue
        try:
            out[mod] = importlib.metadata.version(_DISTRIBUTIONS.get(mod, mod))
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _source_name(data) -> str:
    if isinstance(data, (str, os.PathLike)):
        return Path(data).name
    return type(data).__name__


def _step(progress, label, done, total):
    if progress is not None:
        progress(label, done, total)


def _consensus(method_results: dict, aggregation: str, include_degenerate: bool = False):
    """Consensus score and average ranks, and the notes that explain what went in.

    Degenerate methods are left out unless ``include_degenerate``, or unless
    every method is degenerate (then all of them are used, with a note).
    """
    from .base import ranking_from_scores
    from .selection._consensus import aggregate_rankings

    notes = []
    members = list(method_results.values())
    for m in members:
        n_nan = int(np.isnan(m.scores).sum())
        if n_nan:
            notes.append(f"Method {m.name} gave no score (NaN) to {n_nan} of {m.scores.size} "
                         "features; they share its last ranks.")
    flagged = [m for m in members if m.degenerate]
    used = members
    if flagged and not include_degenerate:
        if len(flagged) == len(members):
            notes.append("Every method gave degenerate scores; the consensus is formed from all "
                         "of them and cannot be trusted to order the features.")
        else:
            used = [m for m in members if not m.degenerate]
    for m in flagged:
        fate = ("left out of the consensus" if used is not members
                else "kept in the consensus")
        notes.append(f"Method {m.name} gave degenerate scores ({m.degenerate}): {fate}.")
    score = aggregate_rankings([m.ranking for m in used], aggregation)
    return score, ranking_from_scores(score), notes


def _method_result(spec_name, est, seconds):
    from .base import degenerate_reason
    from .results import MethodResult

    support = None
    if hasattr(est, "support_"):
        support = np.asarray(est.get_support(), dtype=bool)
    extra = {}
    report_extra = getattr(est, "report_extra", None)
    if callable(report_extra):
        extra = dict(report_extra() or {})
    scores = np.asarray(est.scores_, dtype=np.float64)
    # a network's own verdict (no better than a constant predictor) comes first
    degenerate = getattr(est, "degenerate_", None) or degenerate_reason(scores)
    return MethodResult(
        name=spec_name, scores=scores,
        ranking=np.asarray(est.ranking_, dtype=np.float64), support=support,
        seconds=float(seconds), params=est.get_params(deep=False), extra=extra,
        degenerate=degenerate,
    )


# -------------------------------------------------------------- main entry
def rank_features(data, target=None, *, methods=None, task="auto", drop=(), sample=None,
                  random_state=0, aggregation="mean_rank", keep_id=False,
                  categorical_int_max=0, model=None, evaluate=False, progress=None,
                  params=None, n_jobs=None, include_degenerate=False):
    """Rank every column of ``data`` with several methods and a consensus.

    Parameters
    ----------
    data : path, DataFrame or ndarray
        Anything :func:`featkit.io.read_table` accepts (CSV / TSV / Parquet /
        Feather file, pandas or polars DataFrame, 2-d numpy array).
    target : str or None, default=None
        The target column. Without one only unsupervised methods run (with a
        note saying so).
    methods : list of str, comma-separated str or None, default=None
        Registry names (see :func:`featkit.list_methods`). None runs the
        defaults (see :func:`default_methods`).
    task : {"auto", "classification", "regression"}, default="auto"
        Overrides the task inferred from the target.
    drop : sequence of str, default=()
        Columns to leave out.
    sample : int or None, default=None
        Rank on a seeded random sample of this many rows.
    random_state : int, default=0
        Seed for sampling and every randomised method; same seed, same result.
    aggregation : {"mean_rank", "median_rank", "borda"}, default="mean_rank"
        How the methods' rankings are combined into the consensus.
    keep_id : bool, default=False
        Rank ID-like columns (unique per row) instead of excluding them.
    categorical_int_max : int, default=0
        Integer columns with at most this many distinct values are categorical.
    model : {"lightgbm", "xgboost"} or None, default=None
        Also fit this gradient-boosting model and add its SHAP and gain
        importances as methods (needs ``featkit[boost]``).
    evaluate : bool, default=False
        Add selection curves, stability and agreement to
        ``result.sections["evaluation"]`` (for the report).
    progress : callable or None, default=None
        A :mod:`featkit.progress` reporter, called as ``progress(label, done, total)``
        before each step (reading, each method, ...) and once with
        ``done == total`` at the end.
    params : dict of str -> dict, default=None
        Estimator parameters per method, e.g. ``{"random_forest": {"n_estimators": 50}}``.
    n_jobs : int or None, default=None
        Passed to every method that takes ``n_jobs``.
    include_degenerate : bool, default=False
        Also aggregate methods whose scores are degenerate (all tied, almost all
        tied, or a network no better than a constant predictor). By default they
        are left out of the consensus with a note; when every method is
        degenerate, all are used.

    Returns
    -------
    RankingResult
        Per-method scores and ranks, the consensus, column types and notes;
        see :class:`featkit.results.RankingResult`.

    Notes
    -----
    Ranks are average ranks (tied scores share their mean rank); each method
    sees the columns in a canonical order, so permuting the input columns
    permutes the result and changes nothing else.

    Methods whose registry ``input`` is "numeric" get
    :func:`featkit.io.encode_numeric` (categoricals target-encoded out of fold,
    missing values imputed unless the method handles them); "categorical"
    methods get category codes for categorical columns and the values of the
    others (``featkit.io._encode.encode_discrete_values``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from featkit.ranking import rank_features
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    >>> frame["y"] = (X[:, 1] + 0.2 * X[:, 3] > 0).astype(int)
    >>> result = rank_features(frame, "y", methods=["f_test", "l1"])
    >>> result.top(2)
    ['b', 'd']
    """
    import pandas as pd

    from .io import encode_numeric, prepare_features, read_table
    from .io._encode import encode_discrete_values
    from .results import RankingResult

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    if model is not None and model not in ATTRIBUTION_MODELS:
        raise InputError(f"model must be one of {', '.join(ATTRIBUTION_MODELS)}, got {model!r}.")
    if model is not None and importlib.util.find_spec(model) is None:
        raise missing_extra(model, "boost", f"Model attribution with {model}")
    from .selection._consensus import AGGREGATIONS

    if aggregation not in AGGREGATIONS:
        raise InputError(f"aggregation must be one of {', '.join(AGGREGATIONS)}, got {aggregation!r}.")
    # Method names are checked before the data is read, so a typo fails at once.
    specs, notes = resolve_methods(methods, supervised=target is not None)
    params = _check_params(params, specs, random_state)
    n_steps = 1 + len(specs) + (model is not None) + bool(evaluate)
    step = 0

    _step(progress, "reading data", step, n_steps)
    frame = read_table(data)
    prepared = prepare_features(
        frame, target, drop=drop, keep_id=keep_id, categorical_int_max=categorical_int_max,
        task=task, sample=sample, random_state=random_state,
    )
    step += 1
    X, y = prepared.X, prepared.y
    info = {c.name: c for c in prepared.columns}
    used = [info[name] for name in X.columns]
    features = [str(c) for c in X.columns]

    encoded = {}

    def encoding(kind):
        # Each encoding is computed once and shared by the methods that need it.
        if kind not in encoded:
            if kind == "categorical":
                # Numbers stay numbers, so a method can tell continuous columns from codes.
                encoded[kind] = encode_discrete_values(X, used)
            else:
                encoded[kind] = encode_numeric(X, used, y, prepared.task,
                                               impute=(kind == "numeric_imputed"),
                                               random_state=random_state)
        return encoded[kind]

    method_results, skipped = {}, []
    for spec in specs:
        _step(progress, spec.name, step, n_steps)
        t0 = time.perf_counter()
        if spec.input == "categorical":
            Xm = encoding("categorical")
        else:
            Xm = encoding("numeric_nan" if spec.allow_nan else "numeric_imputed")
        est = _make_estimator(spec, prepared.task, random_state, n_jobs, params.get(spec.name))
        try:
            # names let identical columns be told apart in the canonical column order
            est.fit(pd.DataFrame(Xm, columns=features, copy=False), y if spec.needs_target else None)
        except ValueError as exc:
            # Too few rows, a class with one row, ...: the other methods may still rank.
            error = _invalid_parameter(spec.name, params.get(spec.name), exc)
            if error is not None:
                raise error from None
            skipped.append(f"{spec.name} ({' '.join(plain_values(exc).split())})")
        else:
            method_results[spec.name] = _method_result(spec.name, est, time.perf_counter() - t0)
        step += 1
    if skipped:
        if not method_results:
            raise InputError(f"No method could rank this table ({prepared.n_rows} rows): "
                             + "; ".join(skipped))
        notes.append(f"Skipped on this table ({prepared.n_rows} rows): " + "; ".join(skipped) + ".")

    sections = {}
    if model is not None:
        _step(progress, f"{model} attribution", step, n_steps)
        from .attribution import model_attribution

        t0 = time.perf_counter()
        attribution = model_attribution(X, y, task=prepared.task, model=model,
                                        random_state=random_state)
        seconds = time.perf_counter() - t0
        from .base import degenerate_reason, ranking_from_scores
        from .results import MethodResult

        for key, values in attribution.importances.items():
            values = np.asarray(values, dtype=np.float64)
            name = f"{model}_{key}"
            method_results[name] = MethodResult(
                name=name, scores=values, ranking=ranking_from_scores(values),
                seconds=seconds, params={"model": model, "importance": key},
                degenerate=degenerate_reason(values),
            )
        sections["attribution"] = attribution.to_section()
        step += 1

    score, rank, consensus_notes = _consensus(method_results, aggregation, include_degenerate)
    result = RankingResult(
        features=features, columns=list(prepared.columns), target=prepared.target,
        task=prepared.task, n_rows=int(prepared.n_rows), methods=method_results,
        consensus_score=score, consensus_rank=rank, aggregation=aggregation,
        notes=list(prepared.notes) + notes + consensus_notes, sections=sections,
    )
    if evaluate:
        _step(progress, "evaluation", step, n_steps)
        from .evaluation import evaluate_ranking

        extra = {}
        if any(s.input == "categorical" for s in specs):
            extra["X_discrete"] = encoding("categorical")  # the codes those methods saw
        if y is None:
            result.notes.append("Selection curves need a target: the evaluation shows "
                                "agreement, stability and redundancy only.")
        result.sections["evaluation"] = evaluate_ranking(
            result, encoding("numeric_imputed"), y, task=prepared.task,
            random_state=random_state, **extra)
        step += 1
    _step(progress, "done", n_steps, n_steps)
    result.meta = {
        "command": None,
        "versions": _versions(),
        "seed": random_state,
        "source": _source_name(data),
        "started": started.isoformat(timespec="seconds"),
        "seconds_total": round(time.perf_counter() - t_start, 3),
    }
    if isinstance(data, (str, os.PathLike)):
        result.source_path = os.path.abspath(data)  # save() refuses to write over it
    return result


# ---------------------------------------------------------------- streaming
def should_stream(path, methods, *, threshold_bytes=1 << 30, force=False) -> bool:
    """Whether ``featkit rank`` should use the streaming scorers for ``path``.

    True when every requested method has a streaming scorer and the file is
    larger than ``threshold_bytes`` (or ``force``). ``force`` with a method that
    cannot stream raises :class:`~featkit.exceptions.InputError`.
    """
    if methods is None:
        if force:
            raise InputError("Streaming needs the methods named (--method); see `featkit methods`.")
        return False
    names = methods.split(",") if isinstance(methods, str) else list(methods)
    specs = [get_method(str(n).strip()) for n in names if str(n).strip()]
    cannot = [s.name for s in specs if not s.streaming]
    if cannot:
        if force:
            streamable = [s.name for s in REGISTRY.values() if s.streaming]
            raise InputError(
                f"Method{'s' if len(cannot) > 1 else ''} {', '.join(cannot)} cannot stream a file; "
                f"methods that can: {', '.join(streamable) or 'none installed'}."
            )
        return False
    if force:
        return True
    try:
        return Path(path).stat().st_size > threshold_bytes
    except OSError:
        return False  # the normal path reports the missing file


def _streaming_function(spec: MethodSpec):
    for mod in spec.requires:
        if importlib.util.find_spec(mod) is None:
            raise missing_extra(mod, spec.extra or "all", f"Method '{spec.name}'")
    module, func = spec.streaming.split(":")
    return getattr(importlib.import_module(module), func)


def rank_file_streaming(path, target=None, *, methods, drop=(), batch_size=16384,
                        random_state=0, aggregation="mean_rank", progress=None,
                        include_degenerate=False):
    """Rank the columns of a file with streaming scorers, never loading it whole.

    Every method in ``methods`` must have a ``streaming`` scorer in the
    registry: ``f(path, target, *, batch_size, random_state, drop, progress)
    -> (features, scores, extra)``. Scorers are called in turn; each gets a
    :mod:`featkit.progress` reporter for its own step (e.g. rows read), which
    reaches ``progress`` labelled ``"<method>: <what the scorer said>"``.

    ``extra`` may hold ``"n_rows"``, ``"task"``, ``"columns"`` (a list of
    :class:`~featkit.io.ColumnInfo` or of their dicts) and ``"notes"``; the rest
    is kept in the method's ``extra``. Degenerate methods are flagged and left
    out of the consensus as in :func:`rank_features` (``include_degenerate``).

    Returns
    -------
    RankingResult
    """
    from .base import degenerate_reason, ranking_from_scores
    from .io._read import existing_file
    from .io._types import ColumnInfo
    from .results import MethodResult, RankingResult

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    specs, notes = resolve_methods(methods, supervised=target is not None)
    path = existing_file(path)  # names a broken link or a pipe, not just "no such file"
    cannot = [s.name for s in specs if not s.streaming]
    if cannot:
        raise InputError(f"Method{'s' if len(cannot) > 1 else ''} {', '.join(cannot)} cannot stream a file.")
    features = None
    columns, n_rows, task = None, 0, None
    method_results = {}
    for i, spec in enumerate(specs):
        _step(progress, spec.name, i, len(specs))
        func = _streaming_function(spec)
        t0 = time.perf_counter()
        feats, scores, extra = func(path, target, batch_size=batch_size,
                                    random_state=random_state, drop=tuple(drop),
                                    progress=sub_steps(progress, spec.name, i, len(specs)))
        seconds = time.perf_counter() - t0
        feats = [str(f) for f in feats]
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != (len(feats),):
            raise RuntimeError(f"streaming scorer of {spec.name!r} returned {scores.shape} scores "
                               f"for {len(feats)} features")
        extra = dict(extra or {})
        n_rows = int(extra.pop("n_rows", n_rows) or n_rows)
        task = extra.pop("task", task)
        notes.extend(extra.pop("notes", []))
        cols = extra.pop("columns", None)
        if cols is not None and columns is None:
            columns = [c if isinstance(c, ColumnInfo) else ColumnInfo(**c) for c in cols]
        if features is None:
            features = feats
        elif feats != features:
            # Align a later scorer's columns with the first one's order.
            pos = {f: j for j, f in enumerate(feats)}
            missing = [f for f in features if f not in pos]
            if missing:
                raise RuntimeError(f"streaming scorer of {spec.name!r} left out {missing}")
            scores = scores[[pos[f] for f in features]]
        method_results[spec.name] = MethodResult(
            name=spec.name, scores=scores, ranking=ranking_from_scores(scores),
            seconds=seconds, params={"batch_size": batch_size, "random_state": random_state},
            extra=extra, degenerate=degenerate_reason(scores),
        )
    _step(progress, "done", len(specs), len(specs))
    if columns is None:
        columns = [ColumnInfo(f, "numeric", "unknown", 0, 0.0, 0, True,
                              "read in batches; type not checked") for f in features]
    score, rank, consensus_notes = _consensus(method_results, aggregation, include_degenerate)
    notes.extend(consensus_notes)
    notes.append(f"Streamed {Path(path).name} in batches of {batch_size:,} rows "
                 "(the whole table was never loaded).")
    result = RankingResult(
        features=features, columns=columns, target=target, task=task, n_rows=n_rows,
        methods=method_results, consensus_score=score, consensus_rank=rank,
        aggregation=aggregation, notes=notes,
    )
    result.meta = {
        "command": None, "versions": _versions(), "seed": random_state,
        "source": Path(path).name, "started": started.isoformat(timespec="seconds"),
        "seconds_total": round(time.perf_counter() - t_start, 3), "streaming": True,
    }
    return result
