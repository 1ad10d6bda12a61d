"""The encoded matrices of the ranking engine, made once and shared by its methods.

:class:`_Encodings` builds each input kind ("numeric_nan", "numeric_imputed",
"categorical") of the prepared table from one column-block pass, shares arrays
between kinds, lets each go after its last use, and, when it stores them in
float32 (:func:`storage_dtype`), keeps what must not depend on the storage type
(the canonical column orders, the imputed medians, the consensus's rows) from the
float64 values. Split from :mod:`featkit._engine`, which re-exports these names.
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np


def _return_arrow_memory():
    """Hand the pages Arrow's allocator kept from reading the file back to the OS.

    Its pool (mimalloc or jemalloc) keeps what the read table held after the
    frame no longer needs it: on 200,000 x 100 from Parquet, 225 MiB that stayed
    in the process for the whole run and added to every later peak.
    """
    pa = sys.modules.get("pyarrow")  # not imported: nothing was read through it
    if pa is not None:
        pa.default_memory_pool().release_unused()


# A shared matrix of at least this many float64 bytes is stored in float32 (see
# storage_dtype): below it the matrix is smaller than the libraries a run imports.
_FLOAT32_FROM_BYTES = 64 << 20


def storage_dtype(n_rows: int, n_features: int):
    """The type the engine stores a table's shared matrix in: float32 from 64 MiB of
    float64 on, else float64.

    float32 halves the largest array of a tall run; the methods that need float64
    widen only the rows they read, and the canonical column order stays that of the
    float64 values (:meth:`_Encodings.column_order`). Category codes are exact in
    float32 below 2**24, so a table with as many rows or more stays in float64.

    Examples
    --------
    >>> from featkit._encodings import storage_dtype
    >>> storage_dtype(1_000_000, 100).__name__, storage_dtype(4_000, 1_600).__name__
    ('float32', 'float64')
    """
    if n_rows * n_features * 8 >= _FLOAT32_FROM_BYTES and n_rows < 2**24:
        return np.float32
    return np.float64


# Columns encoded per pass: the encoders fill a column-major block that is then
# copied into the shared matrix (column-major too, so a block writes only its own
# columns' pages), so the transient copy is one block (64 MB at 1,000,000 rows).
_BLOCK_COLUMNS = 8


class _Encodings:
    """The encodings of the prepared table, each computed once and shared by
    the methods that need it.

    The three kinds ("numeric_nan", "numeric_imputed", "categorical") agree on
    most columns, so they are built from one pass: "numeric_nan" is encoded
    column block by column block; "numeric_imputed" is the same array when no
    value is missing, else a copy with the gaps filled; "categorical" is the
    same array when no column is categorical, else a copy with the category
    codes written over those columns. Every kind is bitwise what
    :func:`featkit.io.encode_numeric` / ``encode_discrete_values`` return.

    ``needed`` lists the kinds the run will ask for (None: any); an array is
    reused in place, without a copy, when the kind it was built as is not
    needed. :meth:`release` drops a kind no later step needs, unless it is in
    ``keep``; a released kind asked for again is encoded again (the same values).

    ``dtype`` is the type the matrices are stored in. With float32, what must not
    depend on it is taken from the float64 values as each block is encoded: the
    canonical column orders asked for with :meth:`want_orders`, the medians that
    fill missing values, and the rows of :meth:`sample_rows` (kept in float64).
    """

    def __init__(self, prepared, random_state, needed=None, keep=(), dtype=np.float64):
        info = {c.name: c for c in prepared.columns}
        self._prepared = prepared
        self._used = [info[name] for name in prepared.X.columns]
        self._random_state = random_state
        self._needed = None if needed is None else set(needed)
        self._keep = set(keep)
        self._cache = {}
        self._has_missing = None
        self._rows = None  # see sample_rows
        self._sample_kinds = set()
        self._sampled = {}
        self._coded = None  # positions of the categorical columns
        self._codes = None  # their category codes, once the frame is let go
        self._table_gone = False
        self._dtype = np.dtype(dtype)
        self._order_requests = {}  # key -> (kind, rows or None)
        self._fingerprints = {}  # key -> each column's float64 fingerprint
        self._medians = {}  # column -> float64 median of its present values

    @property
    def dtype(self):
        """The type the matrices are stored in."""
        return self._dtype

    @staticmethod
    def _order_key(kind, rows):
        if rows is None:
            return (kind, None)
        import hashlib

        return (kind, hashlib.blake2b(np.ascontiguousarray(rows, dtype=np.intp).tobytes(),
                                      digest_size=16).digest())

    def want_orders(self, requests):
        """Ask, before anything is encoded, for the canonical column order of each
        ``(kind, rows)`` (rows: sorted positions, or None for all) that a fit will read.

        With a float32 store the fingerprints are taken from the float64 values as they
        are encoded, so the order is the one a fit on the float64 matrix computes
        (:func:`featkit.base.canonical_column_order`); :meth:`column_order` returns it.
        """
        if self._dtype == np.float64:
            return
        if self._cache or self._fingerprints:
            raise RuntimeError("want_orders must be called before the first encoding")
        for kind, rows in requests:
            self._order_requests[self._order_key(kind, rows)] = (kind, rows)

    def column_order(self, kind, rows, features):
        """The canonical order of ``kind``'s float64 values in ``rows`` (None: all), or
        None when the matrices are float64 (a fit computes the same order itself)."""
        if self._dtype == np.float64:
            return None
        from ._order import order_from_fingerprints

        fingerprints = self._fingerprints.get(self._order_key(kind, rows))
        if fingerprints is None or any(f is None for f in fingerprints):
            raise RuntimeError(f"no float64 fingerprints of {kind!r} for these rows: ask for "
                               "them with want_orders before encoding")
        return order_from_fingerprints(fingerprints, features)

    @staticmethod
    def kind_for(spec):
        """The encoding a method's registry entry asks for."""
        if spec.input == "categorical":
            return "categorical"
        return "numeric_nan" if spec.allow_nan else "numeric_imputed"

    def for_spec(self, spec):
        return self.get(self.kind_for(spec))

    def __getitem__(self, kind):
        return self.get(kind)

    def sample_rows(self, rows, kinds):
        """Copy ``rows`` of each of ``kinds`` when it is let go (or lent), for a later step
        that reads those rows only: the cv_weighted consensus refits its members on at most
        a few thousand rows, so it need not hold whole matrices until the end of the run."""
        self._rows = np.asarray(rows)
        self._sample_kinds = set(kinds)
        self._sampled = {}

    def _snapshot(self, kind, matrix):
        if self._rows is not None and kind in self._sample_kinds and kind not in self._sampled:
            self._sampled[kind] = matrix[self._rows]  # fancy indexing: a copy

    def sampled(self, kind):
        """The rows given to :meth:`sample_rows` of ``kind`` (encoded again if it was let go
        before they were copied)."""
        if kind not in self._sampled:
            held = kind in self._cache
            self._sampled[kind] = self.get(kind)[self._rows]
            if not held and kind not in self._keep:
                self._cache.pop(kind, None)
        return self._sampled[kind]

    def release(self, kind):
        """Forget ``kind`` (unless kept), so its memory goes once no method holds it."""
        if kind in self._cache:
            self._snapshot(kind, self._cache[kind])
        if self._table_gone and kind == "numeric_nan" and self._needed is not None:
            # the kinds still to come are made from this matrix: with the table's rows
            # gone it could not be encoded again
            for later in sorted(self._needed - {kind} - set(self._cache)):
                self.get(later)
        if kind not in self._keep:
            self._cache.pop(kind, None)
            if self._needed is not None:
                self._needed.discard(kind)
                if (kind == "categorical" and self._codes is not None
                        and ("categorical" not in self._sample_kinds or "categorical" in self._sampled)):
                    self._codes = None  # nothing later reads the codes (40 MiB at 1,000,000 x 20)

    def _wanted(self, kind):
        return self._needed is None or kind in self._needed

    def get(self, kind):
        if kind not in self._cache:
            if kind == "numeric_nan":
                self._cache[kind] = self._numeric_nan()
            elif kind == "numeric_imputed":
                self._cache[kind] = self._imputed()
            elif kind == "categorical":
                self._cache[kind] = self._categorical()
            else:
                raise KeyError(kind)
        return self._cache[kind]

    def _numeric_nan(self):
        imputed = self._cache.get("numeric_imputed")
        if imputed is not None and self._has_missing is False:
            return imputed
        return self._encode_nan()

    def _base(self, kind):
        """The NaN-kept matrix, and whether it may be written over to make ``kind``."""
        base = self._cache.get("numeric_nan")
        if base is None and self._has_missing is False:
            base = self._cache.get("numeric_imputed")  # the same values
        if base is not None:
            return base, False
        base = self._encode_nan()
        if self._wanted("numeric_nan"):
            self._cache["numeric_nan"] = base
            return base, False
        return base, True

    def _imputed(self):
        base, own = self._base("numeric_imputed")
        if not self._has_missing:
            return base
        out = base if own else base.copy(order="K")
        for j in range(out.shape[1]):
            column = out[:, j]
            missing = np.isnan(column)
            if missing.any():
                median = self._medians.get(j)  # the float64 values', with a float32 store
                if median is None:
                    present = column[~missing]
                    # as encode_numeric(impute=True): the median, 0 for an all-missing column
                    median = np.median(present) if present.size else 0.0
                column[missing] = median
        return out

    @contextlib.contextmanager
    def lent(self, kind):
        """``kind`` for the fit of one method that does not write over its input.

        The category codes differ from the numeric matrix in the categorical
        columns only, so when that matrix is held for a later method and no
        later step keeps the codes, the codes are written over those columns
        for the fit and the numbers written back after it (bitwise), instead
        of a second n x d matrix being held beside the first. Meant for one
        fit at a time: while lent, the numeric kinds read as the codes.
        """
        if kind != "categorical" or kind in self._cache or kind in self._keep:
            yield self.get(kind)
            return
        base, own = self._base(kind)
        coded = self._coded_columns()
        if own or not coded:
            if coded:
                self._write_codes(base, coded)
            self._cache[kind] = base
            yield base
            return
        saved = base[:, coded]  # a copy: the categorical columns only
        self._cache[kind] = base
        try:
            self._write_codes(base, coded)
            self._snapshot(kind, base)  # the codes leave with the fit
            yield base
        finally:
            del self._cache[kind]
            base[:, coded] = saved

    def _coded_columns(self):
        from .io._encode import _CATEGORICAL_KINDS, _column_kinds

        if self._coded is None:
            kinds = _column_kinds(self._prepared.X, self._used)
            self._coded = [j for j, k in enumerate(kinds) if k in _CATEGORICAL_KINDS]
        return self._coded

    def let_go_of_table(self):
        """Encode now what the run will read, then drop the rows of the prepared frame.

        After the encoding nothing in a run reads the frame's rows (the overview
        comes first; the model attribution, which does, keeps it): at 1,000,000
        x 100 they are 337 MiB held beside the encoded matrix to the end of the
        run. What stays: the NaN-kept matrix, from which every kind is made, the
        category codes in the smallest integer type that holds them (exact), and
        the rows the consensus reads of a kind no method asks for. Only when
        every kind can be made that way: the NaN-kept matrix is needed (else it
        may be written over to make one kind, and the next would be encoded
        again), or one kind is.
        """
        needed = self._needed
        if needed is None or not needed or ("numeric_nan" not in needed and len(needed) > 1):
            return False
        self._coded_columns()  # from the column kinds, while the frame has its columns
        from .io._encode import discrete_columns

        empty = self._prepared.X.iloc[:0].copy()  # a slice would keep the rows alive
        if "categorical" in needed or "categorical" in self._sample_kinds:
            codes = {}
            for j in self._coded_columns():
                column = discrete_columns(self._prepared.X.iloc[:, [j]], self._used,
                                          n_bins=None)[:, 0]
                codes[j] = column.astype(np.min_scalar_type(int(column.max(initial=0))))
            self._codes = codes
        if "numeric_nan" in needed and "numeric_nan" not in self._cache:
            # every other kind is made from this matrix (and the codes): the frame's
            # columns can go as they are encoded, so the two are not held whole together
            self._cache["numeric_nan"] = self._encode_nan(consume=True)
        else:
            self.get("numeric_nan" if "numeric_nan" in needed else next(iter(needed)))
        for kind in self._sample_kinds - needed - set(self._sampled):  # read by the consensus only
            self._sampled[kind] = self.get(kind)[self._rows]
            self._cache.pop(kind, None)
        self._prepared.X = empty
        self._table_gone = True
        _return_arrow_memory()
        return True

    def _write_codes(self, out, coded):
        from .io._encode import discrete_columns

        if self._codes is not None:
            for j in coded:
                out[:, j] = self._codes[j]
            return
        X = self._prepared.X
        for start in range(0, len(coded), _BLOCK_COLUMNS):
            block = coded[start:start + _BLOCK_COLUMNS]
            out[:, block] = discrete_columns(X.iloc[:, block], self._used, n_bins=None)

    def _categorical(self):
        coded = self._coded_columns()
        base, own = self._base("categorical")
        if not coded:
            return base  # numbers stay numbers: nothing to recode
        out = base if own else base.copy(order="K")
        self._write_codes(out, coded)
        return out

    def _encode_nan(self, consume=False):
        """encode_numeric(impute=False) of the table, filled block by block; with
        ``consume``, each block's columns leave the frame once encoded."""
        from .io._encode import numeric_columns

        if self._table_gone:
            raise RuntimeError("the table's rows were let go (let_go_of_table) before every "
                               "encoding that needs them was made")
        p = self._prepared
        n, d = p.X.shape
        names = list(p.X.columns)
        out = np.empty((n, d), dtype=self._dtype, order="F")
        exact = self._exact_kinds(d)
        has_missing = False
        pending = []  # encoded columns still in the frame
        for start in range(0, d, _BLOCK_COLUMNS):
            block = slice(start, min(start + _BLOCK_COLUMNS, d))
            # the fold split depends on the target and the seed only, so a
            # block's target encoding is the whole table's, column for column
            values = numeric_columns(p.X[names[block]], self._used, p.y, p.task, impute=False,
                                     random_state=self._random_state)
            has_missing = has_missing or bool(np.isnan(values).any())
            if exact is not None:
                self._observe_block(block, values, names, exact)
            out[:, block] = values
            del values  # else the next block is encoded while this one is still held
            pending += names[block]
            # each drop costs a pass over the frame's blocks (one per column on a wide
            # table): drop once the columns waiting hold enough memory to matter, so a
            # tall table lets go of each block at once and a wide one drops rarely
            if consume and (n * len(pending) * 8 >= _DROP_BYTES or block.stop == d):
                p.X = p.X.drop(columns=pending)
                pending = []
                _return_arrow_memory()  # columns read from Arrow free into its pool
                from ._fitting import _trim_heap
                _trim_heap()
        self._has_missing = has_missing
        if exact is not None:
            for kind, rows in exact[1].items():
                self._sampled.setdefault(kind, rows)
        return out

    def _exact_kinds(self, d):
        """With a float32 store: ``(kinds, rows)``, the kinds whose float64 values are
        observed while encoding and a float64 buffer for each kind's :meth:`sample_rows`
        rows; None with a float64 store (nothing differs)."""
        if self._dtype == np.float64:
            return None
        kinds = {kind for kind, _ in self._order_requests.values()}
        rows = {}
        if self._rows is not None:
            kinds |= self._sample_kinds
            # C order: the layout of matrix[rows], which the consensus's refits read
            rows = {kind: np.empty((len(self._rows), d), dtype=np.float64)
                    for kind in self._sample_kinds if kind not in self._sampled}
        for key in self._order_requests:
            self._fingerprints[key] = [None] * d
        return kinds, rows

    def _observe_block(self, block, values, names, exact):
        """Take from a block's float64 values what must not depend on the storage type:
        the fingerprints of each kind's columns for the orders asked for, the medians of
        columns with missing values, and the consensus's rows."""
        from ._order import _column_fingerprint

        kinds, rows = exact
        coded = set(self._coded_columns()) if "categorical" in kinds else set()
        for c, j in enumerate(range(block.start, block.stop)):
            column = values[:, c]
            missing = np.isnan(column)
            if missing.any():
                present = column[~missing]
                self._medians[j] = np.median(present) if present.size else 0.0
            for kind in kinds:
                if kind == "numeric_imputed" and missing.any():
                    of_kind = column.copy()
                    of_kind[missing] = self._medians[j]
                elif kind == "categorical" and j in coded:
                    of_kind = np.asarray(self._codes[j] if self._codes is not None else
                                         self._column_codes(names[j]), dtype=np.float64)
                else:
                    of_kind = column
                for key, (k, at) in self._order_requests.items():
                    if k == kind:
                        self._fingerprints[key][j] = _column_fingerprint(
                            of_kind if at is None else of_kind[at])
                if kind in rows:
                    rows[kind][:, j] = of_kind[self._rows]

    def _column_codes(self, name):
        from .io._encode import discrete_columns

        return discrete_columns(self._prepared.X[[name]], self._used, n_bins=None)[:, 0]


_DROP_BYTES = 32 << 20  # see _encode_nan
