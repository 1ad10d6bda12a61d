"""Counting the distinct values of a column seen in batches, in bounded memory.

:class:`DistinctCounter` is fed batch by batch (a file streamed in batches);
:class:`DistinctCounts` is the same count as a "partial per block + combine"
kernel, so that the blocks of a Dask table are counted where they live and only
the merged states (at most ``2**16`` values or ``2**16`` registers a column)
travel.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DistinctCounter", "DistinctCounts"]

# Exact counting up to this many values, then HyperLogLog.
_EXACT_MAX = 1 << 16
# HyperLogLog with 2**16 registers: about 0.4% standard error in 64 KiB.
_PRECISION = 16


class DistinctCounter:
    """Distinct non-missing values of one column, fed batch by batch.

    The count is exact up to 65,536 values (an Arrow hash set of the values
    seen); past that the set is dropped for a HyperLogLog sketch (2**16
    one-byte registers, about 0.4% standard error), so memory stays bounded
    on an ID-like column of any length.

    Attributes
    ----------
    exact : bool
        False once the count is a HyperLogLog estimate.

    Examples
    --------
    >>> from featkit.stats import DistinctCounter
    >>> counter = DistinctCounter()
    >>> counter.update(["a", "b"])
    >>> counter.update(["b", "c"])
    >>> counter.count(), counter.exact
    (3, True)
    """

    def __init__(self):
        self._seen = None
        self._overflow = False
        # allocated at the switch to HyperLogLog: a counter per column per block stays small
        self._registers = None

    def update(self, unique_values) -> None:
        """Add a batch's values (an Arrow Array, a list or a 1-d array; no missing values).

        Parameters
        ----------
        unique_values : pyarrow.Array, list or ndarray
            Repeats are allowed; passing each batch's distinct values saves work.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        values = unique_values if isinstance(unique_values, pa.Array) else pa.array(unique_values)
        if len(values) == 0:
            return
        if self._overflow:
            self._add_hashes(_hash(values))
            return
        if self._seen is not None and values.type != self._seen.type:
            values = values.cast(self._seen.type)
        merged = values if self._seen is None else pa.concat_arrays([self._seen, values])
        self._seen = pc.unique(merged)
        if len(self._seen) > _EXACT_MAX:
            self._to_sketch()

    def _to_sketch(self):
        self._overflow = True
        self._registers = np.zeros(1 << _PRECISION, dtype=np.uint8)
        if self._seen is not None and len(self._seen):
            self._add_hashes(_hash(self._seen))
        self._seen = None

    def merge(self, other: "DistinctCounter") -> "DistinctCounter":
        """Add the values counted by ``other`` (in place; returns self).

        Merging is order-free: exact sets are united, and once either side (or
        the union) passes 65,536 values the registers are the element-wise
        maximum, i.e. the sketch of all values together, as if they had been
        fed to one counter.

        Parameters
        ----------
        other : DistinctCounter

        Returns
        -------
        self

        Examples
        --------
        >>> a, b = DistinctCounter(), DistinctCounter()
        >>> a.update([1.0, 2.0]); b.update([2.0, 3.0])
        >>> a.merge(b).count()
        3
        """
        self.__dict__.update(DistinctCounter.union([self, other]).__dict__)
        return self

    @classmethod
    def union(cls, counters) -> "DistinctCounter":
        """A new counter of the values of all ``counters`` (which are left unchanged).

        One hash-set pass over all the exact sets together (not one per pair),
        then the registers' maximum if a sketch is involved.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        counters = list(counters)
        out = cls()
        exact = [c._seen for c in counters if not c._overflow and c._seen is not None and len(c._seen)]
        if exact:
            kind = exact[0].type
            exact = [a if a.type == kind else a.cast(kind) for a in exact]
            if len(exact) == 1:
                out._seen = exact[0]
            elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
                # NumPy's sort-based unique is ~3x faster than Arrow's hash set on numbers
                out._seen = pa.array(np.unique(np.concatenate([a.to_numpy(zero_copy_only=False) for a in exact])))
            else:
                out._seen = pc.unique(pa.concat_arrays(exact))
        sketches = [c._registers for c in counters if c._overflow]
        if sketches or (out._seen is not None and len(out._seen) > _EXACT_MAX):
            out._to_sketch()
            for registers in sketches:
                np.maximum(out._registers, registers, out=out._registers)
        return out

    def _add_hashes(self, h):
        p = _PRECISION
        idx = (h >> np.uint64(64 - p)).astype(np.int64)
        rest = (h << np.uint64(p)) & np.uint64(0xFFFFFFFFFFFFFFFF)
        # rho: position of the first 1 bit in the remaining 64 - p bits.
        rho = np.full(h.shape, 64 - p + 1, dtype=np.int64)
        nz = rest != 0
        rho[nz] = 64 - np.floor(np.log2(rest[nz].astype(np.float64))).astype(np.int64)
        rho = np.minimum(rho, 64 - p + 1)
        np.maximum.at(self._registers, idx, rho.astype(np.uint8))

    @property
    def exact(self) -> bool:
        return not self._overflow

    def count(self) -> int:
        """The number of distinct values added so far (an estimate once not ``exact``).

        Returns
        -------
        count : int
        """
        if not self._overflow:
            return 0 if self._seen is None else len(self._seen)
        m = float(self._registers.size)
        alpha = 0.7213 / (1 + 1.079 / m)
        est = alpha * m * m / np.sum(np.ldexp(1.0, -self._registers.astype(np.int64)))
        zeros = int(np.count_nonzero(self._registers == 0))
        if est <= 2.5 * m and zeros:  # small-range correction: linear counting
            est = m * math.log(m / zeros)
        return int(round(est))


class DistinctCounts:
    """Distinct non-missing values per column, as a "partial + combine" kernel.

    ``partial(columns)`` takes a list of 1-d arrays (one per column, missing
    values already left out; with ``distinct_input=True`` each must hold
    distinct values, which saves a hash-set pass),
    ``combine`` merges states (:meth:`DistinctCounter.merge`) and ``finalize``
    returns ``(counts (d,) int64, exact (d,) bool)``. Counts are exact up to
    65,536 values a column and a HyperLogLog estimate (about 0.4% standard
    error) past that, whatever the split of the rows into blocks; a state
    holds at most 65,536 values or 64 KiB of registers per column.

    Examples
    --------
    >>> import numpy as np
    >>> k = DistinctCounts()
    >>> a = k.partial([np.array([1.0, 2.0]), np.array([5.0])])
    >>> b = k.partial([np.array([2.0, 3.0]), np.array([5.0])])
    >>> counts, exact = k.finalize(k.combine([a, b]))
    >>> counts.tolist(), exact.tolist()
    ([3, 1], [True, True])
    """

    def __init__(self, distinct_input: bool = False):
        self.distinct_input = distinct_input

    def partial(self, columns):
        import pyarrow as pa

        state = []
        for col in columns:
            counter = DistinctCounter()
            if self.distinct_input and len(col) <= _EXACT_MAX:
                counter._seen = pa.array(np.asarray(col))  # already distinct: no hash-set pass
            else:
                counter.update(np.asarray(col))
            state.append(counter)
        return state

    def combine(self, states):
        # new counters: a state the scheduler holds (for a retried task) is never changed
        return [DistinctCounter.union(column) for column in zip(*states)]

    def finalize(self, state):
        counts = np.array([c.count() for c in state], dtype=np.int64)
        exact = np.array([c.exact for c in state], dtype=bool)
        return counts, exact


def _hash(values):
    import pandas as pd

    arr = values.to_numpy(zero_copy_only=False)
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
    return pd.util.hash_array(arr, categorize=False)
