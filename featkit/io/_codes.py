"""A table file read as per-batch category codes: the input of the streamed contingency scores."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError, UnknownNameError, suggest_names
from ..progress import Throttle, as_reporter
from ..stats import DistinctCounter
from ..stats._contingency import binned_codes
from ..utils._sampling import RowSubsample
from ._batches import _rebatch, column_names, iter_tables
from ._parts import existing_table

__all__ = ["CodeBatches"]

# With row subsampling, read larger chunks so that a kept batch is not cut
# from many small reads.
_SUBSAMPLED_READ_ROWS = 1 << 16


class CodeBatches:
    """A table file read in batches of rows, as category codes of its features and label.

    Iterating runs one pass over the file and yields, per batch,
    ``(codes, ks, y_codes, k_y)``: ``codes`` (n, d) int32 codes of the feature
    columns (missing is a category of its own), ``ks`` (d,) the number of codes
    of each column, ``y_codes`` (n,) int64 codes of the label and ``k_y`` its
    number of codes. Codes are per batch. CSV / TSV cells are read as text, so
    a column's raw values are its categories; with ``n_bins`` a numeric (or
    numeric-text) column is cut at the batch's own quantiles instead, as
    :func:`featkit.stats._contingency.binned_codes` says. Only one batch of
    rows is held at a time.

    Each pass starts by forgetting the statistics of the one before
    (:meth:`reset`); after a pass they describe the rows that were yielded.

    Parameters
    ----------
    path : str or Path
        A CSV / TSV (also compressed), Parquet or Feather file.
    target : str
        The label column.
    drop : sequence of str, default=()
        Columns that are neither features nor the label.
    batch_size : int, default=16384
        Rows per batch (after subsampling).
    subsample : None, int or float, default=None
        Rows kept, as :class:`featkit.utils._sampling.RowSubsample` says.
    random_state : int, RandomState or None, default=None
        Seeds a fractional ``subsample``; read again at every pass, so every
        pass keeps the same rows.
    n_bins : "auto", int or None, default="auto"
        Quantile binning of numeric columns, per batch; None uses raw values.
    short_tail : int, default=0
        A last batch of at most this many rows is left out when other batches
        came before it.
    progress : callable or None, default=None
        A :mod:`featkit.progress` reporter, told the rows read so far
        (``"120,000 rows"``, total unknown) a few times a second. It may be
        replaced between passes.

    Attributes
    ----------
    features : list of str
        The feature columns, in file order.
    rows_read : int
        Rows read from the file in the last pass (before subsampling).
    rows_scored : int
        Rows in the batches yielded.
    n_missing : ndarray of shape (n_features,)
        Missing cells of each feature in the rows yielded.
    batch_coverage : list of ndarray
        Per batch yielded, the percentage of each feature's cells that are not missing.
    distinct : list of DistinctCounter
        Distinct non-missing values of each feature in the rows yielded.
    label_values : set
        Up to two distinct non-missing label values (enough to tell a
        one-class label).
    column_types : list of pyarrow.DataType or None
        Each feature's type in the first batch yielded; text that reads as
        numbers throughout that batch is float64 (CSV cells come as text).

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from featkit.io import CodeBatches
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> pd.DataFrame({"a": list("xyxyz"), "b": [1, 1, 2, None, 2], "y": [0, 1, 0, 1, 1]}).to_csv(
    ...     path, index=False)
    >>> source = CodeBatches(path, "y", batch_size=3)
    >>> [(codes.tolist(), ks.tolist()) for codes, ks, _, _ in source]
    [([[0, 0], [1, 0], [0, 1]], [2, 2]), ([[0, 0], [1, 1]], [2, 2])]
    >>> source.features, source.n_missing.tolist(), [c.count() for c in source.distinct]
    (['a', 'b'], [0, 1], [3, 2])
    """

    def __init__(self, path, target, *, drop=(), batch_size=16384, subsample=None, random_state=None,
                 n_bins="auto", short_tail=0, progress=None):
        self.path = existing_table(path)  # a file, or a folder / glob of parts read in name order
        names = column_names(self.path)
        if target is None:
            raise InputError("A target column is needed (--target).")
        if target not in names:
            raise UnknownNameError(f"Unknown target column {target!r}.{suggest_names(target, names)}")
        unknown = [c for c in drop if c not in names]
        if unknown:
            raise UnknownNameError(f"Cannot drop unknown column(s) {unknown}.")
        dropped = set(drop)
        self.features = [c for c in names if c != target and c not in dropped]
        if not self.features:
            raise InputError("No feature column left to rank.")
        self.target = target
        self.batch_size = batch_size
        self.subsample = subsample
        self.random_state = random_state
        self.n_bins = n_bins
        self.short_tail = short_tail
        self.progress = progress
        self.reset()

    def reset(self) -> None:
        """Forget the statistics of the rows gone through (iterating calls it first)."""
        d = len(self.features)
        self.rows_read = 0
        self.rows_scored = 0
        self.n_missing = np.zeros(d, dtype=np.int64)
        self.batch_coverage = []
        self.distinct = [DistinctCounter() for _ in range(d)]
        self.label_values = set()
        self.column_types = None

    def __iter__(self):
        self.reset()
        previous = None
        for table in self._kept_tables():
            if previous is not None:
                yield self._codes(previous)
            previous = table
        # The last batch waits until it is known to be the last: a short one is left out.
        if previous is not None and (self.rows_scored == 0 or previous.num_rows > self.short_tail):
            yield self._codes(previous)

    def _kept_tables(self):
        """Tables of ``batch_size`` kept rows (the last one shorter), reporting rows read."""
        sample = RowSubsample(self.subsample, self.random_state)
        read_rows = self.batch_size if sample.keeps_all else max(self.batch_size, _SUBSAMPLED_READ_ROWS)
        tables = iter_tables(self.path, batch_size=read_rows, columns=self.features + [self.target],
                             as_text=True)
        report = Throttle(as_reporter(self.progress))

        def counted(source):
            for table in source:
                self.rows_read += table.num_rows
                report(f"{self.rows_read:,} rows", self.rows_read, None)
                yield table
            report.flush()

        if sample.keeps_all:
            yield from counted(tables)
            return
        import pyarrow as pa

        def kept():
            for table in counted(tables):
                yield from table.take(pa.array(sample.take(table.num_rows))).to_batches()

        # A subsample may keep no row of a file that has some: no batch, not an unreadable file.
        yield from _rebatch(kept(), self.batch_size, self.path, to_pandas=False, require_rows=False)

    def _codes(self, table):
        """The codes of one batch; the statistics are updated on the way."""
        n = table.num_rows
        if len(self.label_values) < 2:
            import pyarrow.compute as pc

            labels = pc.unique(table.column(self.target)).drop_null()
            self.label_values.update(labels.slice(0, 2).to_pylist())
        if self.column_types is None:  # the column types, from the first batch
            self.column_types = [_batch_type(table.column(f)) for f in self.features]
        d = len(self.features)
        codes = np.empty((n, d), dtype=np.int32, order="F")
        ks = np.empty(d, dtype=np.int64)
        missing = np.empty(d, dtype=np.int64)
        for j, name in enumerate(self.features):
            col = table.column(name).combine_chunks()
            missing[j] = col.null_count
            codes[:, j], ks[j], dictionary = _column_codes(col, self.n_bins)
            self.distinct[j].update(dictionary.drop_null() if dictionary.null_count else dictionary)
        y_codes, k_y, _ = _column_codes(table.column(self.target).combine_chunks(), self.n_bins)
        self.n_missing += missing
        self.rows_scored += n
        self.batch_coverage.append(100.0 * (1.0 - missing / n))
        return np.ascontiguousarray(codes), ks, y_codes.astype(np.int64, copy=False), k_y


def _batch_type(column):
    """A column's Arrow type; text that reads as numbers throughout the batch is float64
    (a CSV batch comes as text; the in-memory typing calls such a column numeric)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column.type
    try:
        pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column.type
    return pa.float64() if column.null_count < len(column) else column.type


def _column_codes(col, n_bins):
    """``(codes, k, dictionary)`` of an Arrow column: its quantile bins when
    ``n_bins`` asks for them, else its distinct values (missing one of them)."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(col, null_encoding="encode")
    values = _as_float(col) if n_bins is not None else None
    binned = binned_codes(values, n_bins) if values is not None else None
    if binned is not None:
        return binned, int(binned.max()) + 1, enc.dictionary
    return enc.indices.to_numpy(zero_copy_only=False), len(enc.dictionary), enc.dictionary


def _as_float(col):
    """A numeric (or numeric-text) Arrow column as float64 with NaN for missing; else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.float64())
        elif not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            return None
        return col.to_numpy(zero_copy_only=False).astype(np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
