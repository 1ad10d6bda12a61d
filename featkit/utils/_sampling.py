"""Row subsampling that reads the same whether the rows come at once or in chunks."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RowSubsample"]


class RowSubsample:
    """The rows kept by a ``subsample`` setting, chunk after chunk.

    An int k keeps every k-th row, rows counted from 1 (rows k, 2k, ...), as
    the ``outrank`` package's ``--subsampling`` does; a float in (0, 1] keeps
    each row with that probability, drawn from ``random_state``. The draws
    run on across calls, so chunks of any sizes keep the rows that one call
    over all of them would keep.

    Parameters
    ----------
    subsample : None, int or float
        None or 1: every row.
    random_state : int, RandomState or None
        Used by a fractional ``subsample`` only.

    Examples
    --------
    >>> from featkit.utils._sampling import RowSubsample
    >>> every_third = RowSubsample(3, None)
    >>> every_third.take(5).tolist(), every_third.take(5).tolist()  # rows 3, 6, 9 counted from 1
    ([2], [0, 3])
    >>> RowSubsample(None, None).take(5) is None
    True
    """

    def __init__(self, subsample, random_state):
        self._every = None
        self._rng = None
        self._offset = 0
        if subsample is None or (isinstance(subsample, numbers.Integral) and subsample == 1):
            return
        if isinstance(subsample, numbers.Integral):
            self._every = int(subsample)
        else:
            from sklearn.utils import check_random_state

            self._fraction = float(subsample)
            self._rng = check_random_state(random_state)

    @property
    def keeps_all(self) -> bool:
        """True when every row is kept."""
        return self._every is None and self._rng is None

    def take(self, n: int) -> np.ndarray | None:
        """Positions (in 0..n-1) of the next ``n`` rows that are kept; None when all are."""
        offset, self._offset = self._offset, self._offset + n
        if self._every is not None:
            return np.arange((self._every - 1 - offset) % self._every, n, self._every)
        if self._rng is not None:
            return np.flatnonzero(self._rng.random_sample(n) < self._fraction)
        return None
