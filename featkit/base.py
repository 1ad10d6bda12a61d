"""The one contract every featkit ranker keeps.

A ranker is a scikit-learn feature selector (``SelectorMixin, BaseEstimator``)
that also scores and orders every feature:

* ``scores_`` -- shape ``(n_features,)``, higher means more important;
* ``ranking_`` -- shape ``(n_features,)``, float64 average ranks, 1 = best
  (scikit-learn's RFE convention): tied scores share the mean of the ranks they
  span (so a rank may be 2.5), +inf is the best score and NaN the worst;
* ``support_`` -- boolean mask of exactly ``n_features_`` kept features, from
  ``n_features_to_select`` (an int, a fraction in (0, 1], ``"auto"``, where
  the method's own cut is used, or the better half of the ranking when the
  method has none, or ``"cv"`` / a :class:`featkit.evaluation.CrossValidatedK`,
  where k is chosen by cross-validation on the data given to ``fit``, see
  ``cv_grid_``, ``cv_scores_``, ``cv_errors_``), exposed through
  ``get_support()`` and ``transform``. A tie
  across the cut is broken by the canonical column order (below), never by the
  position of the columns in the input.

A ranking never depends on the order of the input columns: :meth:`BaseRanker.fit`
fits on the columns put in a canonical order (by a fingerprint of their
contents, then their names, see :func:`canonical_column_order`) and maps the
scores, and every per-feature fitted attribute the subclass declares (in
``_feature_attributes``, or as a finding over the features in ``_findings``,
see :mod:`featkit.findings`), back to the input order.

The engine (:func:`featkit.rank_features`) may store its shared matrix in a
narrower type than the values it encoded (float32 for a large table); a
fingerprint of the stored bytes would then give another order, and the
randomised methods other answers. It computes the order once from the float64
values and hands it to the one fit it makes through
:func:`given_canonical_order`; a ranker fitted directly computes the order
from what it is given, as always.

Subclasses implement :meth:`BaseRanker._fit_scores` and, when the method has a
cut of its own, :meth:`BaseRanker._auto_support_size`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._order import (_GIVEN_SAMPLE, _is_identity, _take_given_order, _to_input_order,
                     canonical_column_order, given_canonical_order, given_row_sample, order_from_fingerprints)
from .exceptions import InputError
from .findings import declared_layouts
from .utils._dask import is_dask_collection
from .utils._input import as_pandas_frame, check_fit_input
from .utils._param_validation import N_FEATURES_CONSTRAINT, ParamValidationMixin, validate_params
from .utils._task import check_target, infer_task

__all__ = ["BaseRanker", "canonical_column_order", "degenerate_reason", "given_canonical_order",
           "given_row_sample", "order_from_fingerprints", "ranking_from_scores", "resolve_n_features"]

def ranking_from_scores(scores) -> np.ndarray:
    """Average ranks from scores, 1 = highest score.

    Tied scores share the mean of the ranks they span (``scipy.stats.rankdata``
    with ``method="average"`` on the negated scores), +inf is the best possible
    score and NaN the worst: NaNs share the average of the last ranks.

    Parameters
    ----------
    scores : array-like of shape (n_features,)

    Returns
    -------
    ndarray of float64, shape (n_features,)

    Examples
    --------
    >>> ranking_from_scores([0.2, 0.9, float("nan"), 0.5]).tolist()
    [3.0, 1.0, 4.0, 2.0]
    >>> ranking_from_scores([1.0, float("inf"), 1.0, float("nan"), float("nan")]).tolist()
    [2.5, 1.0, 2.5, 4.5, 4.5]
    """
    from scipy.stats import rankdata

    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.size == 0:
        return np.zeros(0, dtype=np.float64)
    # NaN must rank after every real score, -inf included, so it is ranked apart.
    nan = np.isnan(s)
    ranks = np.empty(s.shape[0], dtype=np.float64)
    ranks[~nan] = rankdata(-s[~nan], method="average")
    n_real = int((~nan).sum())
    ranks[nan] = n_real + (nan.sum() + 1) / 2.0
    return ranks


def degenerate_reason(scores) -> str | None:
    """Why a method's scores cannot order the features, or None when they can.

    Scores are degenerate when they are all equal (all NaN included), or when
    the largest group of exactly equal scores leaves fewer than
    ``max(2, ceil(1% of n_features))`` features outside it (then the ranking
    is almost entirely one tie).

    Parameters
    ----------
    scores : array-like of shape (n_features,)

    Returns
    -------
    str or None
        A short reason for notes and tables.

    Examples
    --------
    >>> degenerate_reason([0.0, 0.0, 0.0])
    'all scores equal'
    >>> degenerate_reason([0.0] * 99 + [1.0])
    '99 of 100 scores tied at 0'
    >>> degenerate_reason([0.1, 0.2, 0.3]) is None
    True
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    d = s.shape[0]
    if d == 0:
        return None
    nan = np.isnan(s)
    if nan.all():
        return "all scores NaN"
    values, counts = np.unique(s[~nan], return_counts=True)
    groups = [(int(nan.sum()), "NaN")] + [(int(c), f"{v:g}") for v, c in zip(values, counts)]
    largest, value = max(groups, key=lambda g: g[0])
    if largest == d:
        return "all scores equal"
    if d - largest < max(2, math.ceil(0.01 * d)):
        return f"{largest} of {d} scores tied at {value}"
    return None


def resolve_n_features(n_features_to_select, n_features: int, auto_size: int | None) -> int:
    """How many features to keep for ``n_features_to_select``.

    ``auto_size`` is the method's own cut (None when it has none: half is kept).
    A value outside ``N_FEATURES_CONSTRAINT`` (the constraint that
    :meth:`BaseRanker.fit` checks first) raises
    :class:`~featkit.utils._param_validation.InvalidParameterError`.

    Examples
    --------
    >>> resolve_n_features("auto", 10, None), resolve_n_features(0.25, 10, 4), resolve_n_features(3, 10, 4)
    (5, 3, 3)
    """
    value = n_features_to_select
    validate_params({"n_features_to_select": value},
                    {"n_features_to_select": N_FEATURES_CONSTRAINT}, "resolve_n_features")
    if value == "cv" or hasattr(value, "choose_k"):
        raise InputError('n_features_to_select="cv" is chosen from the data; '
                         "BaseRanker.fit resolves it.")
    if isinstance(value, str):
        size = auto_size if auto_size is not None else math.ceil(n_features / 2)
    elif isinstance(value, float):
        size = math.ceil(value * n_features)
    else:
        if value > n_features:
            warnings.warn(
                f"n_features_to_select={value} is more than the {n_features} features; keeping all.",
                UserWarning,
                stacklevel=3,
            )
        size = value
    return int(min(max(size, 1), n_features))


class BaseRanker(ParamValidationMixin, SelectorMixin, BaseEstimator):
    """Base class of featkit's feature rankers.

    Subclasses set the class attributes below, keep ``__init__`` to storing
    parameters, and implement ``_fit_scores(X, y)``.

    Class attributes
    ----------------
    _requires_target : bool
        Supervised methods need ``y``.
    _allow_nan : bool
        The method handles missing values itself.
    _task_aware : bool
        ``y`` is checked and encoded through ``task`` (classification targets
        become codes 0..k-1, ``classes_`` is not set because a selector is not
        a classifier).
    _columnwise : bool
        Each score depends on its own column only, bit for bit, so the fit may
        skip the reordering into canonical order (ties at the cut still use it).
    _needs_float64 : bool
        The method's solver works in float64: a float32 array (the engine's
        shared matrix of a large table) is widened after the rows the fit reads
        are taken, so only they are copied.
    _parameter_constraints : dict of str -> list
        scikit-learn constraints of the parameters, checked first in ``fit``;
        a subclass extends the base's (``{**BaseRanker._parameter_constraints,
        ...}``), which holds ``n_features_to_select``.
    _feature_attributes : dict of str -> str
        Fitted attributes computed in canonical column order that ``fit`` maps
        back to input order: ``"vector"`` (one value per feature), ``"columns"``
        (last axis is the features), ``"matrix"`` (features x features),
        ``"indices"`` (values are feature indices), ``"dict"`` (a dict of
        vectors). Fitted models (``estimator_``) stay in canonical order; the
        order is ``canonical_order_``. Findings over the features (``_findings``)
        are mapped by their kind's layout and need no entry here.
    _findings : dict of str -> featkit.findings.Finding
        Fitted attributes that are findings for the report (an affinity
        matrix, a selection order, a scalar, ...), each with its kind and a
        title; the engine collects them (:func:`featkit.findings.collect_findings`).
    """

    _requires_target = False
    _allow_nan = False
    _task_aware = True
    _columnwise = False
    _needs_float64 = False
    _feature_attributes: dict = {}
    _findings: dict = {}
    _parameter_constraints: dict = {"n_features_to_select": N_FEATURES_CONSTRAINT}

    # ----------------------------------------------------------------- fitting
    # Nested validation stays on: rankers wrap scikit-learn estimators (forest,
    # L1, Boruta's) whose own checks must still see the user's values.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Score every feature, rank them and choose the subset to keep.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A pandas or polars frame may hold text, categorical, boolean and
            date-time columns, with missing values: they are encoded as
            ``featkit rank`` encodes them (:class:`featkit.io.FeatureEncoder`:
            a cross-fitted target encoding, missing values imputed by the
            median unless the method takes NaN), one column per input column.
            Also a Dask array or DataFrame for the rankers whose statistics are
            reductions (see :mod:`featkit.distributed`); others refuse it.
        y : array-like of shape (n_samples,), default=None
            Target; required by supervised methods, ignored by the others.

        Returns
        -------
        self
        """
        if is_dask_collection(X):
            from .distributed import fit_ranker

            return fit_ranker(self, X, y)
        X, y = self._validate_fit_input(as_pandas_frame(X), y)
        self._fit_canonical(X, y, X, **fit_params)
        return self

    def _fit_canonical(self, X, y, X_host, take=None, **fit_params):
        """Fit on the columns in canonical order and set the scores in input order.

        ``X_host`` is a NumPy view of ``X`` for the fingerprints; ``take(X, order)``
        reorders a non-NumPy ``X`` (default: NumPy column indexing). The order is
        the one handed by :func:`given_canonical_order`, when there is one.
        """
        order = _take_given_order(X_host.shape[1])
        sample_given = _GIVEN_SAMPLE.get()
        _GIVEN_SAMPLE.set(False)  # not for a fit within this one
        if order is None:
            order = canonical_column_order(X_host, getattr(self, "feature_names_in_", None))
        self.canonical_order_ = order
        if self._columnwise:
            self._set_scores(self._fit_scores(X, y, **fit_params), X_host, y)
            return
        # NumPy's X[:, order] is column-major: a column-major X already in canonical order
        # is that copy byte for byte, layout included (the layout can change a solver's last
        # bits, so a row-major X is still copied)
        rows = None
        if take is None and isinstance(X, np.ndarray):
            # a sample handed in is copied as the sample taken here would be
            rows = np.arange(X.shape[0]) if sample_given else self._fit_rows(y, X.shape[0])
        y_fit = y
        if rows is not None:
            # the sample's rows in canonical column order in one row-major copy: what
            # indexing the rows of the reordered table gives, without the table's copy
            Xc, y_fit = X[np.ix_(rows, order)], (None if y is None else y[rows])
        elif take is None and _is_identity(order) and isinstance(X, np.ndarray) and X.flags.f_contiguous:
            Xc = X
        else:
            Xc = take(X, order) if take is not None else X[:, order]
        if self._needs_float64 and isinstance(Xc, np.ndarray) and Xc.dtype == np.float32:
            # only the rows the solver reads are widened (a float32 shared matrix)
            Xc = Xc.astype(np.float64, order="K")
        scores = np.asarray(self._fit_scores(Xc, y_fit, **fit_params), dtype=np.float64).reshape(-1)
        inverse = np.argsort(order)
        layouts = {**self._feature_attributes, **declared_layouts(self._findings)}
        for name, kind in layouts.items():
            if hasattr(self, name):
                setattr(self, name, _to_input_order(getattr(self, name), kind, order, inverse))
        if scores.shape[0] == order.shape[0]:
            scores = scores[inverse]
        self._set_scores(scores, X_host, y)

    def _fit_rows(self, y, n_rows):
        """The rows ``_fit_scores`` reads, or None for all of them.

        A method that fits on a row sample says which rows here: ``fit`` then
        copies those rows only into the canonical column order, instead of the
        whole table first (the sample's ``_fit_scores`` sees the same values,
        in the same row-major layout).
        """
        return None

    def _sample_of_fit(self, y, n_rows):
        """The rows, in their order, that ``fit`` on ``n_rows`` rows with target ``y``
        takes itself (:meth:`_fit_rows`), when a fit handed only them (under
        :func:`given_row_sample`) is the same fit; else None.

        None when the method takes no sample, when it chooses how many features to
        keep by cross-validation (that reads the whole table), when ``y`` is one the
        fit would refuse (the fit says why), and when a class is missing from the
        sample (the sample's target would be coded anew).
        """
        if self._columnwise or type(self)._fit_rows is BaseRanker._fit_rows:
            return None
        k = getattr(self, "n_features_to_select", None)
        if k == "cv" or hasattr(k, "choose_k"):
            return None
        from sklearn.base import clone
        from sklearn.utils.validation import column_or_1d

        est = clone(self)
        task = None
        try:  # a parameter fit would refuse: the fit says so
            est._validate_params()
        except (ValueError, TypeError):
            return None
        if self._requires_target:
            if y is None:
                return None
            try:  # what fit's validation makes of y
                y = column_or_1d(y)
                if self._task_aware:
                    task = est.task_ = infer_task(y, getattr(self, "task", "auto"))
                    y, _ = check_target(y, task)
            except ValueError:
                return None
        rows = est._fit_rows(y, n_rows)
        if rows is None:
            return None
        if task == "classification" and np.unique(y[rows]).size != np.unique(y).size:
            return None
        return np.asarray(rows)

    def _encode_text_columns(self, X, y):
        """A frame with text / categorical / date-time columns, encoded as ``featkit rank``
        encodes them for a numeric method; any other input as it is (no copy)."""
        from .io._encoder import FeatureEncoder, needs_encoding

        if not needs_encoding(X):
            return X
        import pandas as pd

        seed = getattr(self, "random_state", 0)
        task = getattr(self, "task", "auto")
        encoder = FeatureEncoder(
            impute=not self._allow_nan, task=task if task in ("classification", "regression") else "auto",
            random_state=seed if isinstance(seed, (int, np.integer)) and seed >= 0 else 0)
        values = encoder.fit_transform(X, y if self._requires_target else None)
        # The original names, so feature_names_in_ and the results stay per input column.
        return pd.DataFrame(values, columns=X.columns, index=X.index)

    def _validate_fit_input(self, X, y):
        X = self._encode_text_columns(X, y)
        # Before scikit-learn's validation, whose messages name no column.
        check_fit_input(X, y if self._requires_target and self._task_aware else None, type(self).__name__)
        finite = "allow-nan" if self._allow_nan else True
        if self._requires_target:
            X, y = validate_data(
                self, X, y, ensure_all_finite=finite, dtype="numeric", y_numeric=False,
                ensure_min_samples=2,
            )
            if self._task_aware:
                self.task_ = infer_task(y, getattr(self, "task", "auto"))
                y, _ = check_target(y, self.task_)
        else:
            X = validate_data(
                self, X, ensure_all_finite=finite, dtype="numeric", ensure_min_samples=2
            )
        return X, y

    # ------------------------------------------------------------------ display
    def _repr_html_inner(self):
        # scikit-learn's estimator diagram, with the best features above it once fitted
        diagram = super()._repr_html_inner()
        if not hasattr(self, "ranking_"):
            return diagram
        from ._display import selector_html

        return selector_html(self) + diagram

    def _repr_mimebundle_(self, **kwargs):
        out = super()._repr_mimebundle_(**kwargs)
        if "text/html" in out and hasattr(self, "ranking_"):
            out["text/html"] = self._repr_html_inner()
        return out

    def _set_scores(self, scores, X=None, y=None):
        """Set ``scores_``, ``ranking_`` and the kept subset; ``X, y`` (input
        column order) are needed only when k is chosen by cross-validation."""
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.shape[0] != self.n_features_in_:
            raise RuntimeError(
                f"{type(self).__name__} produced {scores.shape[0]} scores for {self.n_features_in_} features."
            )
        self.scores_ = scores
        self.ranking_ = ranking_from_scores(scores)
        for name in ("cv_grid_", "cv_scores_", "cv_errors_"):
            self.__dict__.pop(name, None)  # a refit without "cv" keeps no stale curve
        if self.n_features_to_select == "cv" or hasattr(self.n_features_to_select, "choose_k"):
            size = self._cv_support_size(X, y)
        else:
            size = resolve_n_features(
                self.n_features_to_select, self.n_features_in_, self._auto_support_size()
            )
        self.n_features_ = size
        # exactly `size` features; a tie across the cut goes to the canonical order
        order = getattr(self, "canonical_order_", None)
        position = np.empty(scores.shape[0], dtype=np.intp)
        if order is None or order.shape[0] != scores.shape[0]:
            position[:] = np.arange(scores.shape[0])
        else:
            position[order] = np.arange(scores.shape[0])
        kept = np.lexsort((position, self.ranking_))[:size]
        self.support_ = np.zeros(scores.shape[0], dtype=bool)
        self.support_[kept] = True

    def _cv_support_size(self, X, y) -> int:
        from .evaluation._choose_k import CrossValidatedK

        if X is None:
            raise InputError(f'{type(self).__name__}: n_features_to_select="cv" needs the data on '
                             "the host; fit a NumPy or pandas copy.")
        if y is None:
            raise InputError(f'{type(self).__name__}: n_features_to_select="cv" needs a target y '
                             "(it cross-validates a model of y on the top features).")
        chooser = self.n_features_to_select
        chooser = CrossValidatedK() if chooser == "cv" else chooser
        task = getattr(self, "task_", None) or infer_task(y, getattr(self, "task", "auto"))
        if task == "classification" and not self._task_aware:
            y, _ = check_target(y, task)
        seed = self.random_state if isinstance(getattr(self, "random_state", None), int) else 0
        choice = chooser.choose_k(np.asarray(X), y, self.ranking_, task=task, random_state=seed)
        self.cv_grid_ = np.asarray(choice["grid"], dtype=np.intp)
        self.cv_scores_ = np.asarray(choice["scores"], dtype=np.float64)
        self.cv_errors_ = np.asarray(choice["errors"], dtype=np.float64)
        return int(choice["k"])

    def _fit_scores(self, X, y, **fit_params):
        raise NotImplementedError

    def _auto_support_size(self) -> int | None:
        """Number of features the method keeps on its own (None: no cut of its own)."""
        return None

    # ------------------------------------------------------------ selection
    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    # ----------------------------------------------------------------- tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self._requires_target
        tags.input_tags.allow_nan = self._allow_nan
        return tags
