"""Tall-table memory (#13): a method that samples its own rows (l1) runs after the
whole-table fits, from one copy of the rows still to be read, with its kind's shared
matrix let go; its scores stay bit for bit those of the fit on the whole matrix."""

import numpy as np
import pandas as pd
import pytest

from featkit import _encodings as encodings_module
from featkit import _fitting
from featkit import ranking as ranking_module
from featkit._encodings import _Encodings
from featkit.base import given_canonical_order, given_row_sample
from featkit.ranking import rank_features
from featkit.selection import L1Ranker


def _frame(n, regression=False, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(8)})
    frame.loc[rng.rand(n) < 0.05, "x2"] = np.nan
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    signal = frame["x0"] + 0.5 * frame["x1"] + (frame["colour"] == "red") + rng.normal(size=n)
    frame["y"] = signal if regression else (signal > 0.5).astype(int)
    return frame


def _spied_run(monkeypatch, frame, methods, params):
    """Rank ``frame``; also what happened around l1's fit: ``(result, events, l1)`` with
    events the kinds released and the fits run, in order, and l1 its fitted ranker and
    the rows of the matrix it was handed."""
    events, l1 = [], {}
    release, run_job, fit_method = _Encodings.release, _fitting._run_job, ranking_module._fit_method

    def spy_release(self, kind):
        events.append(("release", kind))
        return release(self, kind)

    def spy_run_job(job, data=None):
        events.append(("fit", job["spec"].name))
        if job["spec"].name == "l1":
            l1["rows"] = data["matrices"][job["kind"]].shape[0]
        return run_job(job, data)

    def spy_fit_method(spec, *args, **kwargs):
        est, seconds = fit_method(spec, *args, **kwargs)
        if spec.name == "l1":
            l1["est"] = est
        return est, seconds

    monkeypatch.setattr(_Encodings, "release", spy_release)
    monkeypatch.setattr(_fitting, "_run_job", spy_run_job)
    monkeypatch.setattr(ranking_module, "_fit_method", spy_fit_method)
    result = rank_features(frame, "y", methods=methods, params=params, n_jobs=1)
    return result, events, l1


@pytest.mark.parametrize("regression", [False, True])
def test_l1_fits_its_own_rows_after_its_matrix_is_let_go(regression, monkeypatch):
    monkeypatch.setattr(encodings_module, "_FLOAT32_FROM_BYTES", 0)  # the store of a tall table
    methods = ["l1", "f_test", "mutual_info_binned"]
    params = {"l1": {"max_rows": 700}}
    frame = _frame(4_000, regression)
    new, events, l1 = _spied_run(monkeypatch, frame, methods, params)
    kind = "numeric_imputed"
    # the whole-table fits first, then the matrix goes, then l1 on its 700 rows alone
    assert events.index(("fit", "f_test")) < events.index(("release", kind)) < events.index(("fit", "l1"))
    assert l1["rows"] == 700
    new_est = l1["est"]

    monkeypatch.setattr(_fitting, "_own_samples", lambda *args: None)  # the fit on the whole matrix
    old, events, l1 = _spied_run(monkeypatch, frame, methods, params)
    assert l1["rows"] == 4_000
    assert events.index(("fit", "l1")) < events.index(("release", kind))
    old_est = l1["est"]
    assert new_est.n_rows_used_ == old_est.n_rows_used_ == 700
    assert np.array_equal(new_est.canonical_order_, old_est.canonical_order_)
    for name in methods:
        assert new.methods[name].scores.tobytes() == old.methods[name].scores.tobytes(), name
        assert new.methods[name].params == old.methods[name].params, name
    assert np.array_equal(new.consensus_rank, old.consensus_rank)


def test_l1_and_the_sampled_fits_share_one_copy(monkeypatch):
    """l1's stratified rows are not inside the plan's seeded samples: the copy holds the
    union, and every fit reads its own rows from it."""
    monkeypatch.setattr(encodings_module, "_FLOAT32_FROM_BYTES", 0)
    make_jobs, unions = _fitting._jobs, []

    def jobs(plan, specs, encodings, random_state, params):
        out = make_jobs(plan, specs, encodings, random_state, params)
        for job in out:
            if job["spec"].name == "random_forest":
                job["rows"] = _fitting.sample_rows(plan.n_rows, 900, random_state)
        return out

    union_of = _fitting._row_union
    monkeypatch.setattr(_fitting, "_jobs", jobs)
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: (
        unions.append(sorted(len(s) for s in samples)), union_of(samples))[1])
    methods = ["random_forest", "l1", "f_test"]
    params = {"l1": {"max_rows": 600}}
    frame = _frame(3_000)
    new, events, l1 = _spied_run(monkeypatch, frame, methods, params)
    # the whole-table fit first, then l1's own sample, then the plan's: the copy goes
    # after random_forest, not held through later fits
    assert [e for e in events if e[0] == "fit"] == [("fit", "f_test"), ("fit", "l1"),
                                                    ("fit", "random_forest")]
    assert [600, 900] in unions and l1["rows"] == 600
    monkeypatch.setattr(_fitting, "_own_samples", lambda *args: None)
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: None)
    old = rank_features(frame, "y", methods=methods, params=params, n_jobs=1)
    for name in methods:
        assert new.methods[name].scores.tobytes() == old.methods[name].scores.tobytes(), name
    assert np.array_equal(new.consensus_rank, old.consensus_rank)


def test_a_float64_store_keeps_the_whole_table_fit(monkeypatch):
    # a float64 fit computes the canonical order from what it is given: the sample's would differ
    monkeypatch.setattr(encodings_module, "_FLOAT32_FROM_BYTES", 1 << 62)
    _, events, l1 = _spied_run(monkeypatch, _frame(2_000), ["l1", "f_test"], {"l1": {"max_rows": 500}})
    assert l1["rows"] == 2_000


def test_the_sample_of_a_fit_is_the_fits_own():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(900, 5))
    y = np.where(X[:, 0] > 0, "yes", "no")
    ranker = L1Ranker(max_rows=200, random_state=3)
    rows = ranker._sample_of_fit(y, 900)
    assert rows.shape == (200,) and not hasattr(ranker, "task_")  # the ranker is not touched
    whole = L1Ranker(max_rows=200, random_state=3).fit(X, y)
    # the whole table's canonical order with its rows: the sample's own may be another
    with given_canonical_order(whole.canonical_order_), given_row_sample():
        handed = L1Ranker(max_rows=200, random_state=3).fit(X[rows], y[rows])
    assert handed.scores_.tobytes() == whole.scores_.tobytes()
    assert handed.n_rows_used_ == whole.n_rows_used_ == 200
    assert L1Ranker(max_rows=None)._sample_of_fit(y, 900) is None
    assert L1Ranker(max_rows=1_000)._sample_of_fit(y, 900) is None
    assert L1Ranker(max_rows=200, n_features_to_select="cv")._sample_of_fit(y, 900) is None
    assert L1Ranker(max_rows=1)._sample_of_fit(y, 900) is None  # fit refuses it, with its message
    assert L1Ranker(max_rows=200)._sample_of_fit(np.r_[y[:-1], None], 900) is None


def test_no_sample_of_a_fit_that_would_lose_a_class():
    # a class of two rows left out of a stratified sample: the sample's target would be
    # coded 0..k-2, not as the whole target's codes
    y = np.array([0] * 500 + [1] * 498 + [2] * 2)
    ranker = L1Ranker(max_rows=50, random_state=0)
    ranker.task_ = "classification"
    taken = ranker._fit_rows(y, y.size)
    assert np.unique(y[taken]).size == 2  # the rare class is not in the sample
    assert L1Ranker(max_rows=50, random_state=0)._sample_of_fit(y, y.size) is None


def test_without_missing_values_one_copy_serves_both_numeric_kinds(monkeypatch):
    """With no missing value the NaN-kept and imputed kinds are one array: releasing one
    kind alone frees nothing, so l1, random_forest and gradient_boosting share one copy
    of their rows' union and the array goes before l1 fits."""
    pytest.importorskip("lightgbm")
    monkeypatch.setattr(encodings_module, "_FLOAT32_FROM_BYTES", 0)
    make_jobs, unions = _fitting._jobs, []

    def jobs(plan, specs, encodings, random_state, params):
        out = make_jobs(plan, specs, encodings, random_state, params)
        for job in out:
            if job["spec"].name in ("random_forest", "gradient_boosting"):
                job["rows"] = _fitting.sample_rows(plan.n_rows, 800, random_state)
        return out

    union_of = _fitting._row_union
    monkeypatch.setattr(_fitting, "_jobs", jobs)
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: (
        unions.append(sorted(len(s) for s in samples)), union_of(samples))[1])
    frame = _frame(3_000).drop(columns="x2")  # the one column with missing values
    methods = ["f_test", "random_forest", "gradient_boosting", "l1"]
    params = {"l1": {"max_rows": 600}}
    new, events, l1 = _spied_run(monkeypatch, frame, methods, params)
    assert unions == [[600, 800, 800]] and l1["rows"] == 600
    fitted = events.index(("fit", "l1"))
    assert events.index(("release", "numeric_nan")) < fitted
    assert events.index(("release", "numeric_imputed")) < fitted
    assert [e[1] for e in events if e[0] == "fit"] == ["f_test", "l1", "random_forest",
                                                       "gradient_boosting"]
    monkeypatch.setattr(_fitting, "_own_samples", lambda *args: None)
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: None)
    old = rank_features(frame, "y", methods=methods, params=params, n_jobs=1)
    for name in methods:
        assert new.methods[name].scores.tobytes() == old.methods[name].scores.tobytes(), name
        assert new.methods[name].params == old.methods[name].params, name
    assert np.array_equal(new.consensus_rank, old.consensus_rank)


def test_binned_mi_scores_do_not_depend_on_the_block(monkeypatch):
    """The binned-MI block was cut from 8 columns of 1,000,000 rows to 2 (the tall
    run's next peak): every column's counts and sums are its own, so the bits stay."""
    import featkit.selection._binned_mi as selection_module
    import featkit.stats._binned_mi as stats_module
    from featkit.selection._binned_mi import BinnedMutualInfoRanker

    rng = np.random.RandomState(1)
    n = 20_000
    X = np.asfortranarray(rng.normal(size=(n, 9)).astype(np.float32))
    X[:, 1] = np.round(X[:, 1] * 2)  # few distinct values
    X[:, 2] = rng.randint(0, 5_000, n)  # many
    X[rng.rand(n) < 0.1, 3] = np.nan
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0).astype(int)
    scores = {}
    for columns in (1, 2, 4, 9):
        monkeypatch.setattr(stats_module, "_BLOCK_ELEMENTS", columns * n)
        monkeypatch.setattr(selection_module, "_BLOCK_ELEMENTS", columns * n)
        scores[columns] = BinnedMutualInfoRanker().fit(X, y).scores_.tobytes()
    assert len(set(scores.values())) == 1


def test_binned_mi_holds_a_few_columns_at_a_time():
    from featkit.selection._binned_mi import BinnedMutualInfoRanker
    import tracemalloc

    rng = np.random.RandomState(0)
    n, d = 1 << 18, 32
    X = np.asfortranarray(rng.normal(size=(n, d)).astype(np.float32))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        BinnedMutualInfoRanker().fit(X, y)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    # measured: 1.2x the table's float64 size with blocks of 8 of these columns, 4.2x
    # when one block held all 32
    assert peak < 2 * n * d * 8
