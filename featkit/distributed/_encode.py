"""Text and categorical columns of a Dask DataFrame, encoded on the cluster as featkit.io encodes them.

In memory, :func:`featkit.io.encode_numeric` gives a categorical column a
cross-fitted target encoding (a frequency encoding without a target) and
``encode_discrete_values`` gives it category codes (sorted text, missing the
last code). On Dask the same numbers come from reductions:

1. a distinct pass (:class:`~featkit.stats._reduction.DistinctValues`): each
   categorical column's vocabulary, sorted as the in-memory codes are, at
   most :data:`VOCABULARY_LIMIT` values (a column with more is refused with
   one line, and ``rank_features`` keeps the method on its sample);
2. for the target encoding, the target column is gathered to the client
   (one value a row) to deal the rows into the in-memory folds
   (``featkit.io._encode._fold_ids``, same seed), and the per (fold, category)
   counts and target sums come from :class:`~featkit.stats._reduction.KeyedSums`;
3. every partition is then encoded on its worker from those small tables.

The encoded values equal the in-memory ones up to the rounding of the sums.
"""

from __future__ import annotations

import functools

import numpy as np

from ..exceptions import InputError
from ..stats._reduction import DistinctValues, KeyedSums
from ._batches import partition_lengths, remember_lengths, remember_source, scope_active
from ._driver import compute, import_dask, reduce_partitions

__all__ = ["VOCABULARY_LIMIT", "DaskEncoder", "needs_encoding"]

# distinct values a categorical column may have on Dask: its vocabulary travels to
# every worker with each encoded partition
VOCABULARY_LIMIT = 100_000

_TARGET = "__featkit_target__"


def _kinds(ddf, columns):
    from ..io._encode import _column_kinds

    return _column_kinds(ddf._meta, columns)


def needs_encoding(ddf, columns=None) -> bool:
    """True when a Dask DataFrame has a column the numeric kernels cannot read as it is."""
    kinds = _kinds(ddf, columns)
    return any(k != "numeric" for k in kinds) or any(
        getattr(ddf.dtypes[c], "kind", "O") not in "biuf" for c in ddf.columns)


def _text(series):
    """The distinct present values of a column as the in-memory encoder reads them: ``str(v)``.

    Distinct values first, text after: a partition's rows are never turned into
    Python strings one by one (a worker's memory holds the partition, not a copy of it).
    """
    import pandas as pd

    uniques = pd.unique(series.dropna())
    return np.asarray(pd.Series(uniques, dtype=object).map(str).to_numpy(), dtype=object)


def _distinct_args(names, part):
    return ([_text(part[c]) for c in names],)


def _codes(series, vocabulary):
    """Codes into ``vocabulary`` (a pandas Index), -1 where missing (one lookup per distinct value)."""
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    lookup = vocabulary.get_indexer(pd.Series(np.asarray(uniques, dtype=object), dtype=object).map(str))
    return np.where(codes >= 0, lookup[np.maximum(codes, 0)] if lookup.size else -1, -1).astype(np.int64)


def _numeric(series, kind):
    from ..io._encode import _numeric_values

    return _numeric_values(series, kind)


def _keyed_args(names, vocabularies, n_folds, n_targets, piece):
    part, folds, targets = piece
    folds = folds.astype(np.int64)  # shipped as int8; fold * k overflows it
    keys = np.empty((len(part), len(names)), dtype=np.int64)
    for j, name in enumerate(names):
        codes = _codes(part[name], vocabularies[j])
        keys[:, j] = np.where(codes >= 0, folds * vocabularies[j].size + codes, -1)
    if targets is None:
        return keys, None
    if n_targets == 1:
        return keys, np.asarray(targets, dtype=np.float64).reshape(-1, 1)
    return keys, np.eye(n_targets)[targets]


def _encode_partition(part, plan):
    """One partition encoded on its worker: float64 features (and the target, passed through)."""
    import pandas as pd

    part, folds = part if isinstance(part, tuple) else (part, None)
    out = {}
    for name, kind in zip(plan["features"], plan["kinds"]):
        if name not in plan["vocabularies"]:
            out[name] = _numeric(part[name], kind)
            continue
        codes = _codes(part[name], plan["vocabularies"][name])
        missing = codes < 0
        if plan["mode"] == "codes":
            values = codes.astype(np.float64)
            values[missing] = plan["missing_code"][name]
        else:
            table = plan["values"][name]
            rows = np.zeros(codes.shape[0], dtype=np.int64) if folds is None else folds
            values = table[rows, np.maximum(codes, 0)]
            values[missing] = plan["fill"].get(name, np.nan)
        out[name] = values
    frame = pd.DataFrame(out, index=part.index)
    if _TARGET in part.columns:
        frame[_TARGET] = part[_TARGET]
    return frame


def _weighted_median(values, counts):
    """``np.median`` of the multiset in which ``values[i]`` occurs ``counts[i]`` times (0 when empty)."""
    values, counts = values.reshape(-1), counts.reshape(-1)
    keep = counts > 0
    values, counts = values[keep], counts[keep]
    total = int(counts.sum())
    if total == 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    values, ends = values[order], np.cumsum(counts[order])
    lower = values[np.searchsorted(ends, (total - 1) // 2, side="right")]
    upper = values[np.searchsorted(ends, total // 2, side="right")]
    return float(np.mean([lower, upper]))


def class_axis(counts, sums, prior, m):
    """The k-class score axis of ``featkit.io._encode._class_scores``, from per-category counts and class sums.

    The categories' smoothed class profiles, weighted by frequency, projected
    on their leading principal axis (sign fixed); the same numbers as the
    in-memory function computes from the rows.
    """
    profiles = (sums + m * prior) / (counts[:, None] + m)
    weights = counts / max(counts.sum(), 1.0)
    centred = profiles - weights @ profiles
    cov = (centred * weights[:, None]).T @ centred
    axis = np.linalg.eigh(cov)[1][:, -1]
    return -axis if axis[np.argmax(np.abs(axis))] < 0 else axis


class DaskEncoder:
    """The encodings of one Dask DataFrame's features, each pass over the cluster made once.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The features (and nothing else).
    y : dask Series or None
        The target, from the same table; a target encoding needs it.
    columns : list of ColumnInfo or dict, optional
        Column kinds, as for :func:`featkit.io.encode_numeric`.
    task : {"classification", "regression"} or None
    random_state : int, default=0
        Seed of the target encoding's folds (the in-memory seed).

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["b", "a", None, "b"]})
    >>> enc = DaskEncoder(dd.from_pandas(df, npartitions=2))
    >>> enc.codes().compute()["c"].tolist()   # sorted text, missing the last code
    [1.0, 0.0, 2.0, 1.0]
    """

    def __init__(self, ddf, y=None, *, columns=None, task=None, random_state=0):
        self.features = list(ddf.columns)
        self.kinds = _kinds(ddf, columns)
        bad = [n for n, k in zip(self.features, self.kinds) if k == "datetime"]
        if bad:
            raise InputError(f"The Dask engine does not encode date-time columns yet: {', '.join(map(str, bad[:5]))}. "
                             "Convert them to numbers first.")
        self.categorical = [n for n, k in zip(self.features, self.kinds) if k in ("categorical", "id")]
        self.joint = ddf if y is None else ddf.assign(**{_TARGET: y})
        self._source, self._target = ddf, y
        self.has_target = y is not None
        self.task = task
        self.random_state = 0 if random_state is None else int(random_state)
        self._vocabularies = None
        self._folds = None
        self._sums = None  # the (fold, category) counts and sums, shared by both numeric encodings

    # ------------------------------------------------------------ the passes
    def vocabularies(self):
        """Each categorical column's distinct values, in code order (a distinct pass, once)."""
        import pandas as pd

        if self._vocabularies is None:
            names = self.categorical
            found = reduce_partitions(DistinctValues(VOCABULARY_LIMIT), list(self.joint[names].to_delayed()),
                                      functools.partial(_distinct_args, names)) if names else []
            over = [str(n) for n, v in zip(names, found) if v is None]
            if over:
                raise InputError(f"Column(s) {', '.join(over[:5])} have more than {VOCABULARY_LIMIT:,} categories; "
                                 "the Dask engine encodes at most that many per column.")
            self._vocabularies = {n: pd.Index(self._ordered(n, v), dtype=object) for n, v in zip(names, found)}
        return self._vocabularies

    def _ordered(self, name, values):
        """Sorted text, or a known categorical dtype's own order (as ``cat.codes`` are)."""
        import pandas as pd

        dtype = self.joint._meta[name].dtype
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None and len(dtype.categories):
            position = {str(c): i for i, c in enumerate(dtype.categories)}
            return sorted(values, key=lambda v: position.get(v, len(position)))
        return values

    def _target_folds(self):
        """Fold of every row and the target as class codes / values, per partition (once)."""
        from ..io._encode import _fold_ids, _target_matrix

        if self._folds is None:
            y = np.asarray(compute(self.joint[_TARGET]))
            T, task = _target_matrix(y, self.task)
            folds = _fold_ids(T, task, self.random_state).astype(np.int8)
            targets = T[:, 0] if T.shape[1] == 1 else T.argmax(axis=1).astype(np.int16)
            starts = np.concatenate([[0], np.cumsum(self._lengths())])
            cut = list(zip(starts[:-1], starts[1:]))
            self._folds = ([folds[a:b] for a, b in cut], [targets[a:b] for a, b in cut],
                           T.mean(axis=0), T.shape[1], int(folds.max()) + 1, y.shape[0])
        return self._folds

    # ------------------------------------------------------------ the encodings
    def codes(self, missing="last"):
        """Categorical columns as codes 0..k-1, numbers as numbers (``encode_discrete_values``).

        ``missing="last"`` gives a missing category the code k (as ``featkit rank``
        does); ``"nan"`` leaves it NaN (as a discrete ranker's own ``fit`` does).
        """
        vocab = self.vocabularies()
        last = {n: (float(v.size) if v.size else 0.0) if missing == "last" else np.nan for n, v in vocab.items()}
        return self._map({"mode": "codes", "missing_code": last}, folds=None)

    def numeric(self, impute=True):
        """Every column as one number a row, as :func:`featkit.io.encode_numeric` (``impute``: median fill)."""
        vocab = self.vocabularies()
        if impute and self._numbers_missing():
            raise InputError("On Dask, missing numbers are not imputed; fill or drop them first.")
        m_smooth = _smoothing()
        names = self.categorical
        if not names:
            return self._map({"mode": "numeric", "values": {}, "fill": {}}, folds=None)
        dask = import_dask()
        if self.has_target:
            folds, targets, prior, n_targets, n_folds, n_rows = self._target_folds()
            pieces = [dask.delayed(tuple, pure=True)([p, f, t])
                      for p, f, t in zip(self.joint.to_delayed(), folds, targets)]
        else:
            folds, n_targets, n_folds = None, 0, 1
            n_rows = int(self._lengths().sum())
            pieces = [dask.delayed(_zero_folds, pure=True)(p) for p in self.joint.to_delayed()]
        if self._sums is None:
            kernel = KeyedSums([n_folds * vocab[n].size for n in names])
            self._sums = reduce_partitions(kernel, pieces, functools.partial(
                _keyed_args, names, [vocab[n] for n in names], n_folds, n_targets))
        state = self._sums
        values, fill = {}, {}
        for name, (counts, sums) in zip(names, state):
            k = vocab[name].size
            counts = counts.reshape(n_folds, k).astype(np.float64)
            if not self.has_target:
                table = counts / max(n_rows, 1)
            else:
                sums = sums.reshape(n_folds, k, n_targets)
                if n_targets == 1:
                    t_sums, t_prior = sums[..., 0], float(prior[0])
                else:
                    axis = class_axis(counts.sum(axis=0), sums.sum(axis=0), prior, m_smooth)
                    t_sums, t_prior = sums @ axis, float(prior @ axis)
                other_counts = counts.sum(axis=0) - counts
                table = (t_sums.sum(axis=0) - t_sums + m_smooth * t_prior) / (other_counts + m_smooth)
                table[other_counts == 0] = t_prior
            values[name] = table
            if impute:
                fill[name] = _weighted_median(table, counts)
        return self._map({"mode": "numeric", "values": values, "fill": fill}, folds=folds)

    def fill_changes_nothing(self) -> bool:
        """True when ``numeric(impute=True)`` and ``numeric(impute=False)`` give the same values.

        They differ only where a category is missing (the median fill), which the
        per-category counts of a numeric encoding already tell: no pass is added.
        """
        if self._sums is None:
            return False
        n_rows = int(self._lengths().sum())
        return all(int(counts.sum()) == n_rows for counts, _ in self._sums) and not self._numbers_missing()

    @functools.cached_property
    def _missing_numbers(self):
        numbers = [n for n in self.features if n not in self.categorical]
        return bool(numbers) and bool(compute(self.joint[numbers].isna().any().any()))

    def _numbers_missing(self):
        return self._missing_numbers

    def _lengths(self):
        return partition_lengths(self.joint, like=self._source)

    def _map(self, plan, folds):
        """A Dask DataFrame of the encoded partitions (float64 features, the target passed through)."""
        import dask.dataframe as dd
        import pandas as pd

        dask = import_dask()
        plan = dict(plan, features=self.features, kinds=self.kinds, vocabularies=self.vocabularies())
        parts = self.joint.to_delayed()
        if folds is not None:
            parts = [dask.delayed(tuple, pure=True)([p, f]) for p, f in zip(parts, folds)]
        meta = pd.DataFrame({n: pd.Series(dtype=np.float64) for n in self.features})
        if self.has_target:
            meta[_TARGET] = self.joint._meta[_TARGET]
        encoded = dd.from_delayed([dask.delayed(_encode_partition, pure=True)(p, plan) for p in parts],
                                  meta=meta, verify_meta=False)
        if scope_active():  # an encoded frame has its source's rows: never count them by encoding
            remember_lengths(encoded, self._lengths())
        return encoded

    def split(self, encoded):
        """``(X, y)`` of an encoded frame: the features and the target, cut from one collection."""
        X, y = encoded[self.features], (encoded[_TARGET] if self.has_target else None)
        for part in (X, y):
            if part is not None:
                remember_lengths(part, partition_lengths(encoded) if scope_active() else None)
        # the target passes through the encoding: its classes are read from the table, not by encoding it
        remember_source(y, self._target)
        return X, y


def _zero_folds(part):
    return part, np.zeros(len(part), dtype=np.int8), None


def _smoothing():
    from ..io._encode import TARGET_ENCODING_SMOOTHING

    return TARGET_ENCODING_SMOOTHING
