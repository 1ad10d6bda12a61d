"""The engine's "fit the methods" step: the planned fits, one after another or in worker processes.

:func:`fit_planned` runs every method of a :class:`featkit._plan.RankingPlan`
on its encoding (and its seeded row sample, when the plan samples it). With
one worker the fits run in this process, in a helper thread when someone
listens to progress, so that the calling thread can report a live line per
method. With more, they run in a pool of spawned worker processes (a fitted
scikit-learn model holds the GIL for most of its work, so threads would take
turns); each worker maps the encoded matrices, saved once to a temporary
folder, when it starts (one copy in memory whatever the workers), and
returns each method's :class:`~featkit.results.MethodResult`, never the
fitted model. Every method gets the same seed and the same data whichever
way it runs, so the results are the same as a serial run's.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import tempfile
import threading
import time
import warnings

import numpy as np

from .progress import as_reporter, eta_text, null_progress, sub_steps

__all__ = ["HEARTBEAT_S", "canonical_sample", "fit_planned", "order_requests", "sample_rows",
           "terminate_workers"]

# Seconds between two progress reports of a running method.
HEARTBEAT_S = 1.0

_POOLS: set = set()
_POOLS_LOCK = threading.Lock()
_WORKER_DATA: dict = {}
_LIBC: dict = {}


def sample_rows(n_rows: int, rows: int, random_state) -> np.ndarray | None:
    """The seeded sample of ``rows`` of ``n_rows`` row positions (sorted), or None for all.

    Examples
    --------
    >>> from featkit._fitting import sample_rows
    >>> sample_rows(10, 10, 0) is None
    True
    >>> sample_rows(10, 4, 0)
    array([2, 4, 8, 9])
    """
    if rows >= n_rows:
        return None
    return np.sort(np.random.RandomState(random_state).choice(n_rows, rows, replace=False))


def terminate_workers() -> int:
    """End every worker process of a fit in progress at once; return how many pools were ended.

    Meant for a signal handler that is about to end the process (``featkit
    rank`` on Ctrl-C or SIGTERM): a worker in native code would otherwise run on.
    """
    with _POOLS_LOCK:
        pools = list(_POOLS)
        _POOLS.clear()
    for pool in pools:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        with contextlib.suppress(Exception):
            pool.shutdown(wait=False, cancel_futures=True)
    return len(pools)


def _init_worker(data, inner_jobs):
    # The worker's BLAS gets the method's share of the cores, no more, so two
    # workers do not fight over the same cores.
    if inner_jobs:
        from threadpoolctl import threadpool_limits

        _WORKER_DATA["limits"] = threadpool_limits(limits=inner_jobs)
    # copy-on-write: the pages are the file's, shared by every worker; a method
    # that wrote over its input would write to a private copy of a page, never the file
    matrices = {kind: np.load(path, mmap_mode="c") for kind, path in data["matrices"].items()}
    _WORKER_DATA.update(data, matrices=matrices)


def _saved_matrices(encodings, kinds, folder) -> dict:
    """Each encoding the workers need, saved once as ``.npy`` in ``folder``: kind -> path.

    The workers map the files instead of each receiving a pickled copy of every
    matrix, so the encodings are in memory once (the page cache's), whatever
    the number of workers.
    """
    paths = {}
    for kind in kinds:
        paths[kind] = os.path.join(folder, f"{kind}.npy")
        np.save(paths[kind], encodings.get(kind), allow_pickle=False)
    return paths


def _reorders_its_input(spec) -> bool:
    """Whether the method's fit is :class:`~featkit.base.BaseRanker`'s, which copies a
    non-columnwise input into the canonical column order before it fits."""
    from .base import BaseRanker

    cls = spec.estimator_class()
    return (isinstance(cls, type) and issubclass(cls, BaseRanker) and not cls._columnwise
            and cls.fit is BaseRanker.fit and cls._fit_canonical is BaseRanker._fit_canonical)


def _permute_columns(a: np.ndarray, order) -> None:
    """``a[:, c] = a[:, order[c]]`` for every ``c`` at once, in place, with one
    column of scratch (fast for a column-major ``a``).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit._fitting import _permute_columns
    >>> a = np.asfortranarray(np.arange(8.0).reshape(2, 4))
    >>> _permute_columns(a, [2, 0, 3, 1])
    >>> a
    array([[2., 0., 3., 1.],
           [6., 4., 7., 5.]])
    """
    done = np.zeros(len(order), dtype=bool)
    scratch = np.empty(a.shape[0], dtype=a.dtype)
    for start in range(len(order)):
        if done[start]:
            continue
        scratch[:] = a[:, start]
        c = start
        while order[c] != start:  # follow the cycle; each source is read before it is written
            a[:, c] = a[:, order[c]]
            done[c] = True
            c = order[c]
        a[:, c] = scratch
        done[c] = True


def canonical_sample(matrix, rows, features, order=None):
    """``(sample, order)``: ``matrix[rows]`` with its columns already in the canonical
    order the method's fit would copy them into, and that order (``order`` when
    given: the engine's, of the float64 values of a float32 matrix).

    :meth:`featkit.base.BaseRanker.fit` reorders its input into
    :func:`~featkit.base.canonical_column_order` (of the rows it is given) with a
    column-major copy. Gathering the rows column by column into that layout and
    permuting the columns in place gives the same array from one copy instead of
    two (the sampled rows, then their reorder): the fit, handed the columns under
    their names in that order, finds them in canonical order already and copies
    nothing. On 266,667 x 100 rows that is 213 MB less at the method's peak.
    """
    from .base import canonical_column_order

    sample = np.empty((len(rows), matrix.shape[1]), dtype=matrix.dtype, order="F")
    for j in range(matrix.shape[1]):
        sample[:, j] = matrix[rows, j]
    if order is None:
        order = canonical_column_order(sample, features)
    _permute_columns(sample, order)
    return sample, order


def _in_input_order(result, decomposition, order):
    """A result fitted on columns in ``order``, with its per-feature values in input order."""
    from .findings import align_findings

    inverse = np.argsort(order)
    result.scores, result.ranking = result.scores[inverse], result.ranking[inverse]
    if result.support is not None:
        result.support = result.support[inverse]
    result.findings = align_findings(result.findings, inverse)
    if decomposition is not None:
        decomposition.features = [decomposition.features[i] for i in inverse]
        decomposition.loadings = [[row[i] for i in inverse] for row in decomposition.loadings]
    return result, decomposition


def _run_job(job, data=None):
    """Fit one planned method: ``("ok", MethodResult, decomposition)`` or ``("skip", why)``."""
    from ._engine import _decomposition, _method_result
    from .ranking import _fit_method, _Skipped

    data = _WORKER_DATA if data is None else data
    spec, rows = job["spec"], job["rows"]
    X, y, features, order = data["matrices"][job["kind"]], data["y"], data["features"], None
    # the engine's canonical order of the float64 values, when the matrix is narrower
    given = job.get("order")
    if rows is not None:
        if _reorders_its_input(spec):
            X, order = canonical_sample(X, rows, features, given)
            features = [features[j] for j in order]
            if given is not None:  # the columns are in that order now
                given = np.arange(len(order))
        else:
            X = X[rows]
        y = None if y is None else y.iloc[rows]
    try:
        est, seconds = _fit_method(spec, X, y, features, data["task"], job["random_state"],
                                   job["n_jobs"], job["params"], order=given,
                                   sample=job.get("sample_given", False))
    except _Skipped as skip:
        return ("skip", str(skip))
    result = _method_result(spec.name, est, seconds)
    decomposition = _decomposition(spec.name, est, features)
    if order is not None:
        result, decomposition = _in_input_order(result, decomposition, order)
    if rows is not None:
        result.params = {**result.params, "sampled_rows": int(len(rows))}
    return ("ok", result, decomposition)


def order_requests(plan, specs, encodings, random_state):
    """The ``(kind, rows)`` each planned fit reads, for :meth:`featkit._encodings._Encodings.want_orders`."""
    return [(job["kind"], job["rows"]) for job in _jobs(plan, specs, encodings, random_state, {})]


def _jobs(plan, specs, encodings, random_state, params):
    by_name = {s.name: s for s in specs}
    jobs = []
    for m in plan.methods:
        if m.action == "skip":
            continue
        spec = by_name[m.name]
        jobs.append({"spec": spec, "kind": encodings.kind_for(spec), "random_state": random_state,
                     "rows": sample_rows(plan.n_rows, m.rows, random_state),
                     "n_jobs": plan.inner_jobs, "params": params.get(spec.name),
                     "estimate": m.seconds, "planned": m})
    return jobs


def _trim_heap() -> bool:
    """Give the C heap's free pages back to the OS; False where that is not glibc.

    A fitted model (LightGBM's bins and trees, a forest) frees its memory into
    glibc's arenas, which keep it: without this the next method's peak starts
    from the last one's (170 MiB after gradient_boosting on 200,000 x 100).
    """
    libc = _LIBC.get("libc")
    if libc is None:
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.malloc_trim  # noqa: B018 - only glibc has it
        except (OSError, AttributeError):
            libc = False
        _LIBC["libc"] = libc
    if not libc:
        return False
    libc.malloc_trim(0)
    return True


def _row_union(samples):
    """The sorted row positions in any of ``samples`` (the largest sample itself when
    it holds the others, as :func:`sample_rows`'s seeded samples of one seed do).

    Examples
    --------
    >>> import numpy as np
    >>> from featkit._fitting import _row_union
    >>> _row_union([np.array([1, 4]), np.array([7, 1, 3])])
    array([1, 3, 4, 7])
    """
    largest = max(samples, key=len)
    union = np.unique(np.concatenate(samples))
    return largest if len(union) == len(largest) and np.array_equal(union, largest) else union


def _rows_read(job):
    """The rows a job's fit reads: the plan's sample, else the method's own (``own_rows``), else None."""
    return job["rows"] if job["rows"] is not None else job.get("own_rows")


def _own_samples(jobs, data, encodings, n_rows):
    """Set ``own_rows`` on each whole-table job whose method fits on a row sample it
    takes itself (``L1Ranker``'s 50,000 stratified rows), where handing it just those
    rows gives the same fit (:meth:`featkit.base.BaseRanker._sample_of_fit`).

    Only with a float32 store: there the canonical column order of the whole table is
    known without the matrix (:meth:`~featkit._encodings._Encodings.column_order`);
    a float64 fit computes it from the array it is given, which would be the sample's.
    Returns whether any ranker was asked.
    """
    from .base import BaseRanker
    from .ranking import _make_estimator

    asked = False
    for job in jobs:
        kind = job["kind"]
        if (job["rows"] is not None or kind == "categorical" or kind in encodings._keep
                or encodings._dtype == np.float64):
            continue
        spec = job["spec"]
        est = _make_estimator(spec, data["task"], job["random_state"], job["n_jobs"], job["params"])
        if isinstance(est, BaseRanker):
            job["own_rows"] = est._sample_of_fit(data["y"] if spec.needs_target else None, n_rows)
            asked = True
    return asked


def _one_array(encodings, kind):
    """The kinds held in ``kind``'s one array: a table without missing values has the
    same matrix for its NaN-kept and imputed kinds, so neither goes while the other's
    fits are to come (on 1,000,000 x 100: ``l1`` and ``random_forest``, then the boosting
    methods)."""
    numeric = ("numeric_nan", "numeric_imputed")
    return numeric if kind in numeric and encodings._has_missing is False else (kind,)


def _releasing(jobs, encodings, data):
    """Run a job in this process, then release each encoding that no later job needs:
    at most the encodings of the running method and of those still to come are held.

    When every job still to come of a kind fits on a row sample (the jobs run with
    the whole-table fits first), the union of their rows is copied once and the
    kind's whole matrix is let go before them: on 1,000,000 x 100 ``l1``,
    ``random_forest`` and the boosting methods then run beside a copy of the rows
    they read instead of the 381 MiB float32 matrix. A plan's sample is read from the copy at its rows' positions; a
    method's own sample (``own_rows``, see :func:`_own_samples`) is handed to it in
    its own row order with the whole table's canonical order, under
    :func:`featkit.base.given_row_sample`. The fits see the same arrays.
    """
    last = {job["kind"]: i for i, job in enumerate(jobs)}
    unions = {}  # kinds -> (rows of the union sample, matrix of those rows, target of those rows)

    def union_for(i, job):
        kinds = _one_array(encodings, job["kind"])
        if kinds in unions:
            return unions[kinds]
        later = [j for j in jobs[i:] if j["kind"] in kinds]
        if (_rows_read(job) is None or "categorical" in kinds or any(k in encodings._keep for k in kinds)
                or any(_rows_read(j) is None for j in later)):
            return None
        union = _row_union([_rows_read(j) for j in later])
        if union is None:
            return None
        matrix = encodings.get(job["kind"])
        rows = np.empty((len(union), matrix.shape[1]), dtype=matrix.dtype, order="F")
        for c in range(matrix.shape[1]):
            rows[:, c] = matrix[union, c]
        del matrix
        for kind in kinds:  # NaN-kept first: released after it, it would make the other again
            encodings.release(kind)
        y = data["y"]
        unions[kinds] = (union, rows, None if y is None else y.iloc[union])
        return unions[kinds]

    def run(i, job):
        try:
            held = union_for(i, job)
            if held is not None:
                union, rows, y = held
                if job["rows"] is None:  # the method's own sample, in its order
                    at = np.searchsorted(union, job["own_rows"])
                    part = {**job, "sample_given": True,
                            "order": encodings.column_order(job["kind"], None, data["features"])}
                    return _run_job(part, {**data, "matrices": {job["kind"]: rows[at]},
                                           "y": None if y is None else y.iloc[at]})
                part = {**job, "rows": np.searchsorted(union, job["rows"]),
                        "order": encodings.column_order(job["kind"], job["rows"], data["features"])}
                return _run_job(part, {**data, "matrices": {job["kind"]: rows}, "y": y})
            with encodings.lent(job["kind"]):  # data["matrices"] hands out the lent matrix
                order = encodings.column_order(job["kind"], job["rows"], data["features"])
                return _run_job({**job, "order": order}, data)
        finally:
            if last[job["kind"]] == i:
                encodings.release(job["kind"])
            kinds = _one_array(encodings, job["kind"])
            if max(last.get(k, -1) for k in kinds) == i:
                unions.pop(kinds, None)
            _trim_heap()
    return run


def _whole_table_first(jobs):
    """The jobs in the order a serial run fits them: those on every row first, among
    them those that read the category codes before the others (so the codes can go
    before the others' peaks); then the methods that sample their own rows, then the
    plan's sampled fits (see :func:`_releasing`); otherwise in plan order.

    A method's own sample goes before the plan's so that the copy of its rows is let
    go with the last fit of its kind, not held through the boosting fits' peaks.
    """
    def key(job):
        if job["rows"] is not None:
            return 2, False
        if job.get("own_rows") is not None:
            return 1, False
        return 0, job["kind"] != "categorical"
    return sorted(jobs, key=key)


def _line(job, n_features, elapsed) -> str:
    m = job["planned"]
    rows = f"{m.rows:,} of {m.total_rows:,} rows" if m.rows < m.total_rows else f"{m.rows:,} rows"
    return f"{rows} x {n_features:,} features, {elapsed:.0f} s, {eta_text(elapsed, m.seconds)}"


def fit_planned(plan, specs, encodings, features, prepared, random_state, params,
                progress=None, step=0, n_steps=None):
    """Fit every method of ``plan``; ``(results, decompositions, skipped)`` in plan order.

    ``results`` maps a method name to its :class:`~featkit.results.MethodResult`,
    ``decompositions`` to the PCA it read (or None), and ``skipped`` lists the
    methods that could not rank this table, with why. ``progress`` hears
    ``(name, step, n_steps)`` when a method starts, then every :data:`HEARTBEAT_S`
    seconds ``("<name>: <rows> x <features>, <elapsed>, ETA ...", ...)`` (the
    estimate is the plan's), and ``("<name>: done", ...)`` when it ends.
    """
    jobs = _jobs(plan, specs, encodings, random_state, params or {})
    data = {"y": prepared.y, "features": list(features), "task": prepared.task}
    reporter = as_reporter(progress)
    outcomes = {}
    parallel = plan.workers > 1
    if parallel:
        # a worker maps every matrix it may need once, when it starts
        folder = tempfile.TemporaryDirectory(prefix="featkit-fit-")
        kinds = dict.fromkeys(j["kind"] for j in jobs)
        try:
            data["matrices"] = _saved_matrices(encodings, kinds, folder.name)
            for job in jobs:
                job["order"] = encodings.column_order(job["kind"], job["rows"], data["features"])
        except OSError as exc:  # e.g. a temp folder too small for the n x d files
            folder.cleanup()
            parallel = False
            warnings.warn(f"The methods run one at a time: the matrices for the parallel workers "
                          f"could not be written to the temp folder ({exc.strerror or exc}).",
                          stacklevel=2)
    if not parallel:
        # one method at a time: each encoding is made when first needed and let go after its last use
        if _own_samples(jobs, data, encodings, plan.n_rows):
            # the stratified split's temporaries (~60 MiB at 1,000,000 rows) would stay in
            # the C heap under the first fit's peak
            _trim_heap()
        ordered = _whole_table_first(jobs)
        run = _releasing(ordered, encodings, {**data, "matrices": encodings})
        if reporter is null_progress:
            for i, job in enumerate(ordered):  # nobody listens: no helper thread
                outcomes[job["spec"].name] = run(i, job)
        else:
            index = {id(job): i for i, job in enumerate(ordered)}
            with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="featkit-fit") as pool:
                _drive(ordered, lambda job: pool.submit(run, index[id(job)], job), outcomes,
                       reporter, len(features), step, n_steps, width=1)
    else:
        with folder:
            for kind in kinds:  # the files hold them now; kept kinds stay for later steps
                encodings.release(kind)
            _fit_in_workers(plan, jobs, data, outcomes, reporter, len(features), step, n_steps)
    results, decompositions, skipped = {}, {}, []
    for job in jobs:  # plan order, whatever order they finished in
        outcome = outcomes[job["spec"].name]
        if outcome[0] == "skip":
            skipped.append(outcome[1])
        else:
            results[job["spec"].name], decompositions[job["spec"].name] = outcome[1], outcome[2]
    return results, decompositions, skipped


def _fit_in_workers(plan, jobs, data, outcomes, reporter, n_features, step, n_steps):
    pool = cf.ProcessPoolExecutor(max_workers=plan.workers,
                                  mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_init_worker, initargs=(data, plan.inner_jobs))
    with _POOLS_LOCK:
        _POOLS.add(pool)
    try:
        _drive(jobs, lambda job: pool.submit(_run_job, job), outcomes,
               reporter, n_features, step, n_steps, width=plan.workers)
    finally:
        with _POOLS_LOCK:
            owned = pool in _POOLS
            _POOLS.discard(pool)
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)


def _drive(jobs, submit, outcomes, reporter, n_features, step, n_steps, *, width):
    """Submit the jobs, report each running one every heartbeat, collect outcomes.

    At most ``width`` (the pool's workers) are submitted at once, so a method
    is reported as started, and its ETA measured, from when it really starts.
    """
    pending = {}
    queue = list(enumerate(jobs))
    try:
        while queue or pending:
            while queue and len(pending) < width:
                i, job = queue.pop(0)
                reporter(job["spec"].name, step + i, n_steps)
                pending[submit(job)] = (i, job, time.monotonic())
            done, _ = cf.wait(pending, timeout=HEARTBEAT_S, return_when=cf.FIRST_COMPLETED)
            for future in done:
                i, job, _t0 = pending.pop(future)
                outcomes[job["spec"].name] = future.result()  # a raised error propagates
                reporter(f"{job['spec'].name}: done", step + i + 1, n_steps)
            now = time.monotonic()
            for future, (i, job, t0) in pending.items():
                sub_steps(reporter, job["spec"].name, step + i, n_steps)(
                    _line(job, n_features, now - t0), now - t0,
                    # past its estimate a method is shown as almost done, never done
                    max(job["estimate"], (now - t0) / 0.99))
    except BaseException:
        for future in pending:
            future.cancel()
        if width > 1:
            terminate_workers()
        raise
