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
import importlib.util
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ._encodings import _Encodings, storage_dtype
from ._engine import _attribution, _consensus, _evaluation, _meta, _overview, _prepare, _source_name
from ._fitting import fit_planned, order_requests, terminate_workers
from ._constants import ATTRIBUTION_MODELS
from .exceptions import InputError, missing_extra, plain_values
from .progress import sub_steps
from .registry import REGISTRY, MethodSpec, get_method

__all__ = ["rank_features", "rank_file_streaming", "default_methods", "resolve_methods",
           "should_stream", "terminate_workers"]



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
        spec.check_installed()
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


# ---------------------------------------------------------------- progress
def _step(progress, label, done, total):
    if progress is not None:
        progress(label, done, total)


# -------------------------------------------------------------- main entry
def rank_features(data, target=None, *, methods=None, task="auto", drop=(), sample=None,
                  random_state=0, aggregation="cv_weighted", keep_id=False,
                  categorical_int_max=0, model=None, evaluate=False, progress=None,
                  params=None, n_jobs=None, include_degenerate=False, time_budget=None,
                  full=False, on_plan=None):
    """Rank every column of ``data`` with several methods and a consensus.

    Parameters
    ----------
    data : path, DataFrame or ndarray
        Anything :func:`featkit.io.read_table` accepts (CSV / TSV / Parquet /
        Feather file, pandas or polars DataFrame, 2-d numpy array), or a Dask
        DataFrame (:func:`featkit.distributed.rank_dask`: exact reductions on
        every row, other methods on a seeded sample, with a note).
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
    aggregation : {"cv_weighted", "mean_rank", "median_rank", "borda"}, default="cv_weighted"
        How the methods' rankings are combined into the consensus (see
        :class:`featkit.selection.ConsensusRanker`).
    keep_id : bool, default=False
        Rank ID-like columns (unique per row) instead of excluding them.
    categorical_int_max : int, default=0
        Integer columns with at most this many distinct values are categorical.
    model : {"lightgbm", "xgboost"} or None, default=None
        Also fit this gradient-boosting model and add its SHAP and gain
        importances as methods (needs ``featkit[boost]``).
    evaluate : bool, default=False
        Add selection curves, stability and agreement to
        ``result.sections.evaluation`` (for the report).
    progress : callable or None, default=None
        A :mod:`featkit.progress` reporter, called as ``progress(label, done, total)``
        before each step (reading, each method, ...) and once with
        ``done == total`` at the end.
    params : dict of str -> dict, default=None
        Estimator parameters per method, e.g. ``{"random_forest": {"n_estimators": 50}}``.
    n_jobs : int or None, default=None
        Cores for the whole run (-1: every core). None fits one method at a
        time, each with its own default. With more than one core and enough
        work (see :func:`featkit.plan_ranking`), ``min(n_jobs, methods)``
        methods fit at once in worker processes and each method that takes
        ``n_jobs`` gets ``n_jobs // workers``; the results are the same as
        a serial run's.
    include_degenerate : bool, default=False
        Also aggregate methods whose scores are degenerate (all tied, almost all
        tied, or a network no better than a constant predictor). By default they
        are left out of the consensus with a note; when every method is
        degenerate, all are used.
    time_budget : float, str or None, default=None
        Seconds the whole run may take (or text such as ``"90s"``, ``"2m"``,
        ``"1h"``): a method whose estimate exceeds its share is fitted on a
        seeded row sample, or skipped, with a note (see :func:`featkit.plan_ranking`).
    full : bool, default=False
        Without a budget, fit every method on every row even when one is
        estimated far beyond the others (by default such a method is sampled,
        with a note).
    on_plan : callable or None, default=None
        Called with the :class:`featkit.RankingPlan` once the table is typed,
        before any method is fitted (``featkit rank`` prints it).

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
    from .results import RankingResult
    from .sections import Sections
    from .utils._dask import is_dask_collection

    if is_dask_collection(data):
        from .distributed import rank_dask

        return rank_dask(data, target, methods=methods, task=task, drop=drop, sample=sample,
                         random_state=random_state, aggregation=aggregation, keep_id=keep_id,
                         categorical_int_max=categorical_int_max, model=model, evaluate=evaluate,
                         progress=progress, params=params, n_jobs=n_jobs,
                         include_degenerate=include_degenerate)
    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    specs, notes, params = _check_request(methods, target, model, aggregation, params, random_state)
    n_steps = 1 + len(specs) + (model is not None) + bool(evaluate)
    step = 0

    _step(progress, "reading data", step, n_steps)
    prepared = _prepare(data, target, drop=drop, keep_id=keep_id,
                        categorical_int_max=categorical_int_max, task=task, sample=sample,
                        random_state=random_state)
    step += 1
    features = [str(c) for c in prepared.X.columns]
    encodings = _encodings(prepared, specs, random_state, evaluate,
                           aggregation == "cv_weighted" and prepared.y is not None)

    plan = _plan(specs, prepared, time_budget, full, n_jobs, t_start, on_plan)
    encodings.want_orders(order_requests(plan, specs, encodings, random_state))
    notes.extend(plan.notes())
    sections = Sections()
    sections.overview = _overview(prepared, random_state)
    if model is None:  # the attribution refits on the frame; no other later step reads its rows
        encodings.let_go_of_table()
    method_results, decompositions, skipped = fit_planned(
        plan, specs, encodings, features, prepared, random_state, params, progress, step, n_steps)
    sections.decomposition = next((d for d in decompositions.values() if d is not None), None)
    step += len(specs)
    if skipped:
        if not method_results:
            raise InputError(f"No method could rank this table ({prepared.n_rows} rows): "
                             + "; ".join(skipped))
        notes.append(f"Skipped on this table ({prepared.n_rows} rows): " + "; ".join(skipped) + ".")

    if model is not None:
        _step(progress, f"{model} attribution", step, n_steps)
        attributed, sections.attribution = _attribution(model, prepared, random_state)
        method_results.update(attributed)
        step += 1

    evidence = None
    if aggregation == "cv_weighted" and prepared.y is not None and len(method_results) > 1:
        evidence = _evidence_input(specs, encodings, prepared, random_state, n_jobs, params, plan)
        over = _inner_over_budget(specs, encodings, prepared, plan, time.perf_counter() - t_start)
        if over:
            evidence, aggregation = None, "mean_rank"
            notes.append(over)
    score, rank, consensus_notes = _consensus(method_results, aggregation, include_degenerate,
                                              evidence)
    result = RankingResult(
        features=features, columns=list(prepared.columns), target=prepared.target,
        task=prepared.task, n_rows=int(prepared.n_rows), methods=method_results,
        consensus_score=score, consensus_rank=rank, aggregation=aggregation,
        notes=list(prepared.notes) + notes + consensus_notes, sections=sections,
    )
    if evaluate:
        _step(progress, "evaluation", step, n_steps)
        result.sections.evaluation = _evaluation(result, specs, encodings, prepared, random_state)
        step += 1
    _step(progress, "done", n_steps, n_steps)
    result.meta = _meta(_source_name(data), random_state, started, t_start)
    if isinstance(data, (str, os.PathLike)):
        result.source_path = os.path.abspath(data)  # save() refuses to write over it
    return result


# ------------------------------------------------------------ engine steps
def _check_request(methods, target, model, aggregation, params, random_state):
    """Specs, notes and checked params of a request; fails before any data is read."""
    from .selection._consensus import AGGREGATIONS

    if model is not None and model not in ATTRIBUTION_MODELS:
        raise InputError(f"model must be one of {', '.join(ATTRIBUTION_MODELS)}, got {model!r}.")
    if model is not None and importlib.util.find_spec(model) is None:
        raise missing_extra(model, "boost", f"Model attribution with {model}")
    if aggregation not in AGGREGATIONS:
        raise InputError(f"aggregation must be one of {', '.join(AGGREGATIONS)}, got {aggregation!r}.")
    # Method names are checked before the data is read, so a typo fails at once.
    specs, notes = resolve_methods(methods, supervised=target is not None)
    return specs, notes, _check_params(params, specs, random_state)


def _encodings(prepared, specs, random_state, evaluate, weighted):
    """The run's :class:`~featkit._encodings._Encodings`: the kinds its methods need, the
    kinds kept after the fits for the evaluation, and for the cv_weighted consensus the
    rows its inner folds read (at most INNER_MAX_ROWS) of every kind, not whole matrices."""
    kinds = {_Encodings.kind_for(s) for s in specs}
    keep = set()
    if evaluate:
        keep.add("numeric_imputed")
        keep.update(k for k in kinds if k == "categorical")
    encodings = _Encodings(prepared, random_state, needed=kinds | keep, keep=keep,
                           dtype=storage_dtype(prepared.n_rows, prepared.X.shape[1]))
    if weighted:
        encodings.sample_rows(_evidence_rows(prepared, random_state), kinds | {"numeric_imputed"})
    return encodings


def _evidence_rows(prepared, random_state):
    """The rows the cv_weighted consensus's inner folds are drawn from (the same
    seeded, stratified sample :class:`featkit.evaluation._evidence.InnerFolds` takes)."""
    from .evaluation._evidence import INNER_MAX_ROWS, _row_sample
    from .utils._task import check_target

    y = check_target(np.asarray(prepared.y), prepared.task)[0]
    return _row_sample(y, prepared.task, INNER_MAX_ROWS, random_state)


def _inner_rows(spec, plan, n_train):
    """Rows an inner refit of ``spec`` may use: no more than the run's own fit of it
    (a method the plan sampled is refitted on at most that many rows)."""
    try:
        planned = plan[spec.name]
    except KeyError:
        return n_train
    return min(n_train, planned.rows) if planned.sampled and planned.rows else n_train


def _inner_over_budget(specs, encodings, prepared, plan, elapsed):
    """A note when the inner refits (3 per method) would run past ``--time-budget``, else None."""
    if plan.time_budget is None:
        return None
    from ._plan import shape_of

    n_train = int(len(encodings._rows) * 2 / 3)
    shape = shape_of(prepared)
    seconds = sum(3 * spec.estimate_cost(replace(shape, n_rows=max(_inner_rows(spec, plan, n_train), 1))).seconds
                  for spec in specs)
    if elapsed + seconds <= plan.time_budget:
        return None
    return (f"The consensus is the plain mean rank: its inner cross-validated evidence (about "
            f"{seconds:.0f} s) would run past the {plan.time_budget:.0f} s time budget "
            f"({elapsed:.0f} s spent).")


def _refit_threads(n_jobs) -> int:
    """Threads for the consensus's inner refits: ``n_jobs`` cores when given, else every
    core while the load average is below the cores, else one.

    Measured on the shared 2-core machine (4,000 x 1,600, the refits alone, same
    answers): at load 1.1-2.3 one thread 33.2 / 32.8 s, two 20.3 / 25.5 s; at load
    4-5 one thread 54.5 / 53.6 s, two 57.3 / 45.7 s (part of the refits' work holds
    the GIL, and a thread that waits for a busy core gains nothing). The load counts
    this run's own thread, busy for the fits before the refits."""
    import os

    from ._cost import available_cores
    from ._plan import resolve_n_jobs

    if n_jobs is not None:
        return max(1, resolve_n_jobs(n_jobs))
    cores = available_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average (Windows)
        return 1
    return cores if cores > 1 and busy < cores else 1


def _evidence_input(specs, encodings, prepared, random_state, n_jobs, params, plan=None):
    """What the cv_weighted consensus refits its members with: each method on the
    training rows of an inner fold, on the same encoding as in the run; a method the
    plan sampled is refitted on at most its planned rows (a seeded subset of the fold).
    The methods are refitted in threads (:func:`_refit_threads`), each on one thread
    of its own; the neural methods (torch's thread settings are process-wide) one at
    a time (see ``InnerFolds.refit_all``)."""
    import warnings

    from .utils._task import check_target

    # the inner folds read only these rows (the sample InnerFolds draws itself): the
    # members are refitted on copies of them, taken as each encoding was let go
    y = check_target(np.asarray(prepared.y), prepared.task)[0][encodings._rows]
    n_threads = min(_refit_threads(n_jobs), len(specs))
    # one thread per method: two refits at once on a 2-core machine each asking for every
    # core (LightGBM's OpenMP threads spin while they wait) would take turns slowly; the
    # methods' answers do not depend on their thread count
    method_jobs = 1 if n_threads > 1 else n_jobs
    for kind in {_Encodings.kind_for(spec) for spec in specs}:
        encodings.sampled(kind)  # made once here, not by two threads at once

    def refitter(spec):
        def fit_on(rows):
            cap = len(rows) if plan is None else _inner_rows(spec, plan, len(rows))
            if cap < len(rows):
                rows = np.sort(np.random.RandomState(random_state).permutation(rows)[:cap])
            est = _make_estimator(spec, prepared.task, random_state, method_jobs,
                                  params.get(spec.name))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter of small folds
                est.fit(encodings.sampled(_Encodings.kind_for(spec))[rows],
                        y[rows] if spec.needs_target else None)
            return est.ranking_
        return fit_on

    refit = {spec.name: refitter(spec) for spec in specs}
    serial = {spec.name for spec in specs if spec.family == "neural"}
    return (refit, encodings.sampled("numeric_imputed"), y, prepared.task, random_state,
            n_threads, serial)


def _plan(specs, prepared, time_budget, full, n_jobs, t_start, on_plan):
    """The run's :class:`~featkit.RankingPlan`, shown to ``on_plan`` before any fit."""
    from ._plan import plan_methods, shape_of

    plan = plan_methods(specs, shape_of(prepared), time_budget=_budget_seconds(time_budget),
                        full=full, n_jobs=n_jobs, elapsed=time.perf_counter() - t_start)
    if on_plan is not None:
        on_plan(plan)
    return plan


def _budget_seconds(time_budget):
    from ._sizes import parse_duration

    if time_budget is None:
        return None
    try:
        return parse_duration(time_budget)
    except ValueError as exc:
        raise InputError(f"time_budget: {exc}") from None


class _Skipped(Exception):
    """A method that cannot rank this table (too few rows, ...); the others may."""


def _fit_method(spec, Xm, y, features, task, random_state, n_jobs, user_params, order=None,
                sample=False):
    """Fit one method on its encoded matrix ``Xm``: ``(estimator, seconds)``, or raise
    :class:`_Skipped`. ``order``: the canonical column order of the float64 values, for a
    float32 ``Xm`` (see :func:`featkit.base.given_canonical_order`); ``sample``: ``Xm``
    is the row sample the method takes itself (:func:`featkit.base.given_row_sample`)."""
    import pandas as pd

    from .base import BaseRanker, given_canonical_order, given_row_sample

    t0 = time.perf_counter()
    est = _make_estimator(spec, task, random_state, n_jobs, user_params)
    if not isinstance(est, BaseRanker):
        order = None
    try:
        # names let identical columns be told apart in the canonical column order
        with given_canonical_order(order), given_row_sample(sample):
            est.fit(pd.DataFrame(Xm, columns=features, copy=False), y if spec.needs_target else None)
    except ValueError as exc:
        error = _invalid_parameter(spec.name, user_params, exc)
        if error is not None:
            raise error from None
        raise _Skipped(f"{spec.name} ({' '.join(plain_values(exc).split())})") from None
    return est, time.perf_counter() - t0


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
    from .io._parts import table_bytes

    try:
        return table_bytes(path) > threshold_bytes
    except (OSError, InputError):
        return False  # the normal path reports the missing file


def _streaming_function(spec: MethodSpec):
    spec.check_installed()
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
    :class:`~featkit.io.ColumnInfo` or of their dicts) and ``"notes"``; the
    other keys that name a finding the method's estimator declares
    (``_findings``, with or without the trailing underscore) become the
    method's ``findings``, and undeclared keys are not kept. Degenerate methods are flagged and left
    out of the consensus as in :func:`rank_features` (``include_degenerate``).

    Returns
    -------
    RankingResult
    """
    from .base import degenerate_reason, ranking_from_scores
    from .findings import align_findings, findings_from_mapping
    from .io._parts import existing_table
    from .io._types import ColumnInfo
    from .results import MethodResult, RankingResult

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    specs, notes = resolve_methods(methods, supervised=target is not None)
    path = Path(existing_table(path))  # names a broken link or a pipe; a folder / glob of parts is kept
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
        declared = getattr(spec.estimator_class(), "_findings", {})
        findings, _ = findings_from_mapping(extra, declared, feats)
        if features is None:
            features = feats
        elif feats != features:
            # Align a later scorer's columns with the first one's order.
            pos = {f: j for j, f in enumerate(feats)}
            missing = [f for f in features if f not in pos]
            if missing:
                raise RuntimeError(f"streaming scorer of {spec.name!r} left out {missing}")
            take = np.asarray([pos[f] for f in features])
            scores = scores[take]
            findings = align_findings(findings, take)
        method_results[spec.name] = MethodResult(
            name=spec.name, scores=scores, ranking=ranking_from_scores(scores),
            seconds=seconds, params={"batch_size": batch_size, "random_state": random_state},
            findings=findings, degenerate=degenerate_reason(scores),
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
    result.meta = _meta(Path(path).name, random_state, started, t_start, streaming=True)
    return result
