"""Row subsampling that reads the same whether the rows come at once or in chunks."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RowSubsample", "held_out_split"]


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


def held_out_split(n: int, y, test_size: float, random_state, classification: bool):
    """Row indices ``(train, test)`` of a seeded hold-out split.

    Stratified by ``y`` for classification when every class has at least two
    rows and the test side (``ceil(test_size * n)`` rows) can hold one of
    each; a plain shuffled split otherwise.

    Parameters
    ----------
    n : int
        Number of rows.
    y : ndarray of shape (n,)
        Target; integer class codes for classification.
    test_size : float
        Share of the rows held out, in (0, 1).
    random_state : int, RandomState or None
    classification : bool

    Returns
    -------
    train, test : ndarray of int

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.utils._sampling import held_out_split
    >>> y = np.array([0] * 10 + [1] * 10)
    >>> train, test = held_out_split(20, y, 0.2, 0, True)
    >>> sorted(y[test].tolist())  # stratified: the classes' shares kept
    [0, 0, 1, 1]
    """
    from sklearn.model_selection import train_test_split

    stratify = None
    if classification:
        counts = np.bincount(y)
        if counts[counts > 0].min() >= 2 and int(np.ceil(test_size * n)) >= np.count_nonzero(counts):
            stratify = y
    return train_test_split(np.arange(n), test_size=test_size, random_state=random_state, stratify=stratify)
