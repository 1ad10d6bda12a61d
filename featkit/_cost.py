"""The cost model: estimated seconds and memory of each method on a table of a given shape.

Every registered method gets a :class:`CostModel` (from the method's own
``MethodSpec.cost``, else :data:`METHOD_COSTS` by name, else its family's in
:data:`FAMILY_COSTS`). A model is ``fixed + c * work(n, d)`` seconds on one
core, where ``work`` is the growth of the method's main loop (``"nd"`` for a
pass over the table, ``"nlogn_d"`` for sorting each column or building trees,
``"nd2"`` for a features x features matrix, ``"n2d"`` for all row pairs,
``"pca"`` for an SVD). The constants were measured on the 2-core reference
machine with ``python -m benchmarks cost_calibration`` (see
docs/performance.md, "Plan, cost model and budget"); the estimates are meant
to be right within a factor of about 3, which is what a plan and a budget need.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

__all__ = ["Cost", "CostModel", "TableShape", "FAMILY_COSTS", "METHOD_COSTS", "available_cores",
           "cost_model_of", "estimate_cost", "rows_within", "work_units"]

# Bytes of one float64 cell: every numeric method gets a float64 encoding.
_CELL = 8


@dataclass(frozen=True)
class TableShape:
    """What the cost of a method depends on.

    Attributes
    ----------
    n_rows, n_features : int
        Rows and ranked columns of the table.
    n_categorical : int
        Columns that are categorical (encoded before a numeric method sees them).
    cores : int
        Cores the method may use itself (threads inside one method).
    """

    n_rows: int
    n_features: int
    n_categorical: int = 0
    cores: int = 1


@dataclass(frozen=True)
class Cost:
    """An estimate: ``seconds`` of wall time and peak extra ``bytes`` of memory."""

    seconds: float
    bytes: int


def _work(kind: str, n: float, d: float) -> float:
    n, d = max(n, 1.0), max(d, 1.0)
    if kind == "nd":
        return n * d
    if kind == "nlogn_d":
        return n * math.log2(n + 1) * d
    if kind == "nd2":
        return n * d * d
    if kind == "n2d":
        return n * n * d
    if kind == "pca":
        return n * d * min(n, d)
    raise ValueError(f"unknown work kind {kind!r}")


@dataclass(frozen=True)
class CostModel:
    """Seconds ``fixed + c * work(n, d) / speed-up`` and bytes of one method.

    Parameters
    ----------
    work : {"nd", "nlogn_d", "nd2", "n2d", "pca"}
        How the method's main loop grows with rows ``n`` and features ``d``.
    c : float
        Seconds per unit of work on one core of the reference machine.
    fixed : float, default=0.05
        Seconds of set-up whatever the size (imports, model construction).
    threads : bool, default=False
        Whether the method spreads its work over ``cores`` (``n_jobs`` or BLAS).
    copies : float, default=2.0
        Copies of the n x d float64 table the method holds at its peak.
    square : float, default=0.0
        Copies of a d x d float64 matrix (graph and redundancy methods).
    rows_square : float, default=0.0
        Copies of an n x n float64 matrix (row-pair methods).
    per_feature : float, default=0.0
        Seconds per feature whatever the rows: a model re-scored once per
        feature (permutation), a greedy step per feature. It dominates on
        wide tables with few rows.
    row_cap : int or None, default=None
        Rows the method fits on at most whatever the table (its own row
        sample, e.g. L1's ``max_rows``): the work counts no more rows than
        this.
    memory_rows : int or None, default=None
        Rows the method's working copies hold at most whatever the table: its
        own row sample, which it copies without the rest (L1), or the row
        blocks it reads the table in (the F test). None: every row.
    settled_rows : int or None, default=None
        Rows past which more rows no longer change the method's ranking
        (measured, see docs/performance.md): without ``full`` the plan fits it
        on a seeded sample of this many rows, with a note. None: no such cap.

    Examples
    --------
    >>> from featkit._cost import CostModel, TableShape
    >>> model = CostModel("nd", c=1e-8, fixed=0.0)
    >>> round(model.estimate(TableShape(1_000_000, 100)).seconds, 3)
    1.0
    """

    work: str
    c: float
    fixed: float = 0.05
    threads: bool = False
    copies: float = 2.0
    square: float = 0.0
    rows_square: float = 0.0
    per_feature: float = 0.0
    row_cap: int | None = None
    memory_rows: int | None = None
    settled_rows: int | None = None

    def estimate(self, shape: TableShape) -> Cost:
        """The :class:`Cost` of one fit on a table of ``shape``."""
        n, d = float(shape.n_rows), float(shape.n_features)
        # Threads rarely scale perfectly: count 80 % of each extra core.
        speedup = 1.0 + 0.8 * (max(int(shape.cores), 1) - 1) if self.threads else 1.0
        fitted = n if self.row_cap is None else min(n, float(self.row_cap))
        seconds = self.fixed + (self.c * _work(self.work, fitted, d) + self.per_feature * d) / speedup
        held = n if self.memory_rows is None else min(n, float(self.memory_rows))
        nbytes = _CELL * (self.copies * held * d + self.square * d * d + self.rows_square * n * n)
        return Cost(seconds=float(seconds), bytes=int(nbytes))


# Seconds per unit of work on one core of the 2-core reference machine. Where
# the issue tracker holds an idle-machine timing (100,000 x 50 and 38 x 3,051
# defaults, issue #13) the constant reproduces it; the others come from
# ``python -m benchmarks cost_calibration`` divided by the load measured in the
# same run (docs/performance.md, "Plan, cost model and budget"). Methods of a
# later branch are listed by name, so they are planned before their registry
# entry carries a model of its own.
METHOD_COSTS: dict[str, CostModel] = {
    "variance": CostModel("nd", c=4e-9, fixed=0.02),
    # memory measured on 1,000,000 x 100 (docs/performance.md, session 5): f_test
    # +217 MiB (four copies of a 65,536-row block), mutual_info_binned +265 MiB (the
    # categorical columns' numbers saved while the codes are lent, a block of codes),
    # l1 +261 MiB (its 50,000-row sample, scaled, and the solver's folds); on their
    # sampled rows gradient_boosting +430 MiB at 200,000 (the sample in canonical order,
    # LightGBM's binning ~270 MiB) and permutation_boosting +640 MiB at 266,667 (also
    # the 200,000 training rows). Session 6: a table this large is stored in float32, so
    # the copies of its rows are half as large: mutual_info_binned ~200 MiB (measured +197),
    # gradient_boosting 364 MiB (its 76 MiB sample + 288), permutation_boosting 478 MiB
    # (102 + 376), each fitted alone on 200,000 / 266,667 x 100 float32 rows
    "f_test": CostModel("nd", c=6e-9, fixed=0.05, copies=4.0, memory_rows=65_536),
    "mutual_info": CostModel("nlogn_d", c=4e-7, fixed=0.1, per_feature=2e-3),
    "mutual_info_binned": CostModel("nd", c=5e-8, fixed=0.1, copies=0.25),
    "random_forest": CostModel("nlogn_d", c=8e-7, fixed=1.0, threads=True, copies=3.0),
    # the forest, then every feature shuffled and re-scored n_repeats times by
    # the trees that split on it only (40 x 3,000: 3.9 s at load 14)
    "permutation": CostModel("nlogn_d", c=1.25e-6, fixed=1.5, threads=True, copies=3.0,
                             per_feature=1e-3),
    # gain rankings from 100,000 / 200,000 rows agree with the fit on all
    # 1,000,000 rows of the main_job tall table (Spearman 0.9994 / 1.0000,
    # top 10 identical); a fit on every row took 5x the 200,000-row fit
    "gradient_boosting": CostModel("nd", c=3e-7, fixed=0.3, threads=True, copies=2.4,
                                   settled_rows=200_000),
    # its model is fitted on at most 200,000 training rows (max_train_rows) and
    # scored on 5,000 held-out ones, so a table past 266,667 rows (200,000 after
    # the 25 % hold-out) adds nothing but the copies of its split
    "permutation_boosting": CostModel("nd", c=4e-7, fixed=0.5, threads=True, copies=2.35,
                                      per_feature=0.01, row_cap=200_000, settled_rows=266_667),
    # a regularisation path on at most 50,000 rows (max_rows); measured at load ~3:
    # 1,000 x 1,600 1.4 s, 4,000 x 1,600 17.7 s, 20 x 5,000 0.07 s, 50,000 x 100 ~3 s
    # (the old n d^2 model said 27 min for 4,000 x 1,600 and sampled it to 200 rows)
    "l1": CostModel("nd", c=1.2e-6, fixed=0.1, row_cap=50_000, copies=6.0, memory_rows=50_000),
    "outrank": CostModel("nd", c=1.5e-7, fixed=0.05, copies=1.0),
    # greedy medians over the scored pairs only (no d x d matrices; 40 x 3,000: 2.4 s)
    "outrank_3mr": CostModel("nd2", c=5e-8, fixed=0.1, copies=1.0, per_feature=3e-4),
    "mrmr": CostModel("nd2", c=1e-8, fixed=0.05, square=1.0),
    "relieff": CostModel("n2d", c=1e-9, fixed=0.05, rows_square=0.1),
    "boruta": CostModel("nlogn_d", c=8e-6, fixed=1.0, threads=True, copies=3.0),
    "inffs": CostModel("nlogn_d", c=1e-7, fixed=0.05, square=4.0),
    "inffs_s": CostModel("nlogn_d", c=1.5e-7, fixed=0.1, square=4.0),
    "ecfs": CostModel("nd", c=1e-8, fixed=0.05, square=3.0),
    # The sequential networks select at most sequential_cap features one
    # phase at a time (64 for attention, 32 for lasso / omp) inside one training
    # run of a fixed number of epochs, so they grow as n * d like any network,
    # not with the features selected (the n * d * d of the uncapped MLP:
    # 106-203 s on 38 x 3,051). Measured 2026-11-30 at load 4.4 (4,000 x 40 /
    # 40 x 3,000): attention 9.0 / 3.6 s, lasso 2.9 / 0.9 s, omp 2.6 / 0.5 s,
    # group_lasso 2.8 / 0.2 s; constants from the 4,000 x 40 fit divided by
    # load / cores (2.2); a wide table was overestimated up to 3x, which is
    # about what attention's n_init="auto" (3 runs of the logistic network
    # below 25 rows per feature, 2026-12-01) now costs there.
    "sequential_attention": CostModel("nd", c=2.6e-5, fixed=0.3, threads=True, copies=3.0),
    "sequential_lasso": CostModel("nd", c=8.4e-6, fixed=0.3, threads=True, copies=3.0),
    "omp": CostModel("nd", c=7.3e-6, fixed=0.3, threads=True, copies=3.0),
    "group_lasso": CostModel("nd", c=8e-6, fixed=0.3, threads=True, copies=3.0),
    # n < d goes through the n x n Gram matrix (40 x 3,000: 0.7 / 1.6 s at load 14)
    "pca_loadings": CostModel("pca", c=2e-9, fixed=0.05, threads=True, per_feature=1e-4),
    "pfa": CostModel("pca", c=3e-9, fixed=0.5, threads=True, per_feature=3e-4),
}

# A method with no model of its own and no entry above gets its family's.
FAMILY_COSTS: dict[str, CostModel] = {
    "baseline": CostModel("nlogn_d", c=8e-7, fixed=0.3, threads=True),
    "graph": CostModel("nlogn_d", c=1.5e-7, fixed=0.1, square=4.0),
    "information": CostModel("nd2", c=1e-8, fixed=0.1, square=1.0),
    "neighbours": CostModel("n2d", c=1e-9, fixed=0.05, rows_square=0.1),
    "wrapper": CostModel("nlogn_d", c=8e-6, fixed=1.0, threads=True, copies=3.0),
    # A network trains a fixed number of epochs of batches of rows over every
    # feature: about n * d (KAN, 2026-11-30 at load 4.4: 8.4 s on 4,000 x 40,
    # 2.2 s on 40 x 3,000; the constant is the tall table's divided by load /
    # cores, 2.2, so a wide one is overestimated up to 3x).
    "neural": CostModel("nd", c=2.4e-5, fixed=0.3, threads=True, copies=3.0),
    "decomposition": CostModel("pca", c=2e-9, fixed=0.1, threads=True, per_feature=4e-3),
}
_FALLBACK = CostModel("nlogn_d", c=1e-6, fixed=0.5)


def cost_model_of(spec) -> CostModel:
    """The :class:`CostModel` of a registry ``spec`` (its own, by name, by family, or a fallback)."""
    own = getattr(spec, "cost", None)
    if own is not None:
        return own
    return METHOD_COSTS.get(spec.name) or FAMILY_COSTS.get(spec.family) or _FALLBACK


def work_units(spec, shape: TableShape) -> float:
    """The model's work for ``shape`` (calibration divides seconds by this)."""
    model = cost_model_of(spec)
    return _work(model.work, float(shape.n_rows), float(shape.n_features))


def estimate_cost(spec, shape: TableShape) -> Cost:
    """Estimated :class:`Cost` of fitting registry method ``spec`` on a table of ``shape``.

    Examples
    --------
    >>> from featkit._cost import TableShape, estimate_cost
    >>> from featkit.registry import get_method
    >>> small = estimate_cost(get_method("f_test"), TableShape(1_000, 10))
    >>> large = estimate_cost(get_method("f_test"), TableShape(1_000_000, 10))
    >>> small.seconds < large.seconds and small.bytes < large.bytes
    True
    """
    return cost_model_of(spec).estimate(shape)


def rows_within(spec, shape: TableShape, seconds: float, min_rows: int = 1) -> int:
    """The most rows (at most ``shape.n_rows``) whose estimated fit takes at most ``seconds``.

    Returns 0 when even ``min_rows`` rows would take longer.
    """
    def fits(n):
        return estimate_cost(spec, replace(shape, n_rows=n)).seconds <= seconds

    if fits(shape.n_rows):
        return int(shape.n_rows)
    lo, hi = int(min_rows), int(shape.n_rows)
    if lo > hi or not fits(lo):
        return 0
    while hi - lo > 1:  # cost grows with n: bisect
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def available_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(os.cpu_count() or 1, 1)
