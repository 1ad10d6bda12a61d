"""A large table's shared matrix is float32; the canonical order and the answers stay the float64 ones (#13)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import featkit._encodings as encodings_module
from featkit import _fitting
from featkit._encodings import _Encodings, storage_dtype
from featkit.base import canonical_column_order, given_canonical_order
from featkit.io import prepare_features
from featkit.ranking import default_methods, rank_features
from featkit.selection import FTestRanker, L1Ranker
from featkit.utils._input import check_magnitude
from _engine_jobs import sampling_jobs

KINDS = ("numeric_nan", "numeric_imputed", "categorical")

# Score tolerances of a float32 store against float64, relative to the largest score: the
# F test and L1 read values rounded to float32 (7 significant digits; their sums run in
# float64); the others were equal in every run (quantile bins, LightGBM's and the
# forest's float32 thresholds see the same order of values), and are held to the same bound.
RTOL = {"f_test": 1e-5, "l1": 1e-4}


def _table(n=600, seed=0, missing=True):
    """Float64 numbers (not exact in float32, so their bytes change), integer codes and
    text categories, with gaps; y depends on several of them."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) * 10 ** (j % 3) for j in range(8)})
    frame["code"] = rng.randint(0, 6, n)
    frame["colour"] = rng.choice(["red", "green", "blue", "grey"], n)
    frame["town"] = rng.choice([f"t{i}" for i in range(30)], n)
    if missing:
        frame.loc[rng.rand(n) < 0.1, "x1"] = np.nan
        frame.loc[rng.rand(n) < 0.1, "colour"] = None
    signal = (frame["x0"] + np.nan_to_num(frame["x1"]) / 10 + frame["code"]
              + frame["colour"].map({"red": 1.0, "green": -1.0}).fillna(0.0))
    frame["y"] = (signal + rng.normal(size=n) > signal.median()).astype(int)
    return frame


def _requests(n, seed=0):
    rows = [None, _fitting.sample_rows(n, n // 3, seed), _fitting.sample_rows(n, n // 2, seed)]
    return [(kind, r) for kind in KINDS for r in rows]


def test_large_tables_are_stored_in_float32_small_and_huge_ones_in_float64():
    assert storage_dtype(1_000_000, 100) is np.float32
    assert storage_dtype(1_000, 100) is np.float64  # below the libraries' own memory
    assert storage_dtype(2**24, 100) is np.float64  # category codes past float32's integers


@pytest.mark.parametrize("missing", [True, False])
def test_the_order_of_a_float32_store_is_the_float64_values_order(missing):
    prepared = prepare_features(_table(missing=missing), "y")
    features = [str(c) for c in prepared.X.columns]
    wide = _Encodings(prepared, 0)
    narrow = _Encodings(prepare_features(_table(missing=missing), "y"), 0, dtype=np.float32)
    narrow.want_orders(_requests(len(prepared.y)))
    differs = 0
    for kind, rows in _requests(len(prepared.y)):
        matrix = wide.get(kind)
        at = slice(None) if rows is None else rows
        expected = canonical_column_order(matrix[at], features)
        stored = narrow.get(kind)
        assert stored.dtype == np.float32
        assert narrow.column_order(kind, rows, features).tolist() == expected.tolist(), kind
        # what a fit of the stored matrix would compute itself: another order
        differs += canonical_column_order(stored[at], features).tolist() != expected.tolist()
    assert differs


def test_an_order_not_asked_for_before_encoding_is_an_error():
    narrow = _Encodings(prepare_features(_table(), "y"), 0, dtype=np.float32)
    narrow.want_orders([("numeric_nan", None)])
    narrow.get("numeric_nan")
    with pytest.raises(RuntimeError, match="want_orders"):
        narrow.column_order("numeric_imputed", None, None)
    with pytest.raises(RuntimeError, match="before the first encoding"):
        narrow.want_orders([("categorical", None)])


def test_a_float32_store_holds_the_rounded_float64_values_and_imputes_their_median():
    wide = _Encodings(prepare_features(_table(), "y"), 0)
    narrow = _Encodings(prepare_features(_table(), "y"), 0, dtype=np.float32)
    narrow.want_orders([("numeric_imputed", None)])
    for kind in KINDS:
        expected = wide.get(kind).astype(np.float32)
        assert narrow.get(kind).tobytes() == expected.tobytes(), kind


def test_the_consensus_rows_of_a_float32_store_are_the_float64_ones():
    rows = np.sort(np.random.RandomState(0).choice(600, 90, replace=False))
    wide = _Encodings(prepare_features(_table(), "y"), 0, needed=set(KINDS))
    narrow = _Encodings(prepare_features(_table(), "y"), 0, needed=set(KINDS), dtype=np.float32)
    for enc in (wide, narrow):
        enc.sample_rows(rows, KINDS)
    narrow.want_orders([("categorical", None)])
    narrow.let_go_of_table()
    wide.get("numeric_nan")
    for kind in KINDS:
        got, expected = narrow.sampled(kind), wide.sampled(kind)
        assert got.dtype == np.float64 and got.flags.c_contiguous == expected.flags.c_contiguous
        assert got.tobytes() == expected.tobytes(), kind


def test_the_given_order_is_taken_by_one_fit_only():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 4)), rng.randint(0, 2, 50)
    with given_canonical_order([3, 1, 0, 2]):
        first = FTestRanker().fit(X, y)
        second = FTestRanker().fit(X, y)  # a fit within the first's would compute its own
    assert first.canonical_order_.tolist() == [3, 1, 0, 2]
    assert second.canonical_order_.tolist() == canonical_column_order(X).tolist()
    with pytest.raises(ValueError, match="not a permutation"), given_canonical_order([0, 1]):
        FTestRanker().fit(X, y)


def test_l1_widens_a_float32_input_to_the_float64_values_it_holds():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    wide = L1Ranker(random_state=0, max_rows=200).fit(X.astype(np.float64), y)
    with given_canonical_order(wide.canonical_order_):  # as the engine hands it
        narrow = L1Ranker(random_state=0, max_rows=200).fit(X, y)
    assert narrow.scores_.tobytes() == wide.scores_.tobytes()


def test_float32_magnitudes_need_no_check():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # comparing with 1e100 in float32 overflowed
        check_magnitude(np.array([1.0, 3e38], dtype=np.float32), "column 'a'")


def _run(monkeypatch, float32, **kwargs):
    monkeypatch.setattr(encodings_module, "_FLOAT32_FROM_BYTES", 0 if float32 else 1 << 62)
    import featkit.ranking as ranking

    dtypes, original = [], ranking._fit_method

    def spy(spec, Xm, *args, **kw):
        dtypes.append(np.asarray(Xm).dtype)
        return original(spec, Xm, *args, **kw)
    monkeypatch.setattr(ranking, "_fit_method", spy)
    result = rank_features(_table(n=900), "y", random_state=0, **kwargs)
    monkeypatch.setattr(ranking, "_fit_method", original)
    return result, dtypes


def _same_answers(narrow, wide):
    for name, m in wide.methods.items():
        assert np.array_equal(narrow.methods[name].ranking, m.ranking), name
        scale = np.nanmax(np.abs(m.scores))
        np.testing.assert_allclose(narrow.methods[name].scores, m.scores,
                                   rtol=0, atol=RTOL.get(name, 1e-5) * scale, err_msg=name)
    assert np.array_equal(narrow.consensus_rank, wide.consensus_rank)


@pytest.mark.parametrize("model", [None, "lightgbm"])
def test_a_float32_run_ranks_as_the_float64_run(monkeypatch, model):
    """With a model attribution the table stays, and the codes are read from it."""
    pytest.importorskip("lightgbm")
    narrow, dtypes = _run(monkeypatch, True, model=model)
    wide, wide_dtypes = _run(monkeypatch, False, model=model)
    assert set(dtypes) == {np.dtype(np.float32)} and set(wide_dtypes) == {np.dtype(np.float64)}
    assert list(narrow.methods)[:6] == default_methods(True)
    _same_answers(narrow, wide)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_sampled_fits_of_a_float32_store_rank_as_float64(monkeypatch, n_jobs):
    """Sampled fits (on one union copy, or in workers) get the order of their sample's
    float64 values."""
    pytest.importorskip("lightgbm")
    from featkit import _plan

    monkeypatch.setattr(_plan, "PARALLEL_MIN_SECONDS", 0.0)
    sizes = {"gradient_boosting": 400, "permutation_boosting": 600, "random_forest": 300}
    monkeypatch.setattr(_fitting, "_jobs", sampling_jobs(sizes))
    methods = ["gradient_boosting", "random_forest", "f_test", "permutation_boosting"]
    params = {"random_forest": {"n_estimators": 30}}
    narrow, _ = _run(monkeypatch, True, methods=methods, n_jobs=n_jobs, params=params,
                     aggregation="mean_rank")
    wide, _ = _run(monkeypatch, False, methods=methods, params=params, aggregation="mean_rank")
    for name in sizes:
        assert narrow.methods[name].params["sampled_rows"] == sizes[name]
    _same_answers(narrow, wide)


def test_the_code_fits_run_first_and_the_codes_go_after_them(monkeypatch):
    """Among the whole-table fits those on the category codes come first, so the codes
    (kept in small integers once the table is let go) are not held through the others."""
    pytest.importorskip("lightgbm")
    order, codes_held = [], []
    run_job = _fitting._run_job
    release = _Encodings.release

    def spy_release(self, kind):
        release(self, kind)
        codes_held.append((kind, self._codes is not None))
    monkeypatch.setattr(_Encodings, "release", spy_release)
    monkeypatch.setattr(_fitting, "_run_job", lambda job, data=None: (
        order.append(job["spec"].name), run_job(job, data))[1])
    methods = ["f_test", "l1", "mutual_info_binned"]
    result = rank_features(_table(), "y", methods=methods, aggregation="mean_rank")
    assert order == ["mutual_info_binned", "f_test", "l1"]
    assert list(result.methods) == methods  # the results stay in plan order
    assert codes_held[0] == ("categorical", False)
