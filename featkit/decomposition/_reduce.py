"""The engine behind ``featkit reduce``: principal-component scores of a table file.

A file that fits the memory budget is read once and fitted in memory; a larger
one (or any, with ``stream=True``) is read twice in batches through
:func:`featkit.io.iter_batches` -- ``PCA.partial_fit``, then ``transform`` --
and never loaded whole. Columns are typed as ``featkit rank`` types them
(:func:`featkit.io.infer_column_types`); numeric and boolean ones are reduced,
the target (if any) is left out and kept for the report, and with
``standardize=True`` every column is scaled to unit variance first (so a
column measured in large units cannot make the first component alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._array import check_memory, memory_budget_bytes
from ..exceptions import InputError, UnknownNameError, suggest_names
from ..io import infer_column_types, iter_batches, read_table
from ..io._parts import existing_table, table_bytes
from ..progress import as_reporter
from ._outlier_robust_pca import OutlierRobustPCA
from ._pca import PCA
from ._ppca import ProbabilisticPCA
from ._robust_pca import RobustPCA

__all__ = ["REDUCE_METHODS", "FileReduction", "make_reducer", "needs_streaming", "reduce_file"]

REDUCE_METHODS = ("pca", "robust", "outlier", "ppca")
_REDUCED_KINDS = ("numeric", "boolean")
# Kinds that one batch cannot establish for the whole file: a column constant
# or unique in its first rows may not be either further down.
_BATCH_UNSURE_KINDS = ("constant", "id", "empty")
# Rows read to type the columns when streaming.
_TYPING_ROWS = 1024


def make_reducer(method, n_components, *, solver="auto", device="auto", whiten=False, random_state=0,
                 memory_budget=None):
    """The decomposer that ``method`` names ("pca", "robust", "outlier" or "ppca").

    Parameters
    ----------
    method : {"pca", "robust", "outlier", "ppca"}
        :class:`PCA`, :class:`RobustPCA`, :class:`OutlierRobustPCA` or
        :class:`ProbabilisticPCA`.
    n_components : int
    solver, device, whiten : see :class:`PCA` (used by "pca" only).
    random_state : int, default=0
        Seed of the randomized PCA solver and of PPCA.
    memory_budget : int, str or None, default=None

    Returns
    -------
    estimator
    """
    if method not in REDUCE_METHODS:
        raise InputError(f"method {method!r} is not one of {', '.join(REDUCE_METHODS)}."
                         f"{suggest_names(method, REDUCE_METHODS)}")
    if method == "pca":
        return PCA(n_components, solver=solver, device=device, whiten=whiten, random_state=random_state,
                   memory_budget=memory_budget)
    if method == "robust":
        return RobustPCA(n_components, memory_budget=memory_budget)
    if method == "outlier":
        return OutlierRobustPCA(n_components, memory_budget=memory_budget)
    return ProbabilisticPCA(n_components, random_state=random_state, memory_budget=memory_budget)


def needs_streaming(path, memory_budget=None) -> bool:
    """True when the file at ``path`` is larger than the memory budget (so it must be streamed)."""
    return table_bytes(path) > memory_budget_bytes(memory_budget)


def _reduced_columns(frame, drop, keep, whole_table, target=None):
    """(columns to reduce, {left-out column: why}) from the column types of ``frame``."""
    for name in list(drop) + list(keep) + ([] if target is None else [target]):
        if name not in frame.columns:
            raise UnknownNameError(f"No column {name!r}.{suggest_names(name, [str(c) for c in frame.columns])}")
    if target is not None and target in drop:
        raise InputError(f"The target {target!r} is also listed to drop; remove it from the drop list.")
    rest = frame[[c for c in frame.columns if c not in drop and c not in keep and c != target]]
    used, skipped = [], {}
    for col, info in zip(rest.columns, infer_column_types(rest)):
        numeric = pd.api.types.is_bool_dtype(rest[col].dtype) or (
            pd.api.types.is_numeric_dtype(rest[col].dtype) and info.kind != "categorical")
        if info.kind in _REDUCED_KINDS or (not whole_table and numeric and info.kind in _BATCH_UNSURE_KINDS):
            used.append(col)
        elif info.kind in ("categorical", "datetime"):
            skipped[str(col)] = f"{info.kind}: not a number"
        elif info.kind == "id":
            # rank's advice (--keep-id) has no meaning here: an id is copied, not reduced
            skipped[str(col)] = "ID-like (unique per row): not reduced; --keep copies it to the output"
        else:
            skipped[str(col)] = info.note or info.kind
    if not used:
        raise InputError("No numeric column left to reduce (text/categorical columns are not used).")
    return used, skipped


def _matrix(frame, columns, allow_nan, where=""):
    sub = frame[columns]
    dtype = np.float32 if all(str(t) == "float32" for t in sub.dtypes) else np.float64
    X = sub.to_numpy(dtype=dtype, na_value=np.nan)
    if not allow_nan:
        bad = ~np.isfinite(X).all(axis=0)
        if bad.any():
            names = ", ".join(repr(str(c)) for c in np.asarray(columns)[bad][:5])
            raise InputError(
                f"Column(s) {names} have missing or infinite values{where}: use --method ppca (fits "
                "missing values directly) or impute them first."
            )
    return X


def _scale(X, allow_nan):
    """Column means and standard deviations (1 where a column does not vary)."""
    with np.errstate(all="ignore"):
        mean = np.nanmean(X, axis=0) if allow_nan else X.mean(axis=0)
        std = np.nanstd(X, axis=0) if allow_nan else X.std(axis=0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    return np.nan_to_num(mean), std


def _streamed_scale(path, batch_size, columns, report):
    """Means and standard deviations of ``columns`` in one pass over the file (Chan et al.'s merge)."""
    n, mean, m2 = 0, None, None
    for i, frame in enumerate(iter_batches(path, batch_size=batch_size, columns=columns)):
        X = _matrix(frame, columns, False, where=f" in the batch starting at row {n}")
        b = X.shape[0]
        if b == 0:
            continue
        b_mean = X.mean(axis=0)
        b_m2 = ((X - b_mean) ** 2).sum(axis=0)
        if mean is None:
            n, mean, m2 = b, b_mean, b_m2
        else:
            delta = b_mean - mean
            total = n + b
            mean = mean + delta * b / total
            m2 = m2 + b_m2 + delta ** 2 * n * b / total
            n = total
        report("scale (pass 0 of 2)", i + 1, None)
    std = np.sqrt(m2 / max(n, 1))
    return mean, np.where(std > 0, std, 1.0)


def _score_frame(frame, keep, Z, prefix):
    out = pd.DataFrame(np.asarray(Z), columns=[f"{prefix}{i}" for i in range(Z.shape[1])], index=frame.index)
    if keep:
        out = pd.concat([frame[keep], out], axis=1)
    return out.reset_index(drop=True)


@dataclass
class FileReduction:
    """A fitted reduction of a file; :meth:`score_frames` gives its scores.

    Attributes
    ----------
    estimator : PCA, RobustPCA, OutlierRobustPCA or ProbabilisticPCA
        Fitted.
    columns : list of str
        The reduced columns, in file order.
    skipped : dict of str to str
        The columns left out (not numbers, ID-like, constant, ...), with the reason.
    n_rows : int
    streamed : bool
        True when the file was read in batches, twice.
    keep : list of str
        Columns copied to the scores as they are.
    target : str or None
        The target column, left out of the reduction.
    target_values : list
        The target of every row (in memory only; empty when streamed).
    scale : tuple of (ndarray, ndarray) or None
        The means and standard deviations the columns were standardised with.
    """

    estimator: object
    columns: list
    skipped: dict
    n_rows: int
    streamed: bool
    keep: list = field(default_factory=list)
    target: str | None = None
    target_values: list = field(default_factory=list)
    scale: tuple | None = None
    _scores: pd.DataFrame | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)
    _batch_size: int = field(default=0, repr=False)
    _progress: object = field(default=None, repr=False)

    @property
    def prefix(self) -> str:
        """Stem of the score columns' names (``pca`` -> ``pca0``, ``pca1``, ...)."""
        return type(self.estimator).__name__.lower()

    @property
    def explained_variance_ratio(self) -> np.ndarray:
        """Share of the variance along each kept component (NaN where the method has none)."""
        return np.asarray(getattr(self.estimator, "explained_variance_ratio_", [np.nan]), dtype=float)

    def score_frames(self) -> Iterator[pd.DataFrame]:
        """The scores, one row per input row: the ``keep`` columns, then ``{prefix}0``, ``{prefix}1``, ...

        In memory this is one DataFrame; streamed, one per batch of the second
        pass over the file (nothing is held beyond a batch).
        """
        if not self.streamed:
            yield self._scores
            return
        report = as_reporter(self._progress)
        done = 0
        for i, frame in enumerate(iter_batches(self._path, batch_size=self._batch_size,
                                               columns=list(self.keep) + self.columns)):
            X = _matrix(frame, self.columns, False, where=f" in the batch starting at row {done}")
            if self.scale is not None:
                X = (X - self.scale[0]) / self.scale[1]
            Z = self.estimator.transform(X)
            yield _score_frame(frame, list(self.keep), Z, self.prefix)
            done += len(frame)
            report("transform (pass 2 of 2)", i + 1, None)

    def to_section(self, max_points=2000, random_state=0):
        """The reduction's findings for a report: variance, loadings and a 2-D score sample.

        Parameters
        ----------
        max_points : int, default=2000
            Rows shown in the score plot; more rows are sampled with
            ``random_state`` (the whole scores stay in the output file).
        random_state : int, default=0

        Returns
        -------
        featkit.sections.ReductionSection
            Empty ``scores`` when the reduction was streamed (no row is held).
        """
        from ..sections import ReductionSection

        est = self.estimator
        ratio = self.explained_variance_ratio
        variance = getattr(est, "explained_variance_", None)
        scores, target = [], []
        if not self.streamed and self._scores is not None:
            names = [f"{self.prefix}{i}" for i in range(min(2, est.n_components_))]
            Z = self._scores[names].to_numpy(dtype=float)
            rows = np.arange(Z.shape[0])
            if Z.shape[0] > max_points:
                rows = np.sort(np.random.default_rng(random_state).choice(Z.shape[0], max_points, replace=False))
            scores = Z[rows].tolist()
            if self.target_values:
                target = [self.target_values[i] for i in rows]
        return ReductionSection(
            method=self.prefix, features=[str(c) for c in self.columns],
            explained_variance=[] if variance is None else np.asarray(variance, dtype=float).tolist(),
            explained_variance_ratio=ratio.tolist(),
            loadings=np.asarray(est.components_, dtype=float).tolist(),
            scores=scores, target=self.target, target_values=target, n_rows=self.n_rows,
            standardized=self.scale is not None, skipped=dict(self.skipped))


def reduce_file(path, n_components, *, method="pca", solver="auto", device="auto", whiten=False, drop=(),
                keep=(), target=None, standardize=False, stream=None, batch_size=None, memory_budget=None,
                random_state=0, progress=None) -> FileReduction:
    """Fit a decomposition on the numeric columns of a table file.

    The companion of :func:`featkit.ranking.rank_file_streaming` for
    ``featkit reduce``. In memory the scores are computed at once; streamed
    (``method="pca"`` only), ``PCA.partial_fit`` reads the file in batches here
    and :meth:`FileReduction.score_frames` reads it a second time.

    Parameters
    ----------
    path : str or Path
        A .csv / .tsv (also compressed), .parquet or .feather table.
    n_components : int
    method : {"pca", "robust", "outlier", "ppca"}, default="pca"
        See :func:`make_reducer`; only "ppca" accepts missing values.
    solver, device, whiten : see :class:`PCA`.
    drop : sequence of str
        Columns left out.
    keep : sequence of str
        Columns copied to the scores as they are (an id, say); not reduced.
    target : str or None, default=None
        A target column: left out of the reduction, its values kept (in
        memory) to colour the report's score plot.
    standardize : bool, default=False
        Scale every reduced column to zero mean and unit variance first (a
        PCA of the correlations). Streamed, this costs one more pass.
    stream : bool or None, default=None
        Read the file in batches; None streams when the file is larger than
        the memory budget (:func:`needs_streaming`).
    batch_size : int or None, default=None
        Rows per batch when streaming (None: a quarter of the memory budget,
        at most 65536 rows).
    memory_budget : int, str or None, default=None
        See :func:`featkit._array.memory_budget_bytes`.
    random_state : int, default=0
    progress : callable or None
        A :mod:`featkit.progress` reporter ``progress(stage, done, total)``,
        called after each step (``total`` is None while streaming).

    Returns
    -------
    FileReduction

    Examples
    --------
    >>> from featkit.datasets import example_path
    >>> from featkit.decomposition import reduce_file
    >>> reduction = reduce_file(example_path("wine"), 2, drop=["cultivar"])
    >>> len(reduction.columns), next(reduction.score_frames()).shape
    (13, (178, 2))
    """
    report = as_reporter(progress)
    path = existing_table(path)
    est = make_reducer(method, n_components, solver=solver, device=device, whiten=whiten,
                       random_state=random_state, memory_budget=memory_budget)
    drop, keep = list(drop), list(keep)
    streamed = needs_streaming(path, memory_budget) if stream is None else bool(stream)
    if streamed and method != "pca":
        raise InputError(f"method {method!r} needs every row in memory; only 'pca' streams.")
    target = None if target is None else str(target)
    if not streamed:
        frame = read_table(path)
        used, skipped = _reduced_columns(frame, drop, keep, whole_table=True, target=target)
        X = _matrix(frame, used, allow_nan=method == "ppca")
        scale = _scale(X, allow_nan=method == "ppca") if standardize else None
        if scale is not None:
            X = (X - scale[0]) / scale[1]
        report("fit", 0, 1)
        Z = est.fit_transform(X)
        report("fit", 1, 1)
        values = [] if target is None else [None if pd.isna(v) else v for v in frame[target].tolist()]
        return FileReduction(est, used, skipped, X.shape[0], False, keep, target, values, scale,
                             _scores=_score_frame(frame, keep, Z, type(est).__name__.lower()))
    first = next(iter(iter_batches(path, batch_size=_TYPING_ROWS)))
    used, skipped = _reduced_columns(first, drop, keep, whole_table=False, target=target)
    d = len(used)
    if est.n_components > d:
        raise InputError(f"n_components={est.n_components} is more than the {d} numeric columns.")
    # a batch lives as Arrow, pandas, a float matrix and its scores: ~4 float64 copies
    per_row = 4 * 8 * (d + len(keep))
    if batch_size is None:
        batch_size = int(min(65536, max(1024, memory_budget_bytes(memory_budget) // 4 // per_row)))
    check_memory(batch_size * per_row, f"a batch of {batch_size} rows", "Lower --batch-size.", memory_budget)
    scale = _streamed_scale(path, batch_size, used, report) if standardize else None
    n_rows = 0
    for i, frame in enumerate(iter_batches(path, batch_size=batch_size, columns=keep + used)):
        X = _matrix(frame, used, False, where=f" in the batch starting at row {n_rows}")
        est.partial_fit(X if scale is None else (X - scale[0]) / scale[1])
        n_rows += len(frame)
        report("fit (pass 1 of 2)", i + 1, None)
    est._finalize()  # solve once, before the second pass
    return FileReduction(est, used, skipped, n_rows, True, keep, target, [], scale, _path=path,
                         _batch_size=batch_size, _progress=progress)
