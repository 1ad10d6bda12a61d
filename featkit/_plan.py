"""The plan of a ranking run: which methods fit on how many rows, at what estimated cost.

:func:`plan_methods` turns the registry's cost models (:mod:`featkit._cost`)
into a :class:`RankingPlan` for a table of a given shape: every method's
estimated seconds and memory, how many run at once, and which ones are fitted
on a seeded row sample (or skipped) so that the run keeps its time budget.
:func:`plan_ranking` reads and types a table the way
:func:`featkit.rank_features` does and returns its plan without fitting
anything (``featkit rank --plan``).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field, replace

from . import _cost
from ._cost import TableShape, cost_model_of, rows_within

__all__ = ["PlannedMethod", "RankingPlan", "plan_methods", "plan_ranking", "resolve_n_jobs"]

# Without a budget, a method is "far beyond the others" when its estimate is
# more than OUTLIER_RATIO times the median of the others and over OUTLIER_SECONDS;
# it is then sampled down to SAMPLED_RATIO times that median (at least
# SAMPLED_SECONDS), so one slow member does not set the pace of the whole run
# (measured: 100,000 x 100, a forest and L1 at 60 s each made the run 10x a
# plain LightGBM script).
OUTLIER_RATIO = 5.0
OUTLIER_SECONDS = 20.0
SAMPLED_RATIO = 3.0
SAMPLED_SECONDS = 10.0
# Fewer rows than this tell a method too little: below it the method is skipped.
MIN_SAMPLE_ROWS = 200
# Seconds of the budget kept for what follows the fits (consensus, output).
RESERVE_SECONDS = 0.5
# Starting a worker process costs a few seconds (a fresh interpreter imports
# scikit-learn); below this estimated total the methods run one after another.
PARALLEL_MIN_SECONDS = 10.0


@dataclass
class PlannedMethod:
    """One method in a :class:`RankingPlan`.

    Attributes
    ----------
    name : str
        Registry name.
    rows : int
        Rows it is fitted on (0: skipped).
    total_rows : int
        Rows of the table.
    seconds, full_seconds : float
        Estimated seconds on ``rows`` and on every row.
    bytes : int
        Estimated peak memory of its fit on ``rows``.
    action : {"full", "sample", "skip"}
    reason : str
        Why it is sampled or skipped ("" when it runs in full).
    """

    name: str
    rows: int
    total_rows: int
    seconds: float
    full_seconds: float
    bytes: int
    action: str = "full"
    reason: str = ""

    @property
    def sampled(self) -> bool:
        return self.action == "sample"


@dataclass
class RankingPlan:
    """What a ranking run will do, before it does it.

    Attributes
    ----------
    methods : list of PlannedMethod
        In the order they are fitted.
    n_rows, n_features, n_categorical : int
        The prepared table's shape.
    n_jobs : int or None
        Cores for the run (None: one method at a time, each with its own default).
    workers : int
        Methods fitted at once (each in its own process when more than one).
    inner_jobs : int or None
        ``n_jobs`` given to each method that takes one.
    time_budget : float or None
        Seconds the whole run may take.
    elapsed : float
        Seconds already spent (reading and typing the table) when planned.
    full : bool
        Whether sampling an outlier without a budget was turned off.
    """

    methods: list = field(default_factory=list)
    n_rows: int = 0
    n_features: int = 0
    n_categorical: int = 0
    n_jobs: int | None = None
    workers: int = 1
    inner_jobs: int | None = None
    time_budget: float | None = None
    elapsed: float = 0.0
    full: bool = False

    def __getitem__(self, name) -> PlannedMethod:
        for m in self.methods:
            if m.name == name:
                return m
        raise KeyError(name)

    @property
    def total_seconds(self) -> float:
        """Estimated wall seconds of the fits (methods shared out over ``workers``)."""
        loads = [0.0] * max(self.workers, 1)
        # Longest first onto the least loaded worker: how a pool shares them out.
        for s in sorted((m.seconds for m in self.methods if m.rows), reverse=True):
            loads[loads.index(min(loads))] += s
        return max(loads)

    @property
    def peak_bytes(self) -> int:
        """Estimated peak memory of the fits: the ``workers`` largest at once."""
        sizes = sorted((m.bytes for m in self.methods if m.rows), reverse=True)
        return int(sum(sizes[: max(self.workers, 1)]))

    def notes(self) -> list[str]:
        """One note per method that is sampled or skipped, for the result."""
        out = []
        for m in self.methods:
            if m.action == "sample":
                out.append(f"{m.name} was fitted on a seeded sample of {m.rows:,} of "
                           f"{m.total_rows:,} rows ({m.reason}).")
            elif m.action == "skip":
                out.append(f"{m.name} was skipped ({m.reason}).")
        return out

    def lines(self) -> list[str]:
        """The plan as text, one line per method and a total (what ``featkit rank`` prints)."""
        kinds = f", {self.n_categorical:,} categorical" if self.n_categorical else ""
        head = f"Plan: {self.n_rows:,} rows x {self.n_features:,} features{kinds}"
        if self.workers > 1:
            head += (f"; {self.workers} methods at a time in worker processes"
                     f" ({self.inner_jobs} core{'s' if self.inner_jobs != 1 else ''} each)")
        if self.time_budget is not None:
            head += f"; time budget {_seconds(self.time_budget)}"
        out = [head]
        width = max((len(m.name) for m in self.methods), default=0)
        for m in self.methods:
            if m.action == "skip":
                what = f"skipped: {m.reason}"
            else:
                what = f"~{_seconds(m.seconds):>7}  ~{_bytes(m.bytes):>8}"
                if m.action == "sample":
                    what += f"  sample of {m.rows:,} rows ({m.reason})"
            out.append(f"  {m.name:<{width}}  {what}")
        out.append(f"  {'total':<{width}}  ~{_seconds(self.total_seconds):>7}  "
                   f"~{_bytes(self.peak_bytes):>8} at peak")
        return out

    def to_dict(self) -> dict:
        """The plan as plain data (JSON-ready), with the totals."""
        out = asdict(self)
        out.update(total_seconds=self.total_seconds, peak_bytes=self.peak_bytes)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _seconds(s: float) -> str:
    if s < 1:
        return "<1 s"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _bytes(b: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if b < 1000:
            return f"{b:.0f} {unit}"
        b /= 1000
    return f"{b:.1f} TB"


def resolve_n_jobs(n_jobs) -> int | None:
    """Cores for the run: None stays None, -1 means every core, -k all but k - 1."""
    if n_jobs is None:
        return None
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0: give a number of cores, -1 for all, or None.")
    # looked up on _cost at each call, not bound here at import: a name bound while a
    # test had _cost.available_cores patched (this module is imported lazily, on a
    # first ranking) kept the patch for the rest of the process, and -1 meant 1 core
    cores = _cost.available_cores()
    return max(cores + 1 + n_jobs, 1) if n_jobs < 0 else n_jobs


def plan_methods(specs, shape: TableShape, *, time_budget=None, full=False, n_jobs=None,
                 elapsed=0.0) -> RankingPlan:
    """The :class:`RankingPlan` of fitting ``specs`` on a table of ``shape``.

    Parameters
    ----------
    specs : list of MethodSpec
        The methods to fit, in order.
    shape : TableShape
        Rows, features and categorical columns of the prepared table (its
        ``cores`` is ignored: cores come from ``n_jobs``).
    time_budget : float or None, default=None
        Seconds the whole run may take. Methods are given a fair share of what
        is left after ``elapsed`` (cheap ones run in full and pass on what they
        leave); one whose estimate exceeds its share is fitted on the seeded
        row sample that fits it, or skipped when fewer than
        :data:`MIN_SAMPLE_ROWS` rows would remain.
    full : bool, default=False
        Without a budget, a method estimated at more than :data:`OUTLIER_RATIO`
        times the median of the others and over :data:`OUTLIER_SECONDS` is
        sampled down to that bound; ``full=True`` fits it on every row.
    n_jobs : int or None, default=None
        Cores for the whole run (see :func:`resolve_n_jobs`). With more than
        one core and an estimated total over :data:`PARALLEL_MIN_SECONDS`,
        ``min(n_jobs, len(specs))`` methods run at once, each with
        ``n_jobs // workers`` cores of its own.
    elapsed : float, default=0.0
        Seconds of the budget already spent.

    Returns
    -------
    RankingPlan

    Examples
    --------
    >>> from featkit._cost import TableShape
    >>> from featkit._plan import plan_methods
    >>> from featkit.registry import get_method
    >>> plan = plan_methods([get_method("f_test"), get_method("l1")], TableShape(1000, 10))
    >>> [m.action for m in plan.methods]
    ['full', 'full']
    """
    cores = resolve_n_jobs(n_jobs)
    n = int(shape.n_rows)
    plan = RankingPlan(n_rows=n, n_features=int(shape.n_features),
                       n_categorical=int(shape.n_categorical), n_jobs=cores,
                       time_budget=None if time_budget is None else float(time_budget),
                       elapsed=float(elapsed), full=bool(full))

    def planned(workers):
        inner = None if cores is None else max(cores // workers, 1)
        sized = replace(shape, cores=inner or 1)
        return inner, sized, [PlannedMethod(s.name, n, n, c.seconds, c.seconds, c.bytes)
                              for s, c in ((s, s.estimate_cost(sized)) for s in specs)]

    workers = 1
    inner, sized, methods = planned(1)
    if cores is not None and cores > 1 and len(specs) > 1:
        if sum(m.seconds for m in methods) > PARALLEL_MIN_SECONDS:
            workers = min(cores, len(specs))
            inner, sized, methods = planned(workers)
    plan.workers, plan.inner_jobs, plan.methods = workers, inner, methods
    by_name = {s.name: s for s in specs}
    if not full:
        _cap_settled(plan, by_name, sized)
    if time_budget is not None:
        _fit_budget(plan, by_name, sized)
    elif not full:
        _sample_outliers(plan, by_name, sized)
    return plan


def _cap_settled(plan, specs, shape):
    """A method whose ranking is settled well before the table's rows (its cost
    model's ``settled_rows``) is planned on a seeded sample of that many rows."""
    for m in plan.methods:
        settled = cost_model_of(specs[m.name]).settled_rows
        if settled is None or m.total_rows <= settled:
            continue
        cost = specs[m.name].estimate_cost(replace(shape, n_rows=settled))
        m.rows, m.seconds, m.bytes = int(settled), cost.seconds, cost.bytes
        m.action = "sample"
        m.reason = (f"its ranking is settled by {settled:,} rows; estimated "
                    f"{_seconds(m.full_seconds)} on every row; full=True / --full fits every row")


def _shrink(method, spec, shape, seconds, reason, *, may_skip=True):
    # a method already capped at its settled rows shrinks from there
    shape = replace(shape, n_rows=method.rows or shape.n_rows)
    smallest = min(MIN_SAMPLE_ROWS, shape.n_rows)
    rows = rows_within(spec, shape, seconds, min_rows=smallest)
    if rows == 0 and not may_skip:  # no budget to keep: the smallest sample still runs
        rows = smallest
    if rows == 0:
        method.rows, method.seconds, method.bytes = 0, 0.0, 0
        method.action = "skip"
        method.reason = reason + f"; too slow even on {min(MIN_SAMPLE_ROWS, shape.n_rows):,} rows"
        return
    if rows >= method.total_rows:  # a sample of every row is no sample: it runs whole, no note
        return
    cost = spec.estimate_cost(replace(shape, n_rows=rows))
    method.rows, method.seconds, method.bytes = rows, cost.seconds, cost.bytes
    method.action, method.reason = "sample", reason


def _fit_budget(plan, specs, shape):
    remaining = plan.time_budget - plan.elapsed - RESERVE_SECONDS
    capacity = max(remaining, 0.0) * plan.workers
    order = sorted(plan.methods, key=lambda m: m.seconds)
    for i, m in enumerate(order):
        # One method runs on one worker: its share is never more than the time left.
        share = min(capacity / (len(order) - i), max(remaining, 0.0))
        if m.seconds > share:
            _shrink(m, specs[m.name], shape, share,
                    f"estimated {_seconds(m.seconds)} on {_rows_text(m)}, over its "
                    f"{_seconds(share)} share of the {_seconds(plan.time_budget)} budget")
        capacity -= m.seconds
    if order and not any(m.rows for m in order):
        # A ranking of nothing helps nobody: the cheapest method runs on the
        # smallest useful sample even though the budget is spent.
        cheapest = order[0]
        rows = min(MIN_SAMPLE_ROWS, plan.n_rows)
        cost = specs[cheapest.name].estimate_cost(replace(shape, n_rows=rows))
        cheapest.rows, cheapest.seconds, cheapest.bytes = rows, cost.seconds, cost.bytes
        cheapest.action = "sample" if rows < plan.n_rows else "full"
        cheapest.reason = (f"the {_seconds(plan.time_budget)} budget was spent before any fit "
                           f"({_seconds(plan.elapsed)} reading the table); the cheapest method "
                           "runs anyway")


def _rows_text(m):
    return "every row" if m.rows >= m.total_rows else f"{m.rows:,} rows"


def _sample_outliers(plan, specs, shape):
    # estimates as planned so far: a method capped at its settled rows counts at that size
    planned = {m.name: m.seconds for m in plan.methods}
    for m in plan.methods:
        others = [s for name, s in planned.items() if name != m.name]
        if not others:
            continue
        median = statistics.median(others)
        if m.seconds > OUTLIER_RATIO * median and m.seconds > OUTLIER_SECONDS:
            bound = max(SAMPLED_RATIO * median, SAMPLED_SECONDS)
            _shrink(m, specs[m.name], shape, bound,
                    f"estimated {_seconds(m.seconds)} on {_rows_text(m)}, far beyond the other "
                    f"methods (median {_seconds(median)}); full=True / --full fits every row",
                    may_skip=False)


def shape_of(prepared, cores=1) -> TableShape:
    """The :class:`TableShape` of a :class:`featkit.io.PreparedData`."""
    used = set(str(c) for c in prepared.X.columns)
    n_cat = sum(1 for c in prepared.columns if c.name in used and c.kind == "categorical")
    return TableShape(int(prepared.n_rows), len(used), n_cat, cores)


def plan_ranking(data, target=None, *, methods=None, task="auto", drop=(), sample=None,
                 random_state=0, keep_id=False, categorical_int_max=0, params=None,
                 n_jobs=None, time_budget=None, full=False) -> RankingPlan:
    """The plan :func:`featkit.rank_features` would follow for these arguments, fitting nothing.

    The table is read and typed as :func:`~featkit.rank_features` does (so the
    shape is the one the methods would see); the parameters mean the same.

    Returns
    -------
    RankingPlan

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from featkit import plan_ranking
    >>> frame = pd.DataFrame(np.random.RandomState(0).normal(size=(300, 3)), columns=list("abc"))
    >>> frame["y"] = (frame["a"] > 0).astype(int)
    >>> plan = plan_ranking(frame, "y", methods="f_test,l1")
    >>> plan.n_rows, plan.n_features, [m.name for m in plan.methods]
    (300, 3, ['f_test', 'l1'])
    """
    from ._engine import _prepare
    from .ranking import _check_request

    t_start = time.perf_counter()
    specs, _, _ = _check_request(methods, target, None, "mean_rank", params, random_state)
    prepared = _prepare(data, target, drop=drop, keep_id=keep_id,
                        categorical_int_max=categorical_int_max, task=task, sample=sample,
                        random_state=random_state)
    return plan_methods(specs, shape_of(prepared), time_budget=time_budget, full=full,
                        n_jobs=n_jobs, elapsed=time.perf_counter() - t_start)
