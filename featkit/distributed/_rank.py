"""``rank_features`` on a Dask DataFrame: exact reductions on every row, the rest on a seeded sample."""

from __future__ import annotations

import time

import numpy as np

from ..exceptions import InputError
from ._batches import known_lengths, partition_lengths, remember_lengths
from ._driver import row_sample
from ._fit import DISTRIBUTED_METHODS, fit_reductions_together, one_pass

__all__ = ["rank_dask", "DEFAULT_SAMPLE_ROWS"]

# rows gathered to the client for the methods with no distributed form
DEFAULT_SAMPLE_ROWS = 100_000


def rank_dask(ddf, target=None, *, sample_rows=DEFAULT_SAMPLE_ROWS, **kwargs):
    """Rank the columns of a Dask DataFrame; see :func:`featkit.ranking.rank_features`.

    The methods in :data:`DISTRIBUTED_METHODS` are fitted on every row through
    their reduction kernels on the cluster; every other method is fitted on a
    seeded uniform sample of ``sample_rows`` rows gathered to the client, and
    the result's notes say which. When the table has at most ``sample_rows``
    rows the sample is the whole table.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
    target : str or None
    sample_rows : int, default=100000
    **kwargs
        The keyword arguments of :func:`featkit.ranking.rank_features`.

    Returns
    -------
    RankingResult
    """
    if target is not None and target not in ddf.columns:
        raise InputError(f"The target column {target!r} is not in the table.")
    if kwargs.get("sample") is not None:
        sample_rows = min(sample_rows, int(kwargs.pop("sample")))
    with known_lengths():  # the table's rows are counted once, and every encoding of it inherits them
        return _rank(ddf, target, int(sample_rows), kwargs)


def _rank(ddf, target, sample_rows, kwargs):
    from .._engine import _consensus, _method_result
    from ..base import ranking_from_scores
    from ..selection._consensus import aggregate_rankings
    from ..ranking import _make_estimator, rank_features
    from ..registry import get_method

    seed = kwargs.get("random_state", 0)
    frame, n_rows = row_sample(ddf, sample_rows, seed)
    result = rank_features(frame, target, **kwargs)
    sampled = n_rows > frame.shape[0]
    exact, kept_sampled, fits = [], [], []
    # the cv_weighted consensus chose its weights by inner CV on the sample (at most a few
    # thousand rows are used for that anyway); the members refitted on every row keep them
    chosen = {name: (m.weight, m.weight_note) for name, m in result.methods.items()}
    encodings = _Encodings(ddf, target, result, seed)
    for name in list(result.methods):
        if not sampled or name not in DISTRIBUTED_METHODS:
            kept_sampled.append(name)
            continue
        spec = get_method(name)
        est = _make_estimator(spec, result.task, seed, kwargs.get("n_jobs"), (kwargs.get("params") or {}).get(name))
        try:
            # a ranker that trains on the cluster itself (lightgbm.dask) codes its categoricals as
            # categories: it gets the raw columns, not the target encoding
            X, y = encodings.raw() if getattr(est, "_fit_dask", None) is not None else encodings.get(spec)
        except InputError as exc:
            result.notes.append(f"{name} stays on the sample: {exc}")
            kept_sampled.append(name)
            continue
        fits.append((name, est, X, y if est._requires_target else None))
    done = _fit_one_pass_together([f for f in fits if one_pass(f[1], f[2])], result, _method_result)
    exact.extend(done)
    for name, est, X, y in fits:
        if name in done:
            continue
        start = time.perf_counter()
        try:
            est.fit(X, y)
        except InputError as exc:
            result.notes.append(f"{name} stays on the sample: {exc}")
            kept_sampled.append(name)
            continue
        result.methods[name] = _method_result(name, est, time.perf_counter() - start)
        exact.append(name)
        if getattr(est, "distributed_note_", None):
            result.notes.append(f"{name}: {est.distributed_note_}.")
    if sampled and kwargs.get("model") == "xgboost":  # TreeSHAP on every row through xgboost.dask
        from ._xgboost import attribution_on_cluster

        try:
            moved = attribution_on_cluster(result, *encodings.raw(), random_state=seed)
        except InputError as exc:
            result.notes.append(f"xgboost attribution stays on the sample: {exc}")
        else:
            exact += moved
            kept_sampled = [m for m in kept_sampled if m not in moved]
    exact = [name for name in result.methods if name in exact]  # the methods' order, not the fits'
    result.n_rows = n_rows
    if sampled:
        weights = [chosen.get(name, (None, None))[0] for name in result.methods]
        if result.aggregation == "cv_weighted" and all(w is not None for w in weights) and sum(weights) > 0:
            for name, m in result.methods.items():
                m.weight, m.weight_note = chosen[name]
            score = aggregate_rankings([m.ranking for m in result.methods.values()], "cv_weighted",
                                       weights=weights)
            rank = ranking_from_scores(score)
            result.notes.append("Dask engine: the consensus weights were chosen by inner CV on the "
                                f"{frame.shape[0]}-row sample and applied to the rankings above.")
        else:
            score, rank, notes = _consensus(result.methods, result.aggregation,
                                            kwargs.get("include_degenerate", False))
        result.consensus_score, result.consensus_rank = np.asarray(score), np.asarray(rank)
        if exact:
            result.notes.append(f"Dask engine: {', '.join(exact)} computed on all {n_rows} rows.")
        others = [m for m in kept_sampled if m in result.methods]
        if others:
            result.notes.append(f"Dask engine: {', '.join(others)} fitted on a seeded sample of "
                                f"{frame.shape[0]} of {n_rows} rows (no distributed form; sample_rows).")
    else:
        result.notes.append(f"Dask engine: the whole table ({n_rows} rows) fits in the sample; "
                            "every method ran on all rows.")
    return result


def _fit_one_pass_together(fits, result, method_result):
    """Fit the one-pass rankers in one computation (one read of each partition for all of them).

    Returns the names fitted. With fewer than two, or when one of them refuses the data
    (its InputError), nothing is fitted here: they are fitted one by one, so a refusal
    is noted against the method that made it.
    """
    if len(fits) < 2:
        return []
    start = time.perf_counter()
    try:
        fit_reductions_together([(est, X, y) for _, est, X, y in fits])
    except InputError:
        return []
    # one pass served them all: each is charged an equal share of its wall time
    seconds = (time.perf_counter() - start) / len(fits)
    for name, est, _, _ in fits:
        result.methods[name] = method_result(name, est, seconds)
    result.notes.append(f"Dask engine: {', '.join(n for n, *_ in fits)} computed together in one pass "
                        "over the table.")
    return [name for name, *_ in fits]


class _Encodings:
    """The table's features encoded on the cluster as ``featkit rank`` encodes them in memory,
    one Dask frame per input kind, built when a method first asks for it."""

    def __init__(self, ddf, target, result, seed):
        self.ddf, self.target, self.result, self.seed = ddf, target, result, seed
        self._encoder = None
        self._frames = {}

    def raw(self):
        y = self.ddf[self.target] if self.target is not None else None
        X = self.ddf[self.result.features]
        for part in (X, y):  # cut from the table, whose rows the sample counted
            if part is not None:
                remember_lengths(part, partition_lengths(self.ddf))
        return X, y

    def get(self, spec):
        from ._encode import DaskEncoder, needs_encoding

        X, y = self.raw()
        if not needs_encoding(X, self.result.columns):
            return X, y
        kind = "categorical" if spec.input == "categorical" else ("nan" if spec.allow_nan else "imputed")
        other = {"nan": "imputed", "imputed": "nan"}.get(kind)
        if kind not in self._frames and other in self._frames and not isinstance(self._frames[other], InputError) \
                and self._encoder.fill_changes_nothing():
            self._frames[kind] = self._frames[other]  # the same values: one encoded frame, one pass
        if kind not in self._frames:
            try:
                if self._encoder is None:
                    self._encoder = DaskEncoder(X, y, columns=self.result.columns, task=self.result.task,
                                                random_state=self.seed)
                enc = self._encoder
                frame = enc.codes() if kind == "categorical" else enc.numeric(impute=kind == "imputed")
                self._frames[kind] = enc.split(frame)
            except InputError as exc:  # one failed pass is not run again for every method
                self._frames[kind] = exc
        if isinstance(self._frames[kind], InputError):
            raise self._frames[kind]
        return self._frames[kind]
